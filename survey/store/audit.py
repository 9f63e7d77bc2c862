"""Reading the audit trail, and appending a row that goes with no other change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from survey.store.db import _audit, connect


def append_audit(db_path: str | Path, actor: str | None, action: str, entity: str,
                 entity_id: str | None = None, village: str | None = None, before: Any = None,
                 after: Any = None) -> None:
    """Append one audit row on its own (a write with no other table to change)."""
    with connect(db_path) as db, db.atomic():
        _audit(db, actor, action, entity, entity_id, village, before, after)


def audit_rows(db_path: str | Path, village: str | None = None, entity: str | None = None,
               entity_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Audit rows, newest first, of one village, entity or entity id (all when None)."""
    clauses, params = [], []
    for column, value in (("village_code", village), ("entity", entity), ("entity_id", entity_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    with connect(db_path) as db:
        rows = list(db.query(f"SELECT * FROM audit{where} ORDER BY id DESC LIMIT ?", [*params, limit]))
    for r in rows:
        r["before"] = None if r["before"] is None else json.loads(r["before"])
        r["after"] = None if r["after"] is None else json.loads(r["after"])
    return rows


# users: the password hash never leaves these functions except through user_row(with_hash=True),
# and never enters an audit row.
