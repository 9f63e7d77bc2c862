"""Review: the queue, decisions and versions of submissions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any


from core.errors import NotFound, UsageError
from survey.store.db import _audit_row, _bump, _now, connect
from survey.store.ledger import NewEntry, open_entries


_QUEUE_SELECT = (
    "SELECT s.id, s.round_id, s.village_code, v.name AS village, v.township_code, "
    "t.name AS township, v.county_code, s.date, s.surveyor, s.total, s.passed, s.veto, "
    "s.findings, s.status, s.supersedes, s.review_comment, s.reviewed_by, s.reviewed_at, "
    "s.received_at, s.lon, s.lat, s.gps_accuracy_m, s.source, "
    "(SELECT n.id FROM submissions n WHERE n.supersedes = s.id) AS superseded_by "
    "FROM submissions s JOIN villages v ON v.code = s.village_code "
    "JOIN townships t ON t.code = v.township_code")


def _queue_row(r: dict[str, Any]) -> dict[str, Any]:
    return dict(r, total=Decimal(r["total"]), passed=bool(r["passed"]),
                veto=tuple(json.loads(r["veto"])))


def review_rows(db_path: str | Path, round_id: str | None = None, county: str | None = None,
                townships: Iterable[str] = (), township: str | None = None,
                surveyor: str | None = None, statuses: Iterable[str] = (),
                ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Submissions with their village, review state and versions, sorted by village code then
    date, filtered by round, county, townships (any of), township, surveyor, statuses, ids."""
    clauses, params = [], []
    for column, value in (("s.round_id", round_id), ("v.county_code", county),
                          ("v.township_code", township), ("s.surveyor", surveyor)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    for column, values in (("v.township_code", list(townships)), ("s.status", list(statuses))):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if ids is not None:
        wanted = list(ids)
        clauses.append(f"s.id IN ({','.join('?' * len(wanted))})" if wanted else "0")
        params.extend(wanted)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    with connect(db_path) as db:
        return [_queue_row(r) for r in db.query(
            f"{_QUEUE_SELECT}{where} ORDER BY s.village_code, s.date, s.rowid", params)]


def decide(db_path: str | Path, ids: Iterable[str], status: str, by: str,
           comment: str | None, entries: Sequence[NewEntry] = ()) -> int:
    """Approve or return pending submissions, all or nothing: :class:`UsageError` when any of
    them is not pending (decided meanwhile by someone else). ``entries``: the fix-it ledger
    entries an approval opens, written in the same transaction (:func:`survey.store.ledger.
    open_entries`: none twice). Returns how many were decided."""
    ids = list(dict.fromkeys(ids))
    now = _now()
    with connect(db_path) as db, db.atomic():
        rows = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows.update((r["id"], r) for r in db.query(
                f"SELECT id, village_code, status FROM submissions WHERE id IN "
                f"({','.join('?' * len(chunk))})", chunk))
        for sid in ids:
            if sid not in rows:
                raise NotFound("submission_unknown", value=sid)
            if rows[sid]["status"] != "pending":
                raise UsageError("review_decided", value=sid, status=rows[sid]["status"])
        db.conn.executemany(
            "UPDATE submission_rows SET status = ?, reviewed_by = ?, reviewed_at = ?, review_comment = ? "
            "WHERE id = ?", [(status, by, now, comment, sid) for sid in ids])
        db["audit"].insert_all([_audit_row(
            by, f"review.{status}", "submission", sid, rows[sid]["village_code"],
            before={"status": "pending"}, after={"status": status, "comment": comment}, at=now)
            for sid in ids])
        open_entries(db, entries, by, now)
        if ids:
            _bump(db)
    return len(ids)
