"""Key-value settings of the database, and counts."""

from __future__ import annotations

from pathlib import Path

from survey.store.db import connect


def set_meta(db_path: str | Path, key: str, value: str) -> None:
    with connect(db_path) as db, db.atomic():
        db["meta"].upsert({"key": key, "value": value}, pk="key")


def get_meta(db_path: str | Path, key: str) -> str | None:
    with connect(db_path) as db:
        rows = list(db.query("SELECT value FROM meta WHERE key = ?", [key]))
    return rows[0]["value"] if rows else None


def stats(db_path: str | Path) -> dict[str, int]:
    """Counts of counties, townships, villages, roads, rounds and submissions."""
    with connect(db_path) as db:
        return {name: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for name, table in (
            ("counties", "counties"), ("townships", "townships"), ("villages", "villages"),
            ("roads", "roads"), ("rounds", "rounds"), ("submissions", "submissions"))}
