"""The fix-it ledger (整改台账): entries, their moves and their photos.

An entry is opened by an approval (in the approval's own transaction: :func:`open_entries` is
called by :func:`survey.store.review.decide`) or by hand (:func:`insert_entry`). At most one
entry exists per (village, round, item): approving twice, or a newer version of the same
village's submission, opens none again. A new finding of an item whose earlier entry in the same
village is still open, or was closed on or after the date the caller names, is linked to it
(``recurs``). Every move (:func:`move_entry`) checks the state it starts from inside its write
transaction and appends its audit row there."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from sqlite_utils import Database

from core.errors import NotFound, UsageError
from core.model import LEDGER_CLOSED, LEDGER_LABELS, LEDGER_OPEN
from survey.store.db import _audit, _audit_row, _bump, _insert_rows, _now, connect
from survey.store.photos import NewPhoto


class NewEntry(NamedTuple):
    """An entry to open. ``recur_since``: an earlier entry of the same village and item that was
    closed on or after this date (``YYYY-MM-DD``; "" = any) still makes this one recurring."""

    village_code: str
    round_id: str | None
    item_code: str | None
    submission_id: str | None
    problem: str
    found_on: str
    deadline: str
    recur_since: str = ""


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def finding_rows(db_path: str | Path, submission_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The findings (``submission_items.finding``, as the villages file's 问题数 counts them) of
    the submissions: id, village, round, date, item code, the answer (decoded), the surveyor's
    note of that item and the texts of its criteria not met (``unmet``, grade items answered by
    criteria; else empty); in the order of the ids, then by item code."""
    ids = list(dict.fromkeys(submission_ids))
    order = {sid: n for n, sid in enumerate(ids)}
    out: list[dict[str, Any]] = []
    with connect(db_path) as db:
        for chunk in _chunks(ids):
            notes: dict[str, dict[str, str]] = {}
            unmet: dict[str, dict[str, list[str]]] = {}
            for (sid, village, round_id, day, raw_notes, raw_unmet, item, value) in db.execute(
                    "SELECT s.id, s.village_code, s.round_id, s.date, s.notes, s.unmet, i.item_code, i.value "
                    "FROM submission_items i JOIN submission_rows s ON s.id = i.submission_id "
                    f"WHERE i.submission_id IN ({','.join('?' * len(chunk))}) AND i.finding = 1",
                    list(chunk)).fetchall():
                if sid not in notes:
                    notes[sid] = json.loads(raw_notes)
                    unmet[sid] = json.loads(raw_unmet)
                out.append({"submission_id": sid, "village_code": village, "round_id": round_id,
                            "date": day, "item_code": item, "value": json.loads(value),
                            "note": notes[sid].get(item), "unmet": unmet[sid].get(item, [])})
    out.sort(key=lambda r: (order[r["submission_id"]], r["item_code"]))
    return out


def open_entries(db: Database, planned: Sequence[NewEntry], actor: str, now: str,
                 source: str = "approval") -> list[int]:
    """Inside the caller's write transaction: open the ``planned`` entries that do not exist yet
    (one per village, round and item), each linked to the latest earlier entry of its village
    and item that is not closed or was closed on or after its ``recur_since``; one audit row
    each. Returns the ids opened."""
    if not planned:
        return []
    earlier: dict[tuple[str, str], list[dict[str, Any]]] = {}
    villages = sorted({p.village_code for p in planned if p.item_code})
    for chunk in _chunks(villages):
        for (eid, village, item, round_id, status, closed_on, found_on) in db.execute(
                "SELECT id, village_code, item_code, round_id, status, closed_on, found_on FROM ledger_entries "
                f"WHERE village_code IN ({','.join('?' * len(chunk))}) AND item_code IS NOT NULL ORDER BY id",
                list(chunk)).fetchall():
            earlier.setdefault((village, item), []).append(
                {"id": eid, "round_id": round_id, "status": status, "closed_on": closed_on, "found_on": found_on})
    next_id = (db.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_entries").fetchone()[0]
               or 0) + 1
    rows, audits, opened = [], [], []
    for p in planned:
        before = earlier.setdefault((p.village_code, p.item_code), []) if p.item_code else []
        if p.round_id is not None and any(e["round_id"] == p.round_id for e in before):
            continue  # approved before, or another version of the same round and village
        link = next((e["id"] for e in reversed(before)
                     if e["round_id"] != p.round_id and e["found_on"] <= p.found_on
                     and (e["status"] != LEDGER_CLOSED or (e["closed_on"] or "") >= p.recur_since)), None)
        entry_id = next_id
        next_id += 1
        rows.append({"id": entry_id, "village_code": p.village_code, "round_id": p.round_id,
                     "item_code": p.item_code, "submission_id": p.submission_id, "source": source,
                     "problem": p.problem, "found_on": p.found_on, "deadline": p.deadline,
                     "status": LEDGER_OPEN, "failed_rechecks": 0, "recurs": link, "opened_by": actor,
                     "opened_at": now, "updated_at": now})
        audits.append(_audit_row(actor, "ledger.open", "ledger", str(entry_id), p.village_code, after={
            "round_id": p.round_id, "item": p.item_code, "submission": p.submission_id, "source": source,
            "found_on": p.found_on, "deadline": p.deadline, "status": LEDGER_OPEN, "recurs": link}, at=now))
        if p.item_code:
            before.append({"id": entry_id, "round_id": p.round_id, "status": LEDGER_OPEN, "closed_on": None,
                           "found_on": p.found_on})
        opened.append(entry_id)
    _insert_rows(db, "ledger_entries", rows)
    _insert_rows(db, "audit", audits)
    return opened


