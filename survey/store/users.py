"""Accounts and sign-in bookkeeping. The password hash (and the HTTP Digest secrets,
``digest_ha1``) never leave these functions except through ``user_row(with_hash=True)`` and the
sign-in halves, and never enter an audit row."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.errors import NotFound, UsageError
from survey.store.audit import append_audit
from survey.store.db import _audit, _changes, _json, _now, connect

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
    """One account by login name, or None (``with_hash``: with ``password_hash`` and
    ``digest_ha1``)."""
    columns = _USER_PUBLIC + (", password_hash, digest_ha1" if with_hash else "")
    with connect(db_path) as db:
        rows = list(db.query(f"SELECT {columns} FROM users WHERE name = ?", [name]))
    return _user(rows[0]) if rows else None


def user_count(db_path: str | Path) -> int:
    with connect(db_path) as db:
        return db.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def insert_user(db_path: str | Path, name: str, display_name: str, role: str, county: str,
                townships: Iterable[str], password_hash: str, actor: str | None,
                digest_ha1: str | None = None) -> None:
    """Create an account; :class:`UsageError` when the name or display name is taken."""
    now = _now()
    record = {"name": name, "display_name": display_name, "role": role, "county_code": county,
              "townships": _json(list(townships)), "password_hash": password_hash, "disabled": 0,
              "failed_logins": 0, "locked_until": None, "created_at": now, "updated_at": now,
              "digest_ha1": digest_ha1}
    with connect(db_path) as db, db.atomic():
        if list(db.query("SELECT 1 FROM users WHERE name = ? OR display_name = ?", [name, display_name])):
            raise UsageError("user_exists", value=name, display=display_name)
        db["users"].insert(record)
        _audit(db, actor, "user.add", "user", name,
               after=_user_audit(dict(record, townships=list(townships), disabled=False)))


def update_user(db_path: str | Path, name: str, actor: str | None, **changes: Any) -> None:
    """Change columns of an account (``display_name``, ``role``, ``county_code``, ``townships``,
    ``disabled``, ``password_hash``, ``digest_ha1``, ``locked_until``, ``failed_logins``); :class:`NotFound`
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


def login_begin(db_path: str | Path, name: str, max_failures: int, now: str) -> tuple[str, dict[str, Any] | None]:
    """The first half of a sign-in, in one write transaction: ``("check", row)`` when the
    password may be checked (the row carries the hash), ``("locked", row)`` when the account is
    locked or ``max_failures`` attempts are under way already (the password is then never
    checked), ``("unknown", None)`` for a name that is no account. Every attempt is counted as a
    failure here and the count is reset by :func:`login_end` when it succeeds: parallel attempts
    cannot all be checked against the same stale count. Refusals are audited; an unknown name is
    recorded without the text typed (it may be a password typed into the wrong field)."""
    with connect(db_path) as db, db.atomic():
        rows = list(db.query(f"SELECT {_USER_PUBLIC}, password_hash, digest_ha1 FROM users WHERE name = ?",
                             [name]))
        if not rows:
            _audit(db, "?", "login.failed", "user", None, after={"account": "unknown"})
            return "unknown", None
        row = _user(rows[0])
        if row["locked_until"] and now < row["locked_until"]:
            _audit(db, name, "login.refused", "user", name, after={"reason": "locked"})
            return "locked", row
        attempt = db.execute("UPDATE users SET failed_logins = failed_logins + 1 WHERE name = ? "
                             "RETURNING failed_logins", [name]).fetchone()[0]
        if attempt > max_failures:
            _audit(db, name, "login.refused", "user", name, after={"reason": "attempts", "attempt": attempt})
            return "locked", row
    return "check", dict(row, attempt=attempt)


def login_end(db_path: str | Path, name: str, ok: bool, max_failures: int, now: str, lock_until: str,
              new_hash: str | None = None, attempt: int = 0, digest_ha1: str | None = None,
              via: str | None = None) -> tuple[str, str | None]:
    """The second half of a sign-in whose password was checked (``ok``), in one write
    transaction: ``("ok", None)`` signed in (failures reset, a re-hashed password stored when
    given: the failures counted up to this ``attempt`` are forgiven, those begun after it still
    count); ``("locked", until)`` when the account got locked meanwhile (a right password loses
    to a lock decided first) or by this failure, the ``max_failures``-th; ``("disabled", None)``;
    ``("failed", None)``. Audited (``via``: how, when not the web page, e.g. ``openrosa``).
    ``digest_ha1``: the Digest secrets to store with a right password (when they changed)."""
    with connect(db_path) as db, db.atomic():
        row = next(iter(db.query("SELECT failed_logins, locked_until, disabled FROM users WHERE name = ?",
                                 [name])), None)
        if row is None:
            return "failed", None
        locked = row["locked_until"] if row["locked_until"] and now < row["locked_until"] else None
        if ok:
            if locked:
                _audit(db, name, "login.refused", "user", name, after={"reason": "locked"})
                return "locked", locked
            if row["disabled"]:
                _audit(db, name, "login.refused", "user", name, after={"reason": "disabled"})
                return "disabled", None
            values: dict[str, Any] = {"failed_logins": max(0, row["failed_logins"] - attempt),
                                      "locked_until": None}
            if new_hash:
                values["password_hash"] = new_hash
            if digest_ha1:
                values["digest_ha1"] = digest_ha1
            db["users"].update(name, values)
            _audit(db, name, "login", "user", name, after={"via": via} if via else None)
            return "ok", None
        failures = row["failed_logins"]
        if not locked and failures >= max_failures:
            db.execute("UPDATE users SET failed_logins = 0, locked_until = ? WHERE name = ?", [lock_until, name])
            locked = lock_until
        _audit(db, name, "login.failed", "user", name, after={"failures": failures, "locked_until": locked}
               | ({"via": via} if via else {}))
        return ("locked", locked) if locked else ("failed", None)


def logout(db_path: str | Path, name: str, reason: str) -> None:
    append_audit(db_path, name, "logout", "user", name, after={"reason": reason})


# review: the queue, decisions and versions of submissions
