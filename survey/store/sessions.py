"""Web sign-in sessions: a row per signed-in browser holding the SHA-256 (hex) of its cookie
token, never the token. Times are ISO UTC text of one format (``_now()``), so they compare as
strings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from survey.store.db import _audit, connect

# A row per signed-in browser: the SHA-256 (hex) of its cookie token, never the token. Times are
# ISO UTC text of one format (``_now()``), so they compare as strings.


def insert_session(db_path: str | Path, digest: str, name: str, now: str, expires: str) -> None:
    """Start a session of ``name`` (and drop the expired sessions of everybody)."""
    with connect(db_path) as db, db.atomic():
        db.execute("DELETE FROM sessions WHERE expires_at <= ?", [now])
        db["sessions"].insert({"token_sha256": digest, "user_name": name, "created_at": now,
                               "last_seen": now, "expires_at": expires})


def session_row(db_path: str | Path, digest: str) -> dict[str, Any] | None:
    """The session of the token whose SHA-256 is ``digest``, or None."""
    with connect(db_path) as db:
        rows = list(db.query("SELECT * FROM sessions WHERE token_sha256 = ?", [digest]))
    return rows[0] if rows else None


def touch_session(db_path: str | Path, digest: str, now: str, expires: str, started_after: str,
                  resumed: bool = False) -> bool:
    """Mark the session seen at ``now``, valid until ``expires``; False when it is gone, expired
    or started before ``started_after``. ``resumed``: a new browser connection took it up
    (audited)."""
    with connect(db_path) as db, db.atomic():
        rows = list(db.query("UPDATE sessions SET last_seen = ?, expires_at = ? WHERE token_sha256 = ? "
                             "AND expires_at > ? AND created_at > ? RETURNING user_name",
                             [now, expires, digest, now, started_after]))
        if rows and resumed:
            name = rows[0]["user_name"]
            _audit(db, name, "login.resumed", "user", name)
    return bool(rows)


def delete_session(db_path: str | Path, digest: str) -> None:
    """End one session (signed out, idle, refused)."""
    with connect(db_path) as db, db.atomic():
        db.execute("DELETE FROM sessions WHERE token_sha256 = ?", [digest])
