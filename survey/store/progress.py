"""Progress of a round: which villages have a draft, and the newest submission of each village
and surveyor (its review state), within a county and optionally some townships."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from survey.store.db import connect


def progress_rows(db_path: str | Path, round_id: str, county: str | None = None,
                  townships: Iterable[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """``villages`` (code, township_code, township), ``drafts`` (village_code, surveyor) and
    ``submissions`` (village_code, surveyor, status, superseded: the newest of each village and
    surveyor in the round) of the villages of ``county`` (every county when None) and
    ``townships`` (all when empty)."""
    clauses, params = [], []
    if county:
        clauses.append("v.county_code = ?")
        params.append(county)
    towns = list(townships)
    if towns:
        clauses.append(f"v.township_code IN ({','.join('?' * len(towns))})")
        params.extend(towns)
    where = " AND ".join(clauses) or "1"
    with connect(db_path) as db:
        villages = list(db.query(
            f"SELECT v.code, v.township_code, t.name AS township FROM villages v "
            f"JOIN townships t ON t.code = v.township_code WHERE {where} ORDER BY v.code", params))
        drafts = list(db.query(
            f"SELECT d.village_code, d.surveyor FROM drafts d JOIN villages v ON v.code = d.village_code "
            f"WHERE d.round_id = ? AND {where}", [round_id, *params]))
        submissions = list(db.query(
            f"SELECT s.village_code, s.surveyor, s.status, s.received_at, "
            f"EXISTS (SELECT 1 FROM submissions n WHERE n.supersedes = s.id) AS superseded "
            f"FROM submissions s JOIN villages v ON v.code = s.village_code "
            f"WHERE s.round_id = ? AND {where} ORDER BY s.received_at, s.date, s.id",
            [round_id, *params]))
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in submissions:  # oldest first: the last one kept is the newest
        newest[(row["village_code"], row["surveyor"])] = row
    return {"villages": villages, "drafts": drafts, "submissions": list(newest.values())}