def _photo_rows(entry_id: int, photos: Sequence[tuple[str, NewPhoto]], by: str, now: str) -> list[dict[str, Any]]:
    return [{"id": uuid.uuid4().hex, "entry_id": entry_id, "kind": kind, "sha256": p.sha256, "jpeg": p.jpeg,
             "width": p.width, "height": p.height, "taken_by": by, "created_at": now} for kind, p in photos]


def insert_entry(db_path: str | Path, entry: NewEntry, actor: str,
                 photos: Sequence[tuple[str, NewPhoto]] = ()) -> int:
    """Open one entry by hand (with its "before" photos), audited; returns its id."""
    now = _now()
    with connect(db_path) as db, db.atomic():
        if not list(db.query("SELECT 1 FROM villages WHERE code = ?", [entry.village_code])):
            raise NotFound("village_unknown", value=entry.village_code)
        [entry_id] = open_entries(db, [entry._replace(round_id=None, item_code=None)], actor, now, source="manual")
        _insert_rows(db, "ledger_photos", _photo_rows(entry_id, photos, actor, now))
        _bump(db)
    return entry_id


def move_entry(db_path: str | Path, entry_id: int, expect: str, changes: dict[str, Any], action: str,
               actor: str, move: tuple[str, str], photos: Sequence[tuple[str, NewPhoto]] = ()) -> None:
    """Move entry ``entry_id`` from state ``expect``: set ``changes`` (and ``updated_at``), add
    ``photos`` ((kind, photo) pairs) and append the audit row (``action``; before and after of
    what changed), in one transaction. :class:`UsageError` ``ledger_move`` (``move``: what was
    tried, Chinese and English) when the entry is in another state by now."""
    now = _now()
    with connect(db_path) as db, db.atomic():
        columns = ["status", "village_code", *[c for c in changes if c != "status"]]
        row = next(iter(db.query(f"SELECT {', '.join(columns)} FROM ledger_entries WHERE id = ?", [entry_id])), None)
        if row is None:
            raise NotFound("ledger_unknown", value=entry_id)
        if row["status"] != expect:
            raise UsageError("ledger_move", value=entry_id, status=LEDGER_LABELS[row["status"]],
                             status_en=row["status"], move=move[0], move_en=move[1])
        sets = {**changes, "updated_at": now}
        db.execute(f"UPDATE ledger_entries SET {', '.join(f'{c} = ?' for c in sets)} WHERE id = ?",
                   [*sets.values(), entry_id])
        pictures = _photo_rows(entry_id, photos, actor, now)
        _insert_rows(db, "ledger_photos", pictures)
        after = dict(changes)
        if pictures:
            after["photos"] = {kind: sum(1 for k, _ in photos if k == kind) for kind in dict(photos)}
        _audit(db, actor, action, "ledger", str(entry_id), row["village_code"],
               before={c: row[c] for c in changes}, after=after)
        _bump(db)


#: The columns of :func:`ledger_entries`' rows, in order.
ENTRY_COLUMNS: tuple[str, ...] = (
    "id", "village_code", "village", "township_code", "township", "county_code", "county", "round_id",
    "item_code", "submission_id", "source", "problem", "found_on", "deadline", "status", "failed_rechecks",
    "recurs", "fix_text", "fixed_by", "fixed_at", "recheck_note", "rechecked_by", "rechecked_at", "closed_on",
    "opened_by", "opened_at")
_FROM = {"village": "v.name", "township_code": "v.township_code", "township": "t.name",
         "county_code": "v.county_code", "county": "c.name"}
