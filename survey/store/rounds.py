"""Assessment rounds."""

from __future__ import annotations

from pathlib import Path
from typing import Any


from core.errors import NotFound, UsageError
from core.model import Round
from survey.store.db import _audit, _bump, _now, connect


def _round(row: dict[str, Any]) -> Round:
    return Round(id=row["id"], name=row["name"], start_date=row["start_date"],
                 end_date=row["end_date"], created_at=row["created_at"])


def rounds(db_path: str | Path) -> list[Round]:
    """All rounds, oldest first (by start date, then creation time, then id)."""
    with connect(db_path) as db:
        return [_round(r) for r in db.query(
            "SELECT * FROM rounds ORDER BY COALESCE(start_date, created_at), created_at, id")]


def get_round(db_path: str | Path, round_id: str) -> Round:
    """The round ``round_id``; :class:`NotFound` naming the known rounds otherwise."""
    with connect(db_path) as db:
        rows = list(db.query("SELECT * FROM rounds WHERE id = ?", [round_id]))
        if rows:
            return _round(rows[0])
        known = [r["id"] for r in db.query("SELECT id FROM rounds ORDER BY id")]
    raise NotFound("round_unknown", value=round_id, known="、".join(known) or "（无 none）")


def create_round(db_path: str | Path, rnd: Round, actor: str | None = None) -> Round:
    """Open a new round; :class:`UsageError` when the id exists."""
    created = Round(rnd.id, rnd.name, rnd.start_date, rnd.end_date, rnd.created_at or _now())
    with connect(db_path) as db, db.atomic():
        if list(db.query("SELECT 1 FROM rounds WHERE id = ?", [rnd.id])):
            raise UsageError("round_exists", value=rnd.id)
        db["rounds"].insert(created.__dict__)
        _audit(db, actor, "round.add", "round", rnd.id, after=created.__dict__)
        _bump(db)
    return created
