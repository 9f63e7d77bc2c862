"""Stored submissions, their scored items and round results.

Scores are stored as exact decimal text (``"84.5"``) beside a REAL copy used only for sorting
and aggregate queries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlite_utils import Database

from core.errors import DataError, UsageError, problem
from survey.store.db import _audit_row, _bump, _dec, _insert_rows, _json, _now, _value_json, connect
from survey.store.drafts import _close
from survey.store.photos import NewPhoto
from survey.store.rounds import _keep
from survey.store.vetoes import _apply, _office

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.scoring import Score
    from survey.submissions import Submission


#: Where a submission came from, as stored: the tablet page, ODK Central, KoboToolbox, JSON Lines.
SOURCES: tuple[str, ...] = ("tablet", "odk", "kobo", "jsonl")

#: Submissions written per transaction when a large import is staged (a tablet's save waits for
#: one chunk at most, never for the whole import).
CHUNK = 1000


def save_submissions(
    db_path: str | Path,
    scored: Iterable[tuple[Submission, Score]],
    located: Mapping[str, tuple[str, int | None]] | None = None,
    actor: str | None = None,
    drafts: Mapping[str, tuple[str, str, str]] | None = None,
    chunk: int = CHUNK,
    origin: str = "tablet",
    photos: Mapping[str, Sequence[NewPhoto]] | None = None,
    versions: Mapping[str, tuple[str, Mapping[str, str]]] | None = None,
) -> tuple[int, int]:
    """Store scored submissions exactly once, all or nothing; return (added, skipped).

    A submission whose id is stored already with the same content is skipped (a resubmit after
    a dropped connection); the same id with *different* content is a conflict: nothing of the
    batch is written and :class:`DataError` names each conflict (``located``: id -> (file, line),
    when given). Missing rounds are created (named by their id). A new
    submission of a village whose latest version in the round was returned supersedes it (the
    returned version is kept). Each stored submission appends an audit row (``actor``, else its
    surveyor). ``drafts`` (submission id -> (round, village, surveyor) of the tablet draft it
    came from): each such draft is closed (photos linked, draft deleted) in the same transaction,
    so a crash can never leave a submission without its photos. ``origin``: where they came from
    (:data:`SOURCES`); ``photos``: submission id -> its photos (an import's), written with it;
    ``versions``: round id -> (version, files) of the rubric that scored its submissions: recorded
    on each, kept, and pinned on a round that has no rubric yet (one this call creates, or one
    opened before rubrics were pinned), in the same transaction.

    Everything but the writing is prepared before the write transaction begins. Up to ``chunk``
    new submissions are written in one transaction; more are staged: written ``chunk`` at a time
    as an unpublished batch (no reader sees them), then published in one short transaction, so
    an import of 50,000 never holds the write lock for long. A failed or interrupted batch is
    removed (:func:`clean_batches`) and nothing of it was ever visible.
    """
    if origin not in SOURCES:
        raise ValueError(f"unknown origin {origin!r}")
    located = located or {}
    now = _now()
    versions = versions or {}
    prepared = [_prepare(sub, score, now, actor, origin, (photos or {}).get(sub.id, ()),
                         versions[sub.round][0] if sub.round in versions else None) for sub, score in scored]
    if len(prepared) > chunk:
        clean_batches(db_path)
    with connect(db_path) as db:
        with db.atomic():  # one write transaction from the first read: no two writers add one id
            stored = _stored(db, [p.row["id"] for p in prepared])
            new, problems, seen = [], [], set()
            for p in prepared:
                sid = p.row["id"]
                if sid in stored or sid in seen:
                    if not _same(stored.get(sid, p.row["content"]), p.row["content"]):
                        file, line = located.get(sid, ("submission", None))
                        problems.append(problem("submission_conflict", file, line, "id", value=sid))
                    continue
                seen.add(sid)
                new.append(p)
            if problems:
                raise DataError(problems)
            if len(new) <= chunk:
                _publish(db, new, None, actor, now, versions)
                for sid, (round_id, village, surveyor) in (drafts or {}).items():
                    if sid in seen or sid in stored:
                        _close(db, round_id, village, surveyor, sid, actor)
                return len(new), len(prepared) - len(new)
            batch = uuid.uuid4().hex
            created = _create_rounds(db, [p.row for p in new], now, versions)  # the rows refer to them
            db["import_batches"].insert({"id": batch, "started_at": now, "heartbeat": now,
                                         "state": "running", "rows": len(new), "rounds": _json(created)})
        try:
            for start in range(0, len(new), chunk):
                with db.atomic():
                    _write(db, new[start:start + chunk], batch)
                    db.execute("UPDATE import_batches SET heartbeat = ? WHERE id = ?", [_now(), batch])
            with db.atomic():
                _publish(db, new, batch, actor, now, versions)
        except BaseException:
            _drop_batch(db, batch)
            raise
    return len(new), len(prepared) - len(new)


#: id of an ItemScore -> (it, its stored cells but the submission id); the ItemScore is kept so
#: its id is never reused while the entry lives.
_ITEM_CELLS: dict[int, tuple[Any, tuple]] = {}


class _Prepared(NamedTuple):
    row: dict[str, Any]
    items: list[tuple]
    audit: dict[str, Any]
    photos: list[dict[str, Any]]


def _prepare(sub: Submission, score: Score, now: str, actor: str | None, origin: str,
             photos: Sequence[NewPhoto], version: str | None) -> _Prepared:
    """The rows of one submission, built before any lock is taken."""
    from survey.submissions import canonical

    row = {
        "id": sub.id, "village_code": sub.village, "round_id": sub.round, "date": sub.date,
        "surveyor": sub.surveyor, "lon": sub.lon, "lat": sub.lat,
        "gps_accuracy_m": sub.gps_accuracy_m, "answers": _json(sub.answers),
        "veto": _json(list(score.veto)), "notes": _json(sub.notes), "content": canonical(sub),
        "sections": _json({k: _dec(v) for k, v in score.sections.items()}),
        "total": _dec(score.total), "total_num": float(score.total),
        "passed": int(score.passed), "findings": score.findings,
        "status": "pending", "received_at": now, "source": origin, "rubric_version": version,
        # what the surveyor reported (suspected until the office confirms it); what counts from
        # the submission itself (the score's vetoes); the office's records are applied on saving
        "reported": _json(list(sub.veto)), "veto_own": _json(list(score.veto)),
        "reaches": int(score.reaches), "unmet": _json({k: list(v) for k, v in score.unmet.items()}),
    }
    sid, cells = sub.id, _ITEM_CELLS
    items = []
    for it in score.items:  # scores share their ItemScores (survey.scoring.score): cells made once each
        known = cells.get(id(it))
        if known is None or known[0] is not it:
            if len(cells) > 50_000:
                cells.clear()
            known = cells[id(it)] = (it, (it.code, _value_json(it.value), _dec(it.points), _dec(it.lost),
                                          float(it.lost), int(it.finding)))
        items.append((sid, *known[1]))
    pictures = [{"id": uuid.uuid4().hex, "round_id": sub.round, "village_code": sub.village,
                 "surveyor": sub.surveyor, "item_code": p.item_code, "sha256": p.sha256, "jpeg": p.jpeg,
                 "width": p.width, "height": p.height, "created_at": now, "submission_id": sub.id}
                for p in photos]
    return _Prepared(row, items, _added(row, actor, now, photos=len(pictures)), pictures)


def _same(stored: str, new: str) -> bool:
    """True when ``new`` content is the stored submission: the same text, or the same but for
    the ``unmet`` criteria a submission stored before they were carried lacks (an export
    imported again after the upgrade is the same submission, not a conflict)."""
    if stored == new:
        return True
    if '"unmet"' in stored or '"unmet"' not in new:
        return False
    again = json.loads(new)
    again.pop("unmet", None)
    return json.loads(stored) == again


def _stored(db: Database, ids: list[str]) -> dict[str, str]:
    """id -> content of the ids stored already, published or staged by a running import."""
    stored: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        stored.update((r["id"], r["content"]) for r in db.query(
            f"SELECT id, content FROM submission_rows WHERE id IN ({','.join('?' * len(chunk))})", chunk))
    return stored


def _write(db: Database, new: list[_Prepared], batch: str | None) -> None:
    """INSERT the rows and scored items of ``new`` (unpublished while ``batch`` is set)."""
    _insert_rows(db, "submission_rows", [dict(p.row, batch=batch, supersedes=None) for p in new])
    db.conn.executemany(
        "INSERT INTO submission_items (submission_id, item_code, value, points, lost, lost_num, "
        "finding) VALUES (?, ?, ?, ?, ?, ?, ?)", [i for p in new for i in p.items])
    _insert_rows(db, "photos", [photo for p in new for photo in p.photos])


def _publish(db: Database, new: list[_Prepared], batch: str | None, actor: str | None, now: str,
             versions: Mapping[str, tuple[str, Mapping[str, str]]]) -> None:
    """Inside a write transaction: create the missing rounds, write ``new`` (or show the staged
    ``batch``), link versions, audit, and raise the data version. What does not depend on the
    database's state (the audit rows) is built before, so the lock is held for writing only."""
    if not new:
        return
    rows = [p.row for p in new]
    _create_rounds(db, rows, now, versions)
    office = _office(db, rows)  # the office's veto records in force on each one's date
    for r in rows:
        if r["id"] in office:
            _apply(r, office[r["id"]])
    if batch is None:
        _write(db, new, None)
    else:
        state = next(iter(db.query("SELECT state FROM import_batches WHERE id = ?", [batch])), None)
        if state is None or state["state"] != "running":  # removed meanwhile as stale
            raise UsageError("import_interrupted", minutes=STALE_MINUTES)
        db.execute("UPDATE submission_rows SET batch = NULL WHERE batch = ?", [batch])
        db.execute("UPDATE import_batches SET state = 'published', heartbeat = ? WHERE id = ?", [_now(), batch])
        if office:  # written before the records were read: brought up to date now
            db.conn.executemany("UPDATE submission_rows SET veto = ?, passed = ? WHERE id = ?",
                                [(r["veto"], r["passed"], r["id"]) for r in rows if r["id"] in office])
    links = _link_versions(db, rows)  # a returned version now superseded: rare, a few rows
    if links:
        db.conn.executemany("UPDATE submission_rows SET supersedes = ? WHERE id = ?",
                            [(old, sid) for sid, old in links.items()])
    _insert_rows(db, "audit", [_added(r, actor, now, links.get(r["id"]), len(p.photos))
                               if r["id"] in links or r["id"] in office else p.audit for p, r in zip(new, rows)])
    _bump(db)


def _added(row: dict[str, Any], actor: str | None, now: str, supersedes: str | None = None,
           photos: int = 0) -> dict[str, Any]:
    """The audit row of a stored submission."""
    after = {"round_id": row["round_id"], "date": row["date"], "surveyor": row["surveyor"], "total": row["total"],
             "passed": row["passed"], "supersedes": supersedes, "source": row["source"]}
    if photos:
        after["photos"] = photos
    return _audit_row(actor or row["surveyor"], "submission.add", "submission", row["id"], row["village_code"],
                      after=after, at=now)


def _create_rounds(db: Database, rows: list[dict[str, Any]], now: str,
                   versions: Mapping[str, tuple[str, Mapping[str, str]]]) -> list[str]:
    """Keep the rubric files that scored the rows, pin the rounds that have no rubric yet to
    them, and create the rounds the rows name that do not exist yet (named by their id); the
    ids of those created."""
    for version, documents in {v[0]: v[1] for v in versions.values()}.items():
        _keep(db, version, dict(documents))
    known = {r["id"] for r in db.query("SELECT id FROM rounds")}
    named = {r["round_id"] for r in rows}
    new_rounds = sorted(named - known)
    if new_rounds:
        db["rounds"].insert_all([{"id": r, "name": r, "start_date": None, "end_date": None, "created_at": now,
                                  "rubric_version": versions[r][0] if r in versions else None}
                                 for r in new_rounds])
    for round_id in sorted(named & known & set(versions)):
        db.execute("UPDATE rounds SET rubric_version = ? WHERE id = ? AND rubric_version IS NULL",
                   [versions[round_id][0], round_id])
    return new_rounds


#: A running batch whose heartbeat is older than this was left by a crash (a chunk takes seconds).
STALE_MINUTES = 30


def _drop_batch(db: Database, batch: str) -> None:
    """Delete a batch's unpublished rows, a chunk per transaction, and mark it failed."""
    while True:
        with db.atomic():
            ids = [r[0] for r in db.execute("SELECT id FROM submission_rows WHERE batch = ? LIMIT ?",
                                            [batch, CHUNK]).fetchall()]
            if ids:
                marks = ",".join("?" * len(ids))
                db.execute(f"DELETE FROM submission_items WHERE submission_id IN ({marks})", ids)
                db.execute(f"DELETE FROM photos WHERE submission_id IN ({marks})", ids)
                db.execute(f"DELETE FROM submission_rows WHERE id IN ({marks})", ids)
            else:  # and the rounds it created, unless something else uses them by now
                row = next(iter(db.query("SELECT rounds FROM import_batches WHERE id = ?", [batch])), None)
                for round_id in json.loads(row["rounds"]) if row else []:
                    db.execute("DELETE FROM rounds WHERE id = ? AND NOT EXISTS (SELECT 1 FROM submission_rows "
                               "WHERE round_id = ?) AND NOT EXISTS (SELECT 1 FROM drafts WHERE round_id = ?)",
                               [round_id, round_id, round_id])
                db.execute("UPDATE import_batches SET state = 'failed' WHERE id = ? AND state = 'running'",
                           [batch])
                return


def clean_batches(db_path: str | Path, now: datetime | None = None) -> int:
    """Remove the batches left unpublished by a crashed import (heartbeat older than
    :data:`STALE_MINUTES`); returns how many."""
    limit = ((now or datetime.now(UTC)) - timedelta(minutes=STALE_MINUTES)).isoformat(timespec="seconds")
    with connect(db_path) as db:
        stale = [r[0] for r in db.execute(
            "SELECT id FROM import_batches WHERE state = 'running' AND heartbeat < ?", [limit]).fetchall()]
        for batch in stale:
            _drop_batch(db, batch)
    return len(stale)


def _link_versions(db: Database, rows: list[dict[str, Any]]) -> dict[str, str]:
    """New submission id -> the version it supersedes: the latest returned version of the same
    round and village that no other version supersedes yet (one query per round of the batch)."""
    waiting: dict[tuple[str, str], list[str]] = {}
    for round_id in sorted({r["round_id"] for r in rows}):
        for x in db.query(
            "SELECT s.id, s.village_code FROM submissions s WHERE s.round_id = ? AND "
            "s.status = 'returned' AND NOT EXISTS (SELECT 1 FROM submissions n WHERE "
            "n.supersedes = s.id) ORDER BY s.rowid DESC", [round_id]):
            waiting.setdefault((round_id, x["village_code"]), []).append(x["id"])
    links = {}
    for r in rows:
        versions = waiting.get((r["round_id"], r["village_code"]))
        if versions:
            links[r["id"]] = versions.pop(0)
    return links
