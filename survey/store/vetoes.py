"""Veto records kept by the office, and their application to the stored results.

A submission row keeps ``veto_own`` (vetoes counted from the submission itself: the ticks of
rows stored before veto records existed), ``reaches`` (its total reaches the pass mark) and what
applies: ``veto`` = own + every confirmed record of its village or township in force on its
date, ``passed`` = reaches and no veto. :func:`_reapply` brings the rows of some places up to
date inside the caller's write transaction (a record added, confirmed or withdrawn, the
``veto_months`` setting changed), auditing each row it changes; :func:`_office` gives the records
in force for new rows being saved. The window rule is :func:`survey.vetoes.in_force`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from core.constants import TOWNSHIP_DIGITS, county_of, township_of
from survey.store.db import _audit, _audit_row, _bump, _insert_rows, _json, _now, connect

_RECORD_COLUMNS = ("id", "code", "county_code", "item", "date", "source", "document", "status", "report",
                   "entered_by", "entered_at", "decided_by", "decided_at", "reason")


def _order(codes: Iterable[str]) -> list[str]:
    """Veto codes in their natural order (V1, V2, …, V10), once each."""
    return sorted(set(codes), key=lambda c: (len(c), c))


def _months(db: Database) -> Callable[[str], int]:
    """County code -> the veto_months in force, read inside the transaction (the file's value,
    unless the database or the county overrides it)."""
    from survey.settings import file_values

    default = file_values()["veto_months"].value
    stored = {r[0]: int(r[1]) for r in db.execute("SELECT scope, value FROM settings WHERE key = 'veto_months'")}
    base = stored.get("", default)
    return lambda county: stored.get(county, base)


def _confirmed(db: Database, counties: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """Place code (village or township) -> [(item, event date)] of the confirmed records of
    ``counties``."""
    counties = sorted(set(counties))
    out: dict[str, list[tuple[str, str]]] = {}
    for start in range(0, len(counties), 500):
        chunk = counties[start:start + 500]
        for code, item, date in db.execute(
                f"SELECT code, item, date FROM veto_records WHERE status = 'confirmed' AND county_code IN "
                f"({','.join('?' * len(chunk))})", chunk):
            out.setdefault(code, []).append((item, date))
    return out


def _office(db: Database, rows: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Submission id -> the office's veto codes in force on its date, for ``rows`` (dicts with
    id, village_code, date); rows no record reaches are left out."""
    from survey.vetoes import in_force

    rows = list(rows)
    records = _confirmed(db, {county_of(r["village_code"]) for r in rows})
    if not records:
        return {}
    months = _months(db)
    out = {}
    for r in rows:
        village, day = r["village_code"], r["date"]
        found = [item for place in (village, township_of(village)) for item, event in records.get(place, ())
                 if in_force(event, day, months(county_of(village)))]
        if found:
            out[r["id"]] = tuple(_order(found))
    return out


def _apply(row: dict[str, Any], office: tuple[str, ...]) -> None:
    """Set ``veto`` and ``passed`` of a new submission row from its own vetoes and ``office``."""
    own = json.loads(row["veto_own"])
    applied = _order([*own, *office])
    row["veto"] = _json(applied)
    row["passed"] = int(bool(row["reaches"]) and not applied)


def _reapply(db: Database, places: Iterable[str], actor: str | None, cause: str) -> int:
    """Inside a write transaction: apply the confirmed records again to every published
    submission of ``places`` (village or township codes); update and audit the rows whose
    vetoes or pass change. Returns how many changed."""
    places = sorted(set(places))
    if not places:
        return 0
    rounds = [r[0] for r in db.execute("SELECT id FROM rounds")]
    if not rounds:
        return 0
    marks = ",".join("?" * len(rounds))
    rows: dict[str, dict[str, Any]] = {}
    for place in places:
        if len(place) == TOWNSHIP_DIGITS:  # the township's villages: a range of codes
            where, params = "village_code >= ? AND village_code < ?", [place, place + ":"]
        else:
            where, params = "village_code = ?", [place]
        for r in db.query(f"SELECT id, village_code, date, veto_own, reaches, veto, passed FROM submission_rows "
                          f"WHERE round_id IN ({marks}) AND {where} AND batch IS NULL", [*rounds, *params]):
            rows[r["id"]] = r
    office = _office(db, rows.values())
    changed = []
    for sid, r in rows.items():
        applied = _order([*json.loads(r["veto_own"]), *office.get(sid, ())])
        passed = int(bool(r["reaches"]) and not applied)
        if _json(applied) != r["veto"] or passed != r["passed"]:
            changed.append((r, applied, passed))
    if changed:
        db.conn.executemany("UPDATE submission_rows SET veto = ?, passed = ? WHERE id = ?",
                            [(_json(a), p, r["id"]) for r, a, p in changed])
        now = _now()
        _insert_rows(db, "audit", [_audit_row(
            actor, "submission.veto", "submission", r["id"], r["village_code"],
            before={"veto": json.loads(r["veto"]), "passed": r["passed"]},
            after={"veto": a, "passed": p, "cause": cause}, at=now) for r, a, p in changed])
    return len(changed)


# --- records -------------------------------------------------------------------------------------


