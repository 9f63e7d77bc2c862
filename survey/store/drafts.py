"""The tablet's drafts: saved on every change (or a batch of changes synced from a tablet that
was offline: :func:`change_draft`), closed when their submission is stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from core.errors import NotFound
from survey.store.db import _audit, _changes, _json, _now, connect


def save_draft(db_path: str | Path, round_id: str, village_code: str, surveyor: str,
               payload: dict[str, Any], actor: str | None = None) -> None:
    """Save (replace) the draft of one village, round and surveyor (audited: what changed)."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT payload FROM drafts WHERE round_id = ? AND village_code = ? "
                                 "AND surveyor = ?", [round_id, village_code, surveyor])), None)
        before, after = _changes(json.loads(old["payload"]) if old else None, payload)
        if before or after:
            _audit(db, actor or surveyor, "draft.save", "draft", f"{round_id}/{village_code}/{surveyor}",
                   village_code, before, after)
        db["drafts"].upsert({"round_id": round_id, "village_code": village_code,
                             "surveyor": surveyor, "payload": _json(payload),
                             "updated_at": _now()}, pk=("round_id", "village_code", "surveyor"))


def load_draft(db_path: str | Path, round_id: str, village_code: str, surveyor: str) -> dict[str, Any] | None:
    with connect(db_path) as db:
        rows = list(db.query("SELECT payload FROM drafts WHERE round_id = ? AND village_code = ? "
                             "AND surveyor = ?", [round_id, village_code, surveyor]))
    return json.loads(rows[0]["payload"]) if rows else None


def submitted_count(db_path: str | Path, round_id: str, village_code: str, surveyor: str) -> int:
    """How many submissions of ``surveyor`` for the village the round holds (published ones)."""
    with connect(db_path) as db:
        return db.execute("SELECT count(*) FROM submissions WHERE round_id = ? AND village_code = ? "
                          "AND surveyor = ?", [round_id, village_code, surveyor]).fetchone()[0]


def delete_draft(db_path: str | Path, round_id: str, village_code: str, surveyor: str,
                 actor: str | None = None) -> None:
    with connect(db_path) as db, db.atomic():
        if db.execute("DELETE FROM drafts WHERE round_id = ? AND village_code = ? AND surveyor = ?",
                      [round_id, village_code, surveyor]).rowcount:
            _audit(db, actor or surveyor, "draft.delete", "draft",
                   f"{round_id}/{village_code}/{surveyor}", village_code)


def _close(db: Database, round_id: str, village_code: str, surveyor: str, submission_id: str,
           actor: str | None) -> int:
    """Inside the caller's transaction: link the draft's photos to ``submission_id`` and delete
    the draft. Returns the number of photos linked."""
    linked = db.execute(
        "UPDATE photos SET submission_id = ? WHERE round_id = ? AND village_code = ? "
        "AND surveyor = ? AND submission_id IS NULL",
        [submission_id, round_id, village_code, surveyor]).rowcount
    if db.execute("DELETE FROM drafts WHERE round_id = ? AND village_code = ? AND surveyor = ?",
                  [round_id, village_code, surveyor]).rowcount or linked:
        _audit(db, actor or surveyor, "draft.close", "submission", submission_id, village_code,
               after={"photos": linked})
    return linked


def close_draft(db_path: str | Path, round_id: str, village_code: str, surveyor: str,
                submission_id: str, actor: str | None = None) -> int:
    """Close the draft of a submission stored before (a submission saved with its draft closes
    it in the same transaction: this is for drafts left from before that rule). Returns the
    number of photos linked; a repeat is a no-op."""
    with connect(db_path) as db, db.atomic():
        if not list(db.query("SELECT 1 FROM submissions WHERE id = ?", [submission_id])):
            raise NotFound("submission_unknown", value=submission_id)
        return _close(db, round_id, village_code, surveyor, submission_id, actor)


def reopen_draft(db_path: str | Path, submission_id: str, surveyor: str,
                 payload: dict[str, Any], actor: str | None) -> bool:
    """Start the correction of a returned submission: a draft of ``surveyor`` holding
    ``payload`` and copies of the submission's photos. Returns False (changing nothing) when
    that surveyor has a draft of the village in the round already."""
    import uuid

    with connect(db_path) as db, db.atomic():
        sub = next(iter(db.query("SELECT round_id, village_code FROM submissions WHERE id = ?",
                                 [submission_id])), None)
        if sub is None:
            raise NotFound("submission_unknown", value=submission_id)
        key = [sub["round_id"], sub["village_code"], surveyor]
        if list(db.query("SELECT 1 FROM drafts WHERE round_id = ? AND village_code = ? "
                         "AND surveyor = ?", key)):
            return False
        now = _now()
        db["drafts"].insert({"round_id": key[0], "village_code": key[1], "surveyor": surveyor,
                             "payload": _json(payload), "updated_at": now})
        photos = list(db.query("SELECT item_code, sha256, jpeg, width, height FROM photos "
                               "WHERE submission_id = ?", [submission_id]))
        db["photos"].insert_all([dict(p, id=uuid.uuid4().hex, round_id=key[0], village_code=key[1],
                                      surveyor=surveyor, created_at=now, submission_id=None)
                                 for p in photos])
        _audit(db, actor or surveyor, "draft.reopen", "submission", submission_id, key[1],
               after={"draft": payload.get("id"), "photos": len(photos)})
    return True


def _submission_status(db: Database, draft_id: str) -> dict[str, Any] | None:
    """Inside the caller's transaction: the status and date of the submission stored under a
    draft's id (a draft becomes its submission), or None."""
    return next(iter(db.query("SELECT status, date FROM submissions WHERE id = ?", [draft_id])), None)


def change_draft(db_path: str | Path, round_id: str, village_code: str, surveyor: str,
                 draft_id: str, change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
                 actor: str | None = None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """One write transaction for the tablet's sync: when ``draft_id`` was submitted already,
    return ``(submission status and date, None)`` and change nothing; otherwise call
    ``change(payload)`` with the saved draft of (round, village, surveyor) (None when there is
    none) and save what it returns (None: nothing to save), audited with what changed (the
    per-field sequence numbers ``seqs`` left out of the audit). Returns ``(None, payload)``
    with the payload now saved."""
    key = [round_id, village_code, surveyor]
    with connect(db_path) as db, db.atomic():
        submitted = _submission_status(db, draft_id)
        if submitted is not None:
            return submitted, None
        row = next(iter(db.query("SELECT payload FROM drafts WHERE round_id = ? AND village_code = ? "
                                 "AND surveyor = ?", key)), None)
        old = json.loads(row["payload"]) if row else None
        new = change(old)
        if new is None or new == old:
            return None, old
        before, after = _changes({k: v for k, v in (old or {}).items() if k != "seqs"},
                                 {k: v for k, v in new.items() if k != "seqs"})
        if before or after or old is None:
            _audit(db, actor or surveyor, "draft.save", "draft", "/".join(key), village_code,
                   before, after)
        db["drafts"].upsert({"round_id": round_id, "village_code": village_code,
                             "surveyor": surveyor, "payload": _json(new), "updated_at": _now()},
                            pk=("round_id", "village_code", "surveyor"))
        return None, new
