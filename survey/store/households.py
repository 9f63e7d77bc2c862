"""The household register (户籍名册 of each village) and the ten-star ratings of its households.

``households`` holds one row per household of a village (its number 户号 unique within the
village, the head 户主, the village group 村民小组, the members); a household taken off the
register keeps its row (``removed = 1``) and its ratings. ``household_ratings`` holds one row per
household and rating period: the stars awarded (a JSON list of star codes) and their count, a
disqualifier, the state of the procedure and the notice period. Heads and members are personal
data: only the functions here read them, and every change is audited in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survey.store.db import _audit_row, _bump, _insert_rows, _json, _now, connect
from survey.store.registry import ImportSummary

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.households import HouseholdRow

_FIELDS = ("head", "village_group", "members")
_RATING_FIELDS = ("stars", "star_count", "disqualifier", "state", "notice_start", "notice_end")


def _entity(village: str, number: str) -> str:
    return f"{village}/{number}"


def import_households(db_path: str | Path, rows: Iterable[HouseholdRow], kept: Iterable[str] = (),
                      actor: str | None = None) -> ImportSummary:
    """Add or update households from validated rows, in one transaction; a household taken off
    the register and listed again is back on it. ``kept``: the optional fields (``group``,
    ``members``) the file did not carry, whose stored values stay. Nothing is ever removed.
    Audited as one ``household.import`` row per village: every household changed, keyed by its
    number, with its values before (None: added) and after."""
    keep_group, keep_members = "group" in kept, "members" in kept
    rows = list(rows)
    now = _now()
    villages = sorted({r.village for r in rows})
    with connect(db_path) as db, db.atomic():
        existing: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(villages), 500):
            chunk = villages[start:start + 500]
            for r in db.execute(
                    f"SELECT village_code, number, head, village_group, members, removed FROM households "
                    f"WHERE village_code IN ({','.join('?' * len(chunk))})", chunk).fetchall():
                existing[(r[0], r[1])] = {"head": r[2], "village_group": r[3], "members": r[4], "removed": r[5]}
        changed = []
        trail: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # village -> (before, after) by number
        added = updated = unchanged = 0
        for row in rows:
            old = existing.get((row.village, row.household))
            group = (old or {}).get("village_group") if keep_group else row.group
            members = (old or {}).get("members") if keep_members else row.members
            was, now_is = trail.get(row.village) or trail.setdefault(row.village, ({}, {}))
            if old is None:
                added += 1
                now_is[row.household] = {"head": row.head, "village_group": group, "members": members}
            else:
                record = {"head": row.head, "village_group": group, "members": members, "removed": 0}
                before = {f: old[f] for f in record if old[f] != record[f]}
                if not before:
                    unchanged += 1
                    continue
                updated += 1
                was[row.household] = before
                now_is[row.household] = {f: record[f] for f in before}
            changed.append((row.village, row.household, row.head, group, members, now))
        trail = {v: pair for v, pair in trail.items() if pair[1]}
        if changed:
            db.conn.executemany(
                "INSERT INTO households (village_code, number, head, village_group, members, removed, updated_at) "
                "VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (village_code, number) DO UPDATE SET "
                "head = excluded.head, village_group = excluded.village_group, members = excluded.members, "
                "removed = 0, updated_at = excluded.updated_at", changed)
            # one row per village and import: every household changed, by number, before and after
            _insert_rows(db, "audit", [_audit_row(actor, "household.import", "household", village, village,
                                                  was or None, now_is, at=now)
                                       for village, (was, now_is) in sorted(trail.items())])
            _bump(db)
    return ImportSummary(added, updated, unchanged)


def household_rows(db_path: str | Path, village: str, removed: bool = False) -> list[dict[str, Any]]:
    """The households of ``village`` on its register (also those taken off it with
    ``removed``), by group then number."""
    with connect(db_path) as db:
        return list(db.query(
            "SELECT village_code, number, head, village_group, members, removed, updated_at FROM households "
            f"WHERE village_code = ?{'' if removed else ' AND removed = 0'} "
            "ORDER BY COALESCE(village_group, ''), length(number), number", [village]))


def save_household(db_path: str | Path, village: str, number: str, head: str, group: str | None,
                   members: int | None, actor: str | None = None) -> str:
    """Add a household to the register, or change one (a household taken off is back on it).
    Returns ``added``, ``updated`` or ``unchanged``."""
    now = _now()
    with connect(db_path) as db, db.atomic():
        rows = list(db.query("SELECT head, village_group, members, removed FROM households "
                             "WHERE village_code = ? AND number = ?", [village, number]))
        old = rows[0] if rows else None
        record = {"head": head, "village_group": group, "members": members, "removed": 0}
        if old is not None and all(old[f] == record[f] for f in record):
            return "unchanged"
        db.execute(
            "INSERT INTO households (village_code, number, head, village_group, members, removed, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (village_code, number) DO UPDATE SET head = excluded.head, "
            "village_group = excluded.village_group, members = excluded.members, removed = 0, "
            "updated_at = excluded.updated_at", [village, number, head, group, members, now])
        before = None if old is None else {f: old[f] for f in record if old[f] != record[f]}
        after = {f: record[f] for f in (before or _FIELDS)}
        db["audit"].insert(_audit_row(actor, "household.update" if old else "household.add", "household",
                                      _entity(village, number), village, before, after, at=now))
        _bump(db)
    return "updated" if old else "added"


def remove_household(db_path: str | Path, village: str, number: str, actor: str | None = None) -> bool:
    """Take a household off the register (moved away, merged): its row and ratings are kept.
    False when it is not on the register."""
    with connect(db_path) as db, db.atomic():
        cursor = db.execute("UPDATE households SET removed = 1, updated_at = ? "
                            "WHERE village_code = ? AND number = ? AND removed = 0", [_now(), village, number])
        if cursor.rowcount == 0:
            return False
        db["audit"].insert(_audit_row(actor, "household.remove", "household", _entity(village, number),
                                      village, {"removed": 0}, {"removed": 1}))
        _bump(db)
    return True


# --- ratings ---------------------------------------------------------------------------------------


def _rating(r: dict[str, Any]) -> dict[str, Any]:
    return dict(r, stars=tuple(json.loads(r["stars"])))


def rating_rows(db_path: str | Path, village: str, period: str | None = None) -> list[dict[str, Any]]:
    """The ratings of ``village``'s households on its register: of ``period``, or of every
    period (oldest first) when None."""
    where, params = "r.village_code = ?", [village]
    if period is not None:
        where += " AND r.period = ?"
        params.append(period)
    with connect(db_path) as db:
        return [_rating(r) for r in db.query(
            "SELECT r.village_code, r.household, r.period, r.stars, r.star_count, r.disqualifier, r.state, "
            "r.notice_start, r.notice_end, r.updated_by, r.updated_at FROM household_ratings r "
            "JOIN households h ON h.village_code = r.village_code AND h.number = r.household AND h.removed = 0 "
            f"WHERE {where} ORDER BY r.period, r.household", params)]


def rating_periods(db_path: str | Path, county: str | None = None, village: str | None = None) -> list[str]:
    """The periods in which households of ``village`` (or of ``county``, or anywhere) were rated,
    oldest first."""
    where, params = _range(county, village)
    with connect(db_path) as db:
        return [r[0] for r in db.execute(
            f"SELECT DISTINCT period FROM household_ratings WHERE {where} ORDER BY period", params)]


#: What the domain decides from the current ratings: ``{household: stored rating or None}`` ->
#: the records to write (``household`` plus the rating fields), raising to refuse.
Decide = Callable[[dict[str, dict[str, Any] | None]], list[dict[str, Any]]]


def change_ratings(db_path: str | Path, village: str, period: str, households: Iterable[str] | None,
                   decide: Decide, actor: str | None = None) -> int:
    """Change ratings of ``village`` in ``period`` in one transaction: the current ratings of
    ``households`` (None: every rating of the village and period) are read under the write lock
    and given to ``decide``, whose records are written and audited (``rating.<state>``). Returns
    how many were written. Households not on the register are not given to ``decide``."""
    now = _now()
    with connect(db_path) as db, db.atomic():
        on_register = {r[0] for r in db.execute(
            "SELECT number FROM households WHERE village_code = ? AND removed = 0", [village])}
        stored = {r["household"]: _rating(r) for r in db.query(
            f"SELECT household, {', '.join(_RATING_FIELDS)} FROM household_ratings "
            "WHERE village_code = ? AND period = ?", [village, period])}
        wanted = [h for h in (stored if households is None else households) if h in on_register]
        records = decide({h: stored.get(h) for h in wanted})
        rows, audit = [], []
        for rec in records:
            old = stored.get(rec["household"])
            values = {f: rec.get(f) for f in _RATING_FIELDS}
            values["stars"] = list(values["stars"] or ())
            before = None if old is None else {f: list(old[f]) if f == "stars" else old[f] for f in _RATING_FIELDS}
            rows.append((village, rec["household"], period, _json(values["stars"]), values["star_count"],
                         values["disqualifier"], values["state"], values["notice_start"], values["notice_end"],
                         actor or "", now))
            changed_before = None if before is None else {f: v for f, v in before.items() if v != values[f]}
            if changed_before == {}:
                continue  # nothing changes
            changed_after = {f: v for f, v in values.items() if before is None or before[f] != v}
            audit.append(_audit_row(actor, f"rating.{values['state']}", "rating",
                                    f"{_entity(village, rec['household'])}/{period}", village,
                                    changed_before, changed_after, at=now))
        if rows:
            db.conn.executemany(
                "INSERT INTO household_ratings (village_code, household, period, stars, star_count, disqualifier, "
                "state, notice_start, notice_end, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (village_code, period, household) DO UPDATE SET stars = excluded.stars, "
                "star_count = excluded.star_count, disqualifier = excluded.disqualifier, state = excluded.state, "
                "notice_start = excluded.notice_start, notice_end = excluded.notice_end, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at", rows)
            _insert_rows(db, "audit", audit)
            _bump(db)
    return len(rows)


# --- what a village is assessed on: counts, no names -----------------------------------------------


def _range(county: str | None, village: str | None) -> tuple[str, list[str]]:
    if village is not None:
        return "village_code = ?", [village]
    if county is not None:  # the primary keys begin with the code: a range scan
        return "village_code BETWEEN ? AND ?", [county + "000000", county + "999999"]
    return "1", []


def figure_counts(db_path: str | Path, period: str, county: str | None = None, village: str | None = None
                  ) -> tuple[dict[str, int], list[tuple[str, str, int, bool, int, str | None, str | None]]]:
    """What the figures of ``village`` (or of ``county``'s villages, or every village) are made
    of, for ``period``: village -> households on its register, and the ratings of those
    households counted by ``(village, state, stars, disqualified, households, first notice
    start, last notice end)``. The ratings are counted from their covering index, in its order;
    the few households taken off a register (a partial index), whose ratings are taken out."""
    where, params = _range(county, village)
    counts: dict[tuple[str, str, int, bool], list[Any]] = {}
    with connect(db_path) as db:
        registers = dict(db.execute(f"SELECT village_code, COUNT(*) FROM households WHERE {where} AND removed = 0 "
                                    "GROUP BY village_code", params).fetchall())
        for v, state, n, flag, k, start, end in db.execute(
                "SELECT village_code, state, star_count, disqualifier, COUNT(*), MIN(notice_start), MAX(notice_end) "
                f"FROM household_ratings WHERE period = ? AND {where} "
                "GROUP BY village_code, state, star_count, disqualifier", [period, *params]).fetchall():
            found = counts.setdefault((v, state, n, flag is not None), [0, None, None])
            found[0] += k
            found[1] = start if found[1] is None or (start and start < found[1]) else found[1]
            found[2] = end if found[2] is None or (end and end > found[2]) else found[2]
        for v, state, n, flag in db.execute(
                "SELECT r.village_code, r.state, r.star_count, r.disqualifier FROM households h "
                "JOIN household_ratings r "
                "ON r.village_code = h.village_code AND r.period = ? AND r.household = h.number "
                f"WHERE {where.replace('village_code', 'h.village_code')} AND h.removed = 1",
                [period, *params]).fetchall():
            counts[(v, state, n, flag is not None)][0] -= 1
    return registers, [(*key, k, start, end) for key, (k, start, end) in counts.items() if k]