def veto_rows(db_path: str | Path, county: str | None = None, code: str | None = None,
              statuses: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Veto records with the name of their place, newest event first: of one county, of one
    place (a village's with its township's), of some states."""
    clauses, params = [], []
    if county:
        clauses.append("r.county_code = ?")
        params.append(county)
    if code:
        clauses.append("r.code IN (?, ?)")
        params += [code, township_of(code)]
    statuses = list(statuses)
    if statuses:
        clauses.append(f"r.status IN ({','.join('?' * len(statuses))})")
        params += statuses
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    with connect(db_path) as db:
        return list(db.query(
            f"SELECT r.*, COALESCE(v.name, t.name) AS place FROM veto_records r "
            f"LEFT JOIN villages v ON v.code = r.code LEFT JOIN townships t ON t.code = r.code"
            f"{where} ORDER BY r.date DESC, r.entered_at DESC, r.id", params))


def veto_reports(db_path: str | Path, county: str | None = None) -> list[dict[str, Any]]:
    """The veto items reported with published submissions that were not returned, of one
    county, with no decision of the office yet (no record refers to them), oldest first."""
    clauses, params = ["s.reported != '[]'", "s.status != 'returned'"], []
    if county:
        clauses.append("s.village_code >= ? AND s.village_code < ?")
        params += [county, county + ":"]
    with connect(db_path) as db:
        rows = list(db.query(
            f"SELECT s.id, s.village_code, v.name AS village_name, t.name AS township, s.round_id, s.date, "
            f"s.surveyor, s.reported FROM submissions s JOIN villages v ON v.code = s.village_code "
            f"JOIN townships t ON t.code = v.township_code WHERE {' AND '.join(clauses)} "
            f"ORDER BY s.date, s.rowid", params))
        decided = {(r[0], r[1]) for r in db.execute(
            "SELECT report, item FROM veto_records WHERE report IS NOT NULL")}
    out = []
    for r in rows:
        for item in json.loads(r["reported"]):
            if (r["id"], item) not in decided:
                out.append({"submission_id": r["id"], "village": r["village_code"], "village_name": r["village_name"],
                            "township": r["township"], "round_id": r["round_id"], "date": r["date"],
                            "surveyor": r["surveyor"], "item": item})
    return out


def add_veto_records(db_path: str | Path, records: Iterable[Mapping[str, Any]],
                     actor: str | None = None) -> tuple[int, int, int]:
    """Store confirmed records (dicts: id, code, county_code, item, date, source, document,
    optionally report) in one transaction and apply them: returns (added, updated, unchanged).
    A record already stored for the same place, item and date is updated when its source or
    document differ, else unchanged; a withdrawn or rejected one is left as it is."""
    records = list(records)
    now = _now()
    added = updated = unchanged = 0
    with connect(db_path) as db, db.atomic():
        places = set()
        for rec in records:
            old = next(iter(db.query(
                "SELECT * FROM veto_records WHERE code = ? AND item = ? AND date = ? AND status != 'rejected' "
                "ORDER BY entered_at DESC LIMIT 1", [rec["code"], rec["item"], rec["date"]])), None)
            if old is not None and rec.get("report") is None:
                if old["status"] != "confirmed" or (old["source"], old["document"]) == (rec["source"], rec["document"]):
                    unchanged += 1
                    continue
                db.execute("UPDATE veto_records SET source = ?, document = ? WHERE id = ?",
                           [rec["source"], rec["document"], old["id"]])
                _audit(db, actor, "veto.update", "veto", old["id"], rec["code"] if len(rec["code"]) == 12 else None,
                       before={"source": old["source"], "document": old["document"]},
                       after={"source": rec["source"], "document": rec["document"]})
                updated += 1
                places.add(rec["code"])
                continue
            row = {c: rec.get(c) for c in _RECORD_COLUMNS}
            row.update(status="confirmed", entered_by=actor or "?", entered_at=now)
            if rec.get("report"):
                row.update(decided_by=actor, decided_at=now)
            db["veto_records"].insert(row)
            _audit(db, actor, "veto.confirm" if rec.get("report") else "veto.add", "veto", row["id"],
                   rec["code"] if len(rec["code"]) == 12 else None,
                   after={k: row[k] for k in ("code", "item", "date", "source", "document", "report")})
            added += 1
            places.add(rec["code"])
        if places:
            _reapply(db, places, actor, "veto records")
            _bump(db)
    return added, updated, unchanged


def reject_veto_report(db_path: str | Path, record_id: str, village: str, county: str, item: str, date: str,
                       report: str, reason: str, actor: str | None = None) -> None:
    """Record the office's decision that a reported veto is not one (kept; never applies)."""
    now = _now()
    with connect(db_path) as db, db.atomic():
        db["veto_records"].insert({"id": record_id, "code": village, "county_code": county, "item": item,
                                   "date": date, "source": "测评员报告", "document": None, "status": "rejected",
                                   "report": report, "entered_by": actor or "?", "entered_at": now,
                                   "decided_by": actor, "decided_at": now, "reason": reason})
        _audit(db, actor, "veto.reject", "veto", record_id, village,
               after={"report": report, "item": item, "reason": reason})
        _bump(db)


def withdraw_veto_record(db_path: str | Path, record_id: str, reason: str, actor: str | None = None) -> int:
    """Withdraw a confirmed record (it no longer applies) and apply the records again to the
    results it reached; returns how many results changed."""
    now = _now()
    with connect(db_path) as db, db.atomic():
        row = next(iter(db.query("SELECT code, status FROM veto_records WHERE id = ?", [record_id])), None)
        if row is None or row["status"] != "confirmed":
            return 0
        db.execute("UPDATE veto_records SET status = 'withdrawn', decided_by = ?, decided_at = ?, reason = ? "
                   "WHERE id = ?", [actor, now, reason, record_id])
        _audit(db, actor, "veto.withdraw", "veto", record_id, row["code"] if len(row["code"]) == 12 else None,
               before={"status": "confirmed"}, after={"status": "withdrawn", "reason": reason})
        changed = _reapply(db, [row["code"]], actor, "veto withdrawn")
        _bump(db)
    return changed
