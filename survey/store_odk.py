"""SQL of imported submissions: a batch stored with its photos in one transaction, and where each
submission came from (``submissions.source``: tablet, odk, kobo, jsonl; migration 5).

:func:`save_imported` is :func:`survey.store.save_submissions` (same rows, same rules: a repeat
with the same content is skipped, the same id with other content is a conflict, missing rounds
are created, a returned version is superseded, one audit row per submission) plus the source
and the photos of each new submission, written in the same transaction: a submission is never
stored without its photos, nor a photo without its submission.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DataError, problem
from survey.store import (
    _audit_row,
    _bump,
    _dec,
    _insert_rows,
    _json,
    _link_versions,
    _now,
    _value_json,
    connect,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.scoring import Score
    from survey.submissions import Submission

#: Where a submission came from, as stored.
SOURCES: tuple[str, ...] = ("tablet", "odk", "kobo", "jsonl")


@dataclass(frozen=True)
class NewPhoto:
    """A prepared photo of one item of a submission (see :func:`survey.photos.prepare`)."""

    item_code: str
    sha256: str
    jpeg: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Saved:
    added: int
    skipped: int
    photos: int


def stored_ids(db_path: str | Path, ids: Iterable[str]) -> set[str]:
    """The ids of ``ids`` stored already."""
    ids = list(ids)
    found: set[str] = set()
    with connect(db_path) as db:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            found.update(r[0] for r in db.execute(
                f"SELECT id FROM submissions WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
    return found


def save_imported(
    db_path: str | Path,
    scored: Iterable[tuple[Submission, Score]],
    source: str,
    photos: Mapping[str, Sequence[NewPhoto]] | None = None,
    located: Mapping[str, tuple[str, int | None]] | None = None,
    actor: str | None = None,
) -> Saved:
    """Store scored submissions from ``source`` (one of :data:`SOURCES`) and the ``photos`` of
    each (submission id -> photos), all or nothing. ``located`` (id -> (file, line)) locates a
    conflict. Returns how many submissions were added and skipped, and photos stored."""
    from survey.submissions import canonical

    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    scored = list(scored)
    photos = photos or {}
    located = located or {}
    now = _now()
    with connect(db_path) as db, db.atomic():
        stored: dict[str, str] = {}
        ids = [s.id for s, _ in scored]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            stored.update(db.execute(
                f"SELECT id, content FROM submissions WHERE id IN ({','.join('?' * len(chunk))})",
                chunk).fetchall())
        problems, rows, items, pictures, seen = [], [], [], [], set()
        for sub, score in scored:
            content = canonical(sub)
            if sub.id in stored or sub.id in seen:
                if stored.get(sub.id, content) != content:
                    file, line = located.get(sub.id, ("submission", None))
                    problems.append(problem("submission_conflict", file, line, "id", value=sub.id))
                continue
            seen.add(sub.id)
            rows.append({
                "id": sub.id, "village_code": sub.village, "round_id": sub.round, "date": sub.date,
                "surveyor": sub.surveyor, "lon": sub.lon, "lat": sub.lat,
                "gps_accuracy_m": sub.gps_accuracy_m, "answers": _json(sub.answers),
                "veto": _json(list(sub.veto)), "notes": _json(sub.notes), "content": content,
                "sections": _json({k: _dec(v) for k, v in score.sections.items()}),
                "total": _dec(score.total), "total_num": float(score.total),
                "passed": int(score.passed), "findings": score.findings,
                "status": "pending", "received_at": now, "source": source,
            })
            items.extend((sub.id, it.code, _value_json(it.value), _dec(it.points), _dec(it.lost),
                          float(it.lost), int(it.finding)) for it in score.items)
            pictures.extend({"id": uuid.uuid4().hex, "round_id": sub.round, "village_code": sub.village,
                             "surveyor": sub.surveyor, "item_code": p.item_code, "sha256": p.sha256,
                             "jpeg": p.jpeg, "width": p.width, "height": p.height, "created_at": now,
                             "submission_id": sub.id} for p in photos.get(sub.id, ()))
        if problems:
            raise DataError(problems)
        if rows:
            known = {r[0] for r in db.execute("SELECT id FROM rounds").fetchall()}
            new_rounds = sorted({r["round_id"] for r in rows} - known)
            _insert_rows(db, "rounds", [{"id": r, "name": r, "start_date": None, "end_date": None,
                                         "created_at": now} for r in new_rounds])
            _link_versions(db, rows)
            _insert_rows(db, "submissions", rows)
            db.conn.executemany(
                "INSERT INTO submission_items (submission_id, item_code, value, points, lost, lost_num, "
                "finding) VALUES (?, ?, ?, ?, ?, ?, ?)", items)
            _insert_rows(db, "photos", pictures)
            by_sub: dict[str, int] = {}
            for p in pictures:
                by_sub[p["submission_id"]] = by_sub.get(p["submission_id"], 0) + 1
            _insert_rows(db, "audit", [_audit_row(
                actor or r["surveyor"], "submission.add", "submission", r["id"], r["village_code"],
                after={**{k: r[k] for k in ("round_id", "date", "surveyor", "total", "passed",
                                            "supersedes", "source")}, "photos": by_sub.get(r["id"], 0)},
                at=now) for r in rows])
            _bump(db)
    return Saved(added=len(rows), skipped=len(scored) - len(rows), photos=len(pictures))


def submission_sources(db_path: str | Path, ids: Iterable[str]) -> dict[str, str]:
    """Submission id -> where it came from (``tablet``, ``odk``, ``kobo``, ``jsonl``)."""
    ids = list(dict.fromkeys(ids))
    out: dict[str, str] = {}
    with connect(db_path) as db:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            out.update(db.execute(
                f"SELECT id, source FROM submissions WHERE id IN ({','.join('?' * len(chunk))})",
                chunk).fetchall())
    return out