_ENTRY_SELECT = (
    f"SELECT {', '.join(_FROM.get(c, 'e.' + c) for c in ENTRY_COLUMNS)} "
    "FROM ledger_entries e JOIN villages v ON v.code = e.village_code "
    "JOIN townships t ON t.code = v.township_code LEFT JOIN counties c ON c.code = v.county_code")


def _prefix(column: str, code: str) -> tuple[str, list[str]]:
    """A range on a code column that the column's index answers: codes starting with ``code``."""
    return f"{column} >= ? AND {column} < ?", [code, code + "~"]


def ledger_entries(db_path: str | Path, county: str | None = None, townships: Iterable[str] = (),
                   township: str | None = None, village: str | None = None, round_id: str | None = None,
                   items: Iterable[str] | None = None, statuses: Iterable[str] = (),
                   ids: Iterable[int] | None = None) -> list[tuple]:
    """Entries with their village, township and county names (tuples of :data:`ENTRY_COLUMNS`:
    a county's page reads thousands), by village code, item, id; filtered by county, townships
    (any of: a user's scope), township, village, round, item codes (any of), states (any of)
    and ids."""
    clauses, params = [], []
    for column, value in (("e.village_code", county), ("e.village_code", township)):
        if value:
            clause, values = _prefix(column, value)
            clauses.append(clause)
            params.extend(values)
    for column, value in (("e.village_code", village), ("e.round_id", round_id)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    towns = list(townships)
    if towns:
        clauses.append(f"v.township_code IN ({','.join('?' * len(towns))})")
        params.extend(towns)
    for column, values in (("e.item_code", items), ("e.status", statuses), ("e.id", ids)):
        if values is None:
            continue
        wanted = list(values)
        if column == "e.status" and not wanted:
            continue
        clauses.append(f"{column} IN ({','.join('?' * len(wanted))})" if wanted else "0")
        params.extend(wanted)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    with connect(db_path) as db:
        return db.execute(f"{_ENTRY_SELECT}{where} ORDER BY e.village_code, e.item_code, e.id", params).fetchall()


def ledger_counts(db_path: str | Path, county: str, today: str) -> dict[str, dict[str, int]]:
    """Township code -> counts of the county's entries: ``open``, ``fixed``, ``closed``,
    ``overdue`` (not closed, deadline before ``today``) and ``recurring``."""
    clause, params = _prefix("village_code", county)
    with connect(db_path) as db:
        rows = db.execute(
            "SELECT substr(village_code, 1, 9), SUM(status = 'open'), SUM(status = 'fixed'), "
            "SUM(status = 'closed'), SUM(status != 'closed' AND deadline < ?), SUM(recurs IS NOT NULL) "
            f"FROM ledger_entries WHERE {clause} GROUP BY 1", [today, *params]).fetchall()
    return {r[0]: dict(zip(("open", "fixed", "closed", "overdue", "recurring"), r[1:])) for r in rows}


_PHOTO_INFO = "id, sha256, width, height, created_at"


def entry_photos(db_path: str | Path, entry_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Entry id -> its photos: the submission's photos of the item (kind ``before``, taken by
    the surveyor), then the ledger's own: before, after, recheck, each oldest first."""
    ids = list(dict.fromkeys(entry_ids))
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    with connect(db_path) as db:
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for r in db.query(
                    f"SELECT e.id AS entry_id, 'before' AS kind, 0 AS rank, p.rowid AS seq, p.surveyor AS taken_by, "
                    f"{', '.join('p.' + c.strip() for c in _PHOTO_INFO.split(','))} "
                    f"FROM ledger_entries e JOIN photos p ON p.submission_id = e.submission_id "
                    f"AND p.item_code = e.item_code WHERE e.id IN ({marks}) "
                    f"UNION ALL SELECT entry_id, kind, CASE kind WHEN 'before' THEN 1 WHEN 'after' THEN 2 ELSE 3 END, "
                    f"rowid, taken_by, {_PHOTO_INFO} FROM ledger_photos "
                    f"WHERE entry_id IN ({marks}) ORDER BY rank, created_at, seq", [*chunk, *chunk]):
                del r["rank"], r["seq"]
                out[r.pop("entry_id")].append(r)
    return out


def ledger_photo_jpeg(db_path: str | Path, photo_id: str) -> bytes:
    """The JPEG of a photo of the ledger (its own, or a submission's); NotFound when unknown."""
    with connect(db_path) as db:
        row = next(iter(db.query("SELECT jpeg FROM ledger_photos WHERE id = ? UNION ALL "
                                 "SELECT jpeg FROM photos WHERE id = ?", [photo_id, photo_id])), None)
    if row is None:
        raise NotFound("photo_unknown", value=photo_id)
    return row["jpeg"]
