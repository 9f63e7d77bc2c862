"""Assessment rounds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from core.errors import NotFound, UsageError
from core.model import Round
from survey.store.db import _audit, _bump, _json, _now, connect


def _round(row: dict[str, Any]) -> Round:
    return Round(id=row["id"], name=row["name"], start_date=row["start_date"],
                 end_date=row["end_date"], created_at=row["created_at"], kind=row["kind"],
                 cadence=row["cadence"], counts=bool(row["counts"]), rubric_version=row["rubric_version"])


def _record(rnd: Round) -> dict[str, Any]:
    return dict(rnd.__dict__, counts=int(rnd.counts))


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


def create_round(db_path: str | Path, rnd: Round, actor: str | None = None,
                 documents: dict[str, str] | None = None) -> Round:
    """Open a new round; :class:`UsageError` when the id exists. ``documents``: the files of the
    rubric it is pinned to (``rnd.rubric_version``), kept once per version."""
    created = replace(rnd, created_at=rnd.created_at or _now())
    with connect(db_path) as db, db.atomic():
        if list(db.query("SELECT 1 FROM rounds WHERE id = ?", [rnd.id])):
            raise UsageError("round_exists", value=rnd.id)
        if created.rubric_version and documents is not None:
            _keep(db, created.rubric_version, documents)
        db["rounds"].insert(_record(created))
        _audit(db, actor, "round.add", "round", rnd.id, after=_record(created))
        _bump(db)
    return created


def _keep(db: Database, version: str, documents: dict[str, str]) -> None:
    """Inside a write transaction: keep the rubric files of ``version`` (once)."""
    db.execute("INSERT OR IGNORE INTO rubric_versions (version, documents, created_at) VALUES (?, ?, ?)",
               [version, _json(documents), _now()])


def rubric_documents(db_path: str | Path, version: str) -> dict[str, str]:
    """The files of a kept rubric version; NotFound when it was never kept."""
    with connect(db_path) as db:
        row = next(iter(db.query("SELECT documents FROM rubric_versions WHERE version = ?", [version])), None)
    if row is None:
        raise NotFound("rubric_version_unknown", value=version)
    return json.loads(row["documents"])
