"""The store of sign-in handoffs: one-time codes with which the browser collects its session
cookie from the server (``survey.auth.start_handoff``). A row holds the SHA-256 of the code,
never the code; the session token only sealed with the code (``survey.auth``); the account;
and the moment it expires. Taking a row deletes it, so a code works once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from survey.store.db import connect


def insert_handoff(db_path: str | Path, code_digest: str, name: str, session_digest: str,
                   sealed: str, now: str, expires: str) -> None:
    """Keep a handoff of ``name``'s session until ``expires`` (and drop everybody's expired
    ones). Times are ISO UTC text of one format, so they compare as strings."""
    with connect(db_path) as db, db.atomic():
        db.execute("DELETE FROM session_handoffs WHERE expires_at <= ?", [now])
        db["session_handoffs"].insert({"code_sha256": code_digest, "user_name": name,
                                       "session_sha256": session_digest, "sealed": sealed,
                                       "expires_at": expires})


def take_handoff(db_path: str | Path, code_digest: str) -> dict[str, Any] | None:
    """The handoff of the code whose SHA-256 is ``code_digest``, deleted in the same statement
    (None when there is none: never made, or taken already)."""
    with connect(db_path) as db, db.atomic():
        rows = list(db.query("DELETE FROM session_handoffs WHERE code_sha256 = ? RETURNING *",
                             [code_digest]))
    return rows[0] if rows else None
