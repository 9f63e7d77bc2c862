"""Accounts and sign-in bookkeeping. The password hash never leaves these functions except
through ``user_row(with_hash=True)``, and never enters an audit row."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any


from core.errors import NotFound, UsageError
from survey.store.db import _audit, _changes, _json, _now, connect
from survey.store.audit import append_audit


_USER_PUBLIC = ("name, display_name, role, county_code, townships, disabled, failed_logins, "
                "locked_until, created_at, updated_at")


def _user(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["townships"] = tuple(json.loads(row["townships"]))
    row["disabled"] = bool(row["disabled"])
    return row


def _user_audit(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: row[k] for k in ("display_name", "role", "county_code", "townships", "disabled")}


def user_rows(db_path: str | Path) -> list[dict[str, Any]]:
    """Every account (no password hashes), sorted by name."""
    with connect(db_path) as db:
        return [_user(r) for r in db.query(f"SELECT {_USER_PUBLIC} FROM users ORDER BY name")]


def user_row(db_path: str | Path, name: str, with_hash: bool = False) -> dict[str, Any] | None:
    """One account by login name, or None."""
    columns = _USER_PUBLIC + (", password_hash" if with_hash else "")
    with connect(db_path) as db:
        rows = list(db.query(f"SELECT {columns} FROM users WHERE name = ?", [name]))
    return _user(rows[0]) if rows else None


def user_count(db_path: str | Path) -> int:
    with connect(db_path) as db:
        return db.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def insert_user(db_path: str | Path, name: str, display_name: str, role: str, county: str,
                townships: Iterable[str], password_hash: str, actor: str | None) -> None:
    """Create an account; :class:`UsageError` when the name or display name is taken."""
    now = _now()
    record = {"name": name, "display_name": display_name, "role": role, "county_code": county,
              "townships": _json(list(townships)), "password_hash": password_hash, "disabled": 0,
              "failed_logins": 0, "locked_until": None, "created_at": now, "updated_at": now}
    with connect(db_path) as db, db.atomic():
        if list(db.query("SELECT 1 FROM users WHERE name = ? OR display_name = ?", [name, display_name])):
            raise UsageError("user_exists", value=name, display=display_name)
        db["users"].insert(record)
        _audit(db, actor, "user.add", "user", name,
               after=_user_audit(dict(record, townships=list(townships), disabled=False)))


def update_user(db_path: str | Path, name: str, actor: str | None, **changes: Any) -> None:
    """Change columns of an account (``display_name``, ``role``, ``county_code``, ``townships``,
    ``disabled``, ``password_hash``, ``locked_until``, ``failed_logins``); :class:`NotFound`
    for an unknown name. The audit row names a password change without any hash."""
    with connect(db_path) as db, db.atomic():
        rows = list(db.query(f"SELECT {_USER_PUBLIC}, password_hash FROM users WHERE name = ?", [name]))
        if not rows:
            raise NotFound("user_unknown", value=name)
        before = _user(rows[0])
        values = dict(changes)
        if "townships" in values:
            values["townships"] = _json(list(values["townships"]))
        if "disabled" in values:
            values["disabled"] = int(values["disabled"])
        values["updated_at"] = _now()
        try:
            db["users"].update(name, values)
        except sqlite3.IntegrityError:
            raise UsageError("user_exists", value=name, display=values.get("display_name")) from None
        after = _user(next(iter(db.query(f"SELECT {_USER_PUBLIC} FROM users WHERE name = ?", [name]))))
        old, new = _changes(_user_audit(before), _user_audit(after))
        if "password_hash" in changes:
            old["password"], new["password"] = "***", "***（已更改 changed）"
        if "password_hash" in changes or changes.get("disabled"):
            # a new password or a disabled account ends every browser signed in as it
            db.execute("DELETE FROM sessions WHERE user_name = ?", [name])
        _audit(db, actor, "user.update", "user", name, before=old, after=new)


def login_failed(db_path: str | Path, name: str, max_failures: int, lock_until: str) -> str | None:
    """Count a failed login of ``name`` (any name: unknown ones are only recorded). At the
    ``max_failures``-th failure in a row the account is locked until ``lock_until`` and the count
    starts again. Returns the time the account is locked until, or None."""
    with connect(db_path) as db, db.atomic():
        rows = list(db.query("UPDATE users SET failed_logins = failed_logins + 1 WHERE name = ? "
                             "RETURNING failed_logins", [name]))
        locked = None
        if rows and rows[0]["failed_logins"] >= max_failures:
            db.execute("UPDATE users SET failed_logins = 0, locked_until = ? WHERE name = ?",
                       [lock_until, name])
            locked = lock_until
        _audit(db, name, "login.failed", "user", name,
               after={"failures": rows[0]["failed_logins"] if rows else None, "locked_until": locked})
    return locked


def login_refused(db_path: str | Path, name: str, reason: str) -> None:
    """Record a refused login (locked or disabled account)."""
    append_audit(db_path, name, "login.refused", "user", name, after={"reason": reason})


def login_succeeded(db_path: str | Path, name: str, new_hash: str | None = None) -> None:
    """Record a login: reset the failure count (and store a re-hashed password when given)."""
    with connect(db_path) as db, db.atomic():
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
        if new_hash:
            values["password_hash"] = new_hash
        db["users"].update(name, values)
        _audit(db, name, "login", "user", name)


def logout(db_path: str | Path, name: str, reason: str) -> None:
    append_audit(db_path, name, "logout", "user", name, after={"reason": reason})


# review: the queue, decisions and versions of submissions
