"""Review of submissions: the queue (待审核), approve (已通过), return with a comment (已退回),
bulk approve of a filtered list, and correcting a returned submission.

A returned submission is never changed: its surveyor opens it as a new draft (answers, notes,
position and photos copied), corrects and submits it; the store links the new version to the
returned one (``supersedes``). Every function takes the signed-in :class:`~survey.auth.User`
and works within its scope; a submission out of scope looks exactly like an unknown one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.errors import NotFound, UsageError
from core.model import STATUS_APPROVED, STATUS_PENDING, STATUS_RETURNED
from survey import gps, store
from survey.auth import User

#: Where a submission came from: tablet, odk, kobo, jsonl.
SOURCES = store.SOURCES


@dataclass(frozen=True)
class Item:
    """One submission as listed: its village, score, review state and versions."""

    id: str
    round_id: str
    village_code: str
    village: str
    township_code: str
    township: str
    date: str
    surveyor: str
    total: Decimal
    passed: bool
    veto: tuple[str, ...]
    findings: int
    status: str
    supersedes: str | None = None
    superseded_by: str | None = None
    comment: str | None = None
    reviewed_by: str | None = None  # the reviewer's login name
    reviewed_at: str | None = None
    lon: float | None = None
    lat: float | None = None
    gps_accuracy_m: float | None = None
    source: str = "tablet"  # tablet, odk, kobo, jsonl (survey.store.SOURCES)
    reviewer_name: str | None = None  # the reviewer's display name (their login name when gone)
    received_at: str | None = None
    #: the how-many-th submission of this village in the round (1 the first): tells versions apart
    version: int = 1
    #: metres from the village's registry point (None: no position, or the village has none)
    distance_m: float | None = None
    #: GPS problems (``survey.gps.GPS_FLAGS``): far from the village, poor accuracy, no position
    gps_flags: tuple[str, ...] = ()

    @property
    def reviewer(self) -> str:
        """Who reviewed it, as people call them: the display name (the login name when the
        account is gone), empty when nobody has."""
        return self.reviewer_name or self.reviewed_by or ""


@dataclass(frozen=True)
class Detail:
    """A submission opened for review: answers, notes, section points, photos, the items that
    lost points, and every version of it (oldest first)."""

    item: Item
    answers: dict[str, Any]
    notes: dict[str, str]
    sections: dict[str, Decimal]
    photos: list[store.PhotoInfo]
    losses: list[tuple[str, Decimal]]
    versions: list[Item]
    unmet: dict[str, list[str]] = field(default_factory=dict)  # grade item -> its criteria not met
    reported: tuple[str, ...] = ()  # vetoes the surveyor reported (suspected until confirmed)


_FIELDS = ("id", "round_id", "village_code", "village", "township_code", "township", "date",
           "surveyor", "total", "passed", "veto", "findings", "status", "supersedes",
           "superseded_by", "reviewed_by", "reviewed_at", "lon", "lat", "gps_accuracy_m", "source",
           "received_at")


Limits = Callable[[str], tuple[float, float]]


def _gps_limits(db_path: str | Path) -> Limits:
    """County code -> (accuracy, distance) limits in metres: the county's settings
    ``gps_accuracy_m`` and ``gps_distance_m`` (read once per listing)."""
    from survey import settings

    book, seen = settings.book(db_path), {}

    def of(county: str) -> tuple[float, float]:
        if county not in seen:
            local = book.settings(county)
            seen[county] = (float(local.gps_accuracy_m), float(local.gps_distance_m))
        return seen[county]
    return of


def _item(row: dict[str, Any], limits: Limits) -> Item:
    accuracy_limit, distance_limit = limits(row["county_code"])
    distance, flags = gps.assess(row["lon"], row["lat"], row["gps_accuracy_m"],
                                 row.get("village_lon"), row.get("village_lat"),
                                 accuracy_limit_m=accuracy_limit, distance_limit_m=distance_limit)
    return Item(comment=row["review_comment"], reviewer_name=row.get("reviewer_name"),
                version=row.get("version") or 1, distance_m=distance, gps_flags=flags,
                **{f: row[f] for f in _FIELDS})


def _rows(db_path: str | Path, user: User, **filters: Any) -> list[dict[str, Any]]:
    scope = user.scope
    return store.review_rows(db_path, county=scope.county, townships=scope.townships,
                             surveyor=scope.surveyor, **filters)


@dataclass(frozen=True)
class Filter:
    """More ways to narrow the list: a GPS flag (``survey.gps.GPS_FLAGS``, or ``any`` for any
    of them), the surveyor (display name), the source, and the survey dates (ISO, inclusive)."""

    gps: str | None = None
    surveyor: str | None = None
    source: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def keeps(self, item: Item) -> bool:
        if self.gps and not (item.gps_flags if self.gps == "any" else self.gps in item.gps_flags):
            return False
        return ((not self.surveyor or item.surveyor == self.surveyor)
                and (not self.source or item.source == self.source)
                and (not self.date_from or item.date[:10] >= self.date_from)
                and (not self.date_to or item.date[:10] <= self.date_to))


def submissions(db_path: str | Path, user: User, round_id: str | None = None,
                township: str | None = None, statuses: tuple[str, ...] = (),
                passed: bool | None = None, more: Filter | None = None) -> list[Item]:
    """Submissions in the user's scope (a surveyor: their own), by village code then date,
    filtered by round, township, review states, result and ``more``."""
    limits = _gps_limits(db_path)
    items = [_item(r, limits) for r in _rows(db_path, user, round_id=round_id, township=township,
                                             statuses=statuses)]
    return [i for i in items if (passed is None or i.passed == passed)
            and (more is None or more.keeps(i))]


def queue(db_path: str | Path, user: User, round_id: str | None = None,
          township: str | None = None, passed: bool | None = None) -> list[Item]:
    """The submissions waiting for review (待审核) in scope."""
    return submissions(db_path, user, round_id, township, (STATUS_PENDING,), passed)


def awaiting_correction(db_path: str | Path, user: User, round_id: str, village_code: str,
                        surveyor: str) -> Item | None:
    """The submission of ``village_code`` in ``round_id`` by ``surveyor`` that the office
    returned and nobody has corrected yet (the newest, when several), within the user's scope;
    None when there is none. The tablet page shows its comment while the surveyor corrects it."""
    rows = [r for r in _rows(db_path, user, round_id=round_id, statuses=(STATUS_RETURNED,))
            if r["village_code"] == village_code and r["surveyor"] == surveyor and not r["superseded_by"]]
    return _item(rows[-1], _gps_limits(db_path)) if rows else None


def _one(db_path: str | Path, user: User, submission_id: str) -> dict[str, Any]:
    rows = _rows(db_path, user, ids=[submission_id])
    if not rows:
        raise NotFound("submission_unknown", value=submission_id)
    return rows[0]


def detail(db_path: str | Path, user: User, submission_id: str) -> Detail:
    """One submission in scope with everything a reviewer checks."""
    row = _one(db_path, user, submission_id)
    full = store.submission(db_path, submission_id)
    chain = store.review_rows(db_path, round_id=row["round_id"], county=row["county_code"],
                              township=row["township_code"], surveyor=user.scope.surveyor)
    limits = _gps_limits(db_path)
    return Detail(item=_item(row, limits), answers=full["answers"], notes=full["notes"],
                  sections=full["sections"], photos=store.submission_photos(db_path, submission_id),
                  losses=store.item_losses(db_path, [submission_id])[submission_id],
                  versions=_versions(chain, submission_id, limits), unmet=full["unmet"],
                  reported=tuple(full["reported"]))


def _versions(rows: list[dict[str, Any]], submission_id: str, limits: Limits) -> list[Item]:
    """The chain of versions through ``submission_id`` (by ``supersedes``), oldest first."""
    by_id = {r["id"]: r for r in rows}
    first = submission_id
    while by_id.get(first, {}).get("supersedes") in by_id:
        first = by_id[first]["supersedes"]
    chain, current = [], by_id.get(first)
    while current is not None:
        chain.append(_item(current, limits))
        current = by_id.get(current["superseded_by"] or "")
    return chain


def photo(db_path: str | Path, user: User, submission_id: str, photo_id: str) -> bytes:
    """The JPEG of one photo of a submission in scope."""
    _one(db_path, user, submission_id)
    if photo_id not in {p.id for p in store.submission_photos(db_path, submission_id)}:
        raise NotFound("photo_unknown", value=photo_id)
    return store.photo_jpeg(db_path, photo_id)


def approve(db_path: str | Path, user: User, ids: list[str], comment: str | None = None,
            today: date | None = None) -> int:
    """Approve pending submissions in scope, all or nothing (a bulk approval passes the ids of
    the filtered list the reviewer saw). Each finding of an approved submission opens one
    fix-it ledger entry in the same transaction (:mod:`survey.ledger`; due from ``today``, the
    approval's day), never twice. Returns how many were approved."""
    return _decide(db_path, user, ids, STATUS_APPROVED, comment, today)


def approve_round(db_path: str | Path, user: User, round_id: str, villages: list[str] | tuple[str, ...] = (),
                  today: date | None = None) -> tuple[int, list[str]]:
    """Approve every pending submission of ``round_id`` in scope (only those of ``villages``
    when given), all or nothing: ``approve --round R --as NAME [--village CODE ...]``. Returns
    how many were approved and the named villages that had none pending. NotFound for an
    unknown round, or a named village unknown or out of scope."""
    if not user.reviews:
        raise UsageError("forbidden")
    store.get_round(db_path, round_id)
    named = list(dict.fromkeys(villages))
    for code in named:
        user.scope.check(code)
        store.village(db_path, code)
    rows = _rows(db_path, user, round_id=round_id, statuses=(STATUS_PENDING,))
    if named:
        rows = [r for r in rows if r["village_code"] in set(named)]
    ids = [r["id"] for r in rows]
    approved = _decide(db_path, user, ids, STATUS_APPROVED, None, today, in_scope=True) if ids else 0
    pending = {r["village_code"] for r in rows}
    return approved, [code for code in named if code not in pending]


def reviewer(db_path: str | Path, name: str) -> User:
    """The account ``name`` acting as a reviewer from the command line (``--as NAME``): it must
    exist, be active, and review (reviewer or administrator)."""
    from survey.auth import get_user

    found = get_user(db_path, name)
    if found is None:
        raise NotFound("user_unknown", value=name)
    if found.disabled:
        raise UsageError("login_disabled")
    if not found.reviews:
        raise UsageError("approve_as_role", value=name)
    return found


def return_(db_path: str | Path, user: User, submission_id: str, comment: str) -> int:
    """Return a pending submission to its surveyor with a comment (required)."""
    if not (comment or "").strip():
        raise UsageError("review_comment")
    return _decide(db_path, user, [submission_id], STATUS_RETURNED, comment.strip())


def _decide(db_path: str | Path, user: User, ids: list[str], status: str,
            comment: str | None, today: date | None = None, in_scope: bool = False) -> int:
    """``in_scope``: the ids were read within the user's scope just before."""
    from survey import ledger

    if not user.reviews:
        raise UsageError("forbidden")
    found = set(ids) if in_scope else {r["id"] for r in _rows(db_path, user, ids=ids)}
    for sid in ids:
        if sid not in found:
            raise NotFound("submission_unknown", value=sid)
    entries = ledger.plan(db_path, ids, today) if status == STATUS_APPROVED else ()
    return store.decide(db_path, ids, status, user.name, (comment or "").strip() or None, entries)


def correct(db_path: str | Path, user: User, submission_id: str) -> tuple[str, str]:
    """Open a returned submission of one's own as a new draft (the returned version is kept;
    the next submit supersedes it). Returns (round id, village code) of the draft. A draft of
    that village kept from before is left as it is."""
    from survey.fieldwork import Draft

    row = _one(db_path, user, submission_id)
    if row["surveyor"] != user.display_name:
        raise NotFound("submission_unknown", value=submission_id)
    if row["status"] != STATUS_RETURNED or row["superseded_by"]:
        raise UsageError("review_not_returned", value=submission_id)
    full = store.submission(db_path, submission_id)
    fix = None
    if row["lon"] is not None and row["lat"] is not None:
        fix = {"lon": row["lon"], "lat": row["lat"], "accuracy_m": row["gps_accuracy_m"],
               "source": "browser" if row["gps_accuracy_m"] is not None else "manual"}
    from survey.scoring import met_from_unmet
    from survey.service import rubric_for_round

    rubric = rubric_for_round(db_path, row["round_id"])
    # the grade items answered by criteria get them again (one graded by a letter only, stored
    # before criteria were carried, keeps its letter but is answered again criterion by criterion)
    criteria = {item.code: met_from_unmet(item, full["unmet_numbers"][item.code])
                for item in rubric.items if item.type == "grade" and item.code in full["unmet_numbers"]}
    answers = dict(full["answers"])
    draft = Draft(round_id=row["round_id"], village=row["village_code"], surveyor=user.display_name,
                  id=str(uuid.uuid4()), started=datetime.now(UTC).isoformat(timespec="seconds"),
                  answers=answers, notes=full["notes"], veto=tuple(full["reported"] or full["veto_own"]),
                  criteria={code: tuple(met) for code, met in criteria.items()})
    payload = draft.payload() | {"fix": fix}
    store.reopen_draft(db_path, submission_id, user.display_name, payload, user.name)
    return row["round_id"], row["village_code"]
