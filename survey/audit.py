"""The audit trail: who changed what, when, with the values before and after.

Rows are appended by the store in the same transaction as the change they record (logins,
drafts, submissions, review decisions, registry imports, rounds, targets, belts, accounts); the
table is append-only (SQLite triggers abort any UPDATE or DELETE of it). This module reads the
trail within a user's scope and records the writes that have no table of their own (a changed
rubric).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import UsageError
from survey import store
from survey.auth import User


@dataclass(frozen=True)
class Entry:
    """One audit row. ``action`` is ``<entity>.<verb>`` (e.g. ``review.returned``)."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str | None
    village: str | None
    before: Any
    after: Any


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(id=row["id"], at=row["at"], actor=row["actor"], action=row["action"],
                 entity=row["entity"], entity_id=row["entity_id"], village=row["village_code"],
                 before=row["before"], after=row["after"])


def village_history(db_path: str | Path, user: User, village_code: str,
                    limit: int = 500) -> list[Entry]:
    """Everything recorded about one village, newest first, for a reviewer or admin whose
    scope holds it (:class:`NotFound` otherwise: an out-of-scope village looks unknown)."""
    if not user.reviews:
        raise UsageError("forbidden")
    user.scope.check(village_code)
    return [_entry(r) for r in store.audit_rows(db_path, village=village_code, limit=limit)]


def recent(db_path: str | Path, user: User, limit: int = 200) -> list[Entry]:
    """The newest entries of the whole trail (admin only)."""
    if not user.admin:
        raise UsageError("forbidden")
    return [_entry(r) for r in store.audit_rows(db_path, limit=limit)]


def note_rubric(db_path: str | Path, rubric, actor: str | None = None) -> bool:
    """Record the rubric in force when it differs from the one last recorded (the rubric is
    edited as files, so its change is noticed when it is next used). True when recorded."""
    fingerprint = rubric.version
    last = store.audit_rows(db_path, entity="rubric", limit=1)
    if last and last[0]["entity_id"] == fingerprint:
        return False
    store.append_audit(db_path, actor, "rubric.change", "rubric", fingerprint,
                       before={"fingerprint": last[0]["entity_id"]} if last else None,
                       after={"fingerprint": fingerprint, "pass_mark": str(rubric.pass_mark),
                              "total": str(rubric.total)})
    return True


def last_rubric_change(db_path: str | Path, user: User) -> Entry | None:
    """The newest record of the rubric in force changing (its version, when, who), or None
    (administrators: the settings page shows it beside the grade factors)."""
    if not user.admin:
        raise UsageError("forbidden")
    rows = store.audit_rows(db_path, entity="rubric", limit=1)
    return _entry(rows[0]) if rows else None
