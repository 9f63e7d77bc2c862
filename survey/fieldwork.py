"""The tablet page's use cases: open a village's draft, record every change at once, check what is
missing, and submit exactly once.

Every function takes the signed-in :class:`~survey.auth.User`: a surveyor works on the villages of
their scope under their own display name; an administrator entering paper forms may sign with
another name. Anybody else, or a village out of scope, is refused (out of scope looks unknown).

A draft is keyed by (round, village, surveyor) and saved to the database on every change, so a
sleeping tablet, a reload or a server restart loses nothing. Its client id (uuid4) is made when
the draft starts and becomes the submission id: submitting twice stores one row. The date is
fixed at the first submit attempt so that a resubmit (after a dropped connection) has the very
same content, which the store recognises and skips.

The draft's JSON (``drafts.payload``; what a client that works offline keeps and sends):

- ``answers``: item code -> ``true``/``false`` (check), an integer ≥ 0 (count), the grade letter
  (grade: derived from ``criteria`` once every criterion is answered, absent before);
- ``criteria``: grade item code -> one entry per criterion in the rubric's order, ``true``
  (met), ``false`` (not met) or ``null`` (not answered yet);
- ``notes``: item code -> text; ``veto``: the veto codes the surveyor *reports* (suspected until
  the office confirms them; ``null`` while the question is open, ``[]`` none);
- ``fix``: the position; ``id``, ``started``, ``date``.

The rule the server applies (:func:`validate`): every item answered (a grade item: every
criterion); a finding needs a note always, and a photo only when the item's evidence is a photo
(``evidence`` in ``checklists --json``); the veto question answered. The submission made of it
(:func:`submission_dict`) carries the grade letter and ``unmet``: grade item -> the numbers
(1-based) of its criteria not met. The office's confirmed vetoes that apply to the village on a
date: :func:`vetoes_in_force` (the tablet shows them before anything is answered).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from core import config
from core.errors import DataError, NotFound, UsageError
from core.model import Village
from survey import gps, photos, service, store, vetoes
from survey.auth import ADMIN, SURVEYOR, User
from survey.store import PhotoInfo
from survey.rubric import Item, Rubric
from survey.scoring import (Partial, Score, grade_from_criteria, is_finding, partial, score, unmet_from_met,
                            valid_answer)
from survey.submissions import check_dates, parse_submission


@dataclass(frozen=True)
class Draft:
    """One village being assessed. ``veto`` is None until the surveyor has answered the veto
    question (an empty tuple: none applies). ``date`` is set by the first submit attempt."""

    round_id: str
    village: str
    surveyor: str
    id: str
    started: str
    answers: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    veto: tuple[str, ...] | None = None
    fix: gps.Fix | None = None
    date: str | None = None
    criteria: dict[str, list[bool | None]] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The JSON stored in the drafts table."""
        return {"id": self.id, "started": self.started, "answers": self.answers,
                "criteria": self.criteria,
                "notes": self.notes, "veto": None if self.veto is None else list(self.veto),
                "fix": self.fix.to_dict() if self.fix else None, "date": self.date}

    @classmethod
    def from_payload(cls, round_id: str, village: str, surveyor: str,
                     payload: dict[str, Any]) -> Draft:
        veto = payload.get("veto")
        return cls(round_id=round_id, village=village, surveyor=surveyor, id=payload["id"],
                   started=payload.get("started") or "", answers=dict(payload.get("answers") or {}),
                   notes=dict(payload.get("notes") or {}),
                   veto=None if veto is None else tuple(veto),
                   fix=gps.Fix.from_dict(payload.get("fix")), date=payload.get("date"),
                   criteria={k: list(v) for k, v in (payload.get("criteria") or {}).items()})


class Missing(NamedTuple):
    """Something that keeps a draft from being submitted: ``kind`` is ``answer`` (not answered;
    a grade item: not every criterion), ``note`` / ``photo`` (a finding without its note; a
    finding of a photo item without its photo) or ``veto`` (veto question open); ``item`` is
    the item code (empty for ``veto``)."""

    kind: str
    item: str


@dataclass(frozen=True)
class Outcome:
    """The result of a submit: what is missing (nothing stored), or the stored submission's id
    and score; ``added`` is False when it had been stored before (a repeat)."""

    missing: tuple[Missing, ...] = ()
    submission_id: str | None = None
    score: Score | None = None
    added: bool = False


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check(user: User, village_code: str, surveyor: str) -> None:
    """May ``user`` assess ``village_code`` signed as ``surveyor``?"""
    if user.role not in (SURVEYOR, ADMIN):
        raise UsageError("forbidden")
    user.scope.check(village_code)
    if not user.admin and surveyor != user.display_name:
        raise UsageError("forbidden")


def _mine(user: User, draft: Draft) -> Draft:
    _check(user, draft.village, draft.surveyor)
    return draft


def villages(db_path: str | Path, user: User) -> list[Village]:
    """The villages ``user`` may assess, by code."""
    if user.role not in (SURVEYOR, ADMIN):
        raise UsageError("forbidden")
    scope = user.scope
    return store.villages(db_path, county=scope.county, townships=scope.townships)


def round_status(db_path: str | Path, user: User, round_id: str, surveyor: str) -> dict[str, str]:
    """Village code -> ``submitted`` or ``draft`` in ``round_id`` for ``surveyor``'s drafts
    (villages with neither are absent), within the user's scope."""
    if user.role not in (SURVEYOR, ADMIN) or (not user.admin and surveyor != user.display_name):
        raise UsageError("forbidden")
    return {code: state for code, state in store.round_progress(db_path, round_id, surveyor).items()
            if user.scope.allows(code)}


def open_draft(db_path: str | Path, user: User, round_id: str, village_code: str,
               surveyor: str | None = None) -> Draft:
    """The saved draft of this round, village and surveyor (default: the user's own name), or a
    new one (saved on its first change). A draft whose submission was stored but not closed
    (the connection dropped just then) is closed now, and a new one begins."""
    surveyor = (surveyor or user.display_name).strip()
    _check(user, village_code, surveyor)
    payload = store.load_draft(db_path, round_id, village_code, surveyor)
    if payload is not None:
        draft = Draft.from_payload(round_id, village_code, surveyor, payload)
        if not store.submission_exists(db_path, draft.id):
            return draft
        store.close_draft(db_path, round_id, village_code, surveyor, draft.id)
    return Draft(round_id=round_id, village=village_code, surveyor=surveyor,
                 id=str(uuid.uuid4()), started=_now())


def save(db_path: str | Path, user: User, draft: Draft) -> Draft:
    """Store ``draft`` (replacing the saved one) and return it."""
    _mine(user, draft)
    store.save_draft(db_path, draft.round_id, draft.village, draft.surveyor, draft.payload(),
                     actor=user.name)
    return draft


def answer(db_path: str | Path, user: User, draft: Draft, code: str, value: Any) -> Draft:
    """Record the answer of check or count item ``code`` (None clears it) and save. A grade
    item is answered criterion by criterion (:func:`criteria`)."""
    answers = dict(draft.answers)
    if value is None:
        answers.pop(code, None)
    else:
        answers[code] = int(value) if isinstance(value, float) and value.is_integer() else value
    return save(db_path, user, replace(draft, answers=answers))


def with_criteria(item: Item, draft: Draft, met: list[bool | None] | None) -> Draft:
    """``draft`` with grade item ``item``'s criteria set to ``met`` (one True/False/None per
    criterion; None clears them all) and its grade derived when every one is answered."""
    if item.type != "grade":
        raise ValueError(f"{item.code} is not a grade item")
    answers, criteria = dict(draft.answers), dict(draft.criteria)
    answers.pop(item.code, None)
    if met is None:
        criteria.pop(item.code, None)
    else:
        met = [m if m is None else bool(m) for m in met]
        if len(met) != len(item.criteria):
            raise ValueError(f"{item.code} has {len(item.criteria)} criteria, got {len(met)}")
        criteria[item.code] = met
        if all(m is not None for m in met):
            answers[item.code] = grade_from_criteria(item, met)  # type: ignore[arg-type]
    return replace(draft, answers=answers, criteria=criteria)


def criteria(db_path: str | Path, user: User, rubric: Rubric, draft: Draft, code: str,
             met: list[bool | None] | None) -> Draft:
    """Record the criteria of grade item ``code`` (met / not met / unanswered, in the rubric's
    order) and save; its grade follows by the rule once all are answered."""
    return save(db_path, user, with_criteria(rubric.item(code), draft, met))


def criterion(db_path: str | Path, user: User, rubric: Rubric, draft: Draft, code: str, number: int,
              met: bool | None) -> Draft:
    """Record one criterion (``number``, 1-based) of grade item ``code`` and save."""
    item = rubric.item(code)
    flags = list(draft.criteria.get(code) or [None] * len(item.criteria))
    flags[number - 1] = met
    return save(db_path, user, with_criteria(item, draft, flags))


def note(db_path: str | Path, user: User, draft: Draft, code: str, text: str | None) -> Draft:
    """Record the note of item ``code`` (blank removes it) and save."""
    notes = dict(draft.notes)
    if text and text.strip():
        notes[code] = text.strip()
    else:
        notes.pop(code, None)
    return save(db_path, user, replace(draft, notes=notes))


def set_veto(db_path: str | Path, user: User, draft: Draft, codes: list[str] | tuple[str, ...] | None) -> Draft:
    """Record the veto items that apply (empty: none applies; None: not answered) and save."""
    return save(db_path, user, replace(draft, veto=None if codes is None else tuple(codes)))


def set_fix(db_path: str | Path, user: User, draft: Draft, fix: gps.Fix | None) -> Draft:
    """Record where the surveyor stands and save."""
    return save(db_path, user, replace(draft, fix=fix))


def add_photo(db_path: str | Path, user: User, draft: Draft, item_code: str, data: bytes,
              filename: str, when: datetime | None = None) -> str:
    """Prepare (upright, downscaled, watermarked) and store a photo for ``item_code`` of the
    draft; return its id. :class:`DataError` when the file is not a picture."""
    _mine(user, draft)
    village = store.village(db_path, draft.village)
    stamp = (when or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    photo = photos.prepare(data, photos.stamp_lines(village.name, village.code, stamp,
                                                    draft.surveyor), filename=filename)
    if store.load_draft(db_path, draft.round_id, draft.village, draft.surveyor) is None:
        save(db_path, user, draft)  # the village shows as drafted
    return store.add_photo(db_path, draft.round_id, draft.village, draft.surveyor, item_code,
                           photo.sha256, photo.jpeg, photo.width, photo.height, actor=user.name)


def draft_photos(db_path: str | Path, user: User, draft: Draft) -> list[PhotoInfo]:
    """The photos of the draft, oldest first."""
    _mine(user, draft)
    return store.draft_photos(db_path, draft.round_id, draft.village, draft.surveyor)


def _draft_photo(db_path: str | Path, user: User, draft: Draft, photo_id: str) -> PhotoInfo:
    found = next((p for p in draft_photos(db_path, user, draft) if p.id == photo_id), None)
    if found is None:
        raise NotFound("photo_unknown", value=photo_id)
    return found


def delete_photo(db_path: str | Path, user: User, draft: Draft, photo_id: str) -> None:
    """Remove a photo of the draft; :class:`NotFound` when it is not one of its photos (gone
    already: a double tap)."""
    _draft_photo(db_path, user, draft, photo_id)
    store.delete_photo(db_path, photo_id, actor=user.name)


def thumbnail(db_path: str | Path, user: User, draft: Draft, photo_id: str, side: int = 480) -> bytes:
    """A small JPEG copy of a photo of the draft, for showing on the page."""
    _draft_photo(db_path, user, draft, photo_id)
    return photos.thumbnail(store.photo_jpeg(db_path, photo_id), side)


def needs_evidence(item: Item, draft: Draft) -> bool:
    """True when the item's answer is a finding, which needs a note (and a photo when the
    item's evidence is a photo: :func:`needs_photo`)."""
    value = _value(item, draft)
    return value is not None and is_finding(item, value)


def needs_photo(item: Item, draft: Draft) -> bool:
    """True when the item's answer is a finding whose evidence is a photo."""
    return item.needs_photo and needs_evidence(item, draft)


def _value(item: Item, draft: Draft) -> Any:
    """The item's answer when complete and well typed (a grade item: derived from every
    criterion answered), else None."""
    if item.type == "grade":
        met = draft.criteria.get(item.code)
        if not met or len(met) != len(item.criteria) or any(m is None for m in met):
            return None
        return grade_from_criteria(item, met)  # type: ignore[arg-type]
    value = draft.answers.get(item.code)
    return value if value is not None and valid_answer(item, value) else None


def progress(rubric: Rubric, draft: Draft) -> Partial:
    """Running totals of the answers so far."""
    return partial(rubric, draft.answers)


def validate(rubric: Rubric, draft: Draft, photographed: set[str]) -> list[Missing]:
    """Everything missing before ``draft`` can be submitted, in rubric order (the server's
    rule): unanswered items (a grade item: any criterion unanswered), findings without a note,
    findings of photo items without a photo (``photographed``: item codes with photos), and an
    unanswered veto question (or "some apply" with none chosen)."""
    missing = []
    for item in rubric.items:
        value = _value(item, draft)
        if value is None:
            missing.append(Missing("answer", item.code))
        elif is_finding(item, value):
            if not draft.notes.get(item.code, "").strip():
                missing.append(Missing("note", item.code))
            if item.needs_photo and item.code not in photographed:
                missing.append(Missing("photo", item.code))
    if draft.veto is None:
        missing.append(Missing("veto", ""))
    return missing


def submission_dict(draft: Draft, day: str) -> dict[str, Any]:
    """The interchange.md submission object of ``draft`` dated ``day``, with ``unmet`` (grade
    item -> the numbers of its criteria not met) for the grade items answered by criteria."""
    fix = draft.fix
    unmet = {code: list(unmet_from_met(met)) for code, met in draft.criteria.items() if met}
    out = {"id": draft.id, "village": draft.village, "round": draft.round_id, "date": day,
           "surveyor": draft.surveyor, "lon": fix.lon if fix else None,
           "lat": fix.lat if fix else None, "gps_accuracy_m": fix.accuracy_m if fix else None,
           "answers": draft.answers, "veto": list(draft.veto or ()), "notes": draft.notes}
    if unmet:
        out["unmet"] = unmet
    return out


def submit(db_path: str | Path, user: User, rubric: Rubric, draft: Draft,
           today: date | None = None) -> Outcome:
    """Validate ``draft``; when complete, store it exactly once (its id is the submission id),
    link its photos and delete the draft. Repeating a submit is a no-op (``added`` False)."""
    _mine(user, draft)
    if store.submission_exists(db_path, draft.id):  # a double tap or a resubmit: stored already
        stored = store.submission(db_path, draft.id)
        store.close_draft(db_path, draft.round_id, draft.village, draft.surveyor, draft.id, user.name)
        return Outcome(submission_id=draft.id, score=score(rubric, stored["answers"], stored["veto"],
                                                           stored["unmet_numbers"]))
    photographed = {p.item_code for p in draft_photos(db_path, user, draft)}
    missing = validate(rubric, draft, photographed)
    if missing:
        return Outcome(missing=tuple(missing))
    today = today or config.today()
    if draft.date is None:
        draft = save(db_path, user, replace(draft, date=today.isoformat()))
    sub, problems = parse_submission(submission_dict(draft, draft.date or ""), rubric, None,
                                     "draft", None)
    if sub is None:
        raise DataError(problems)
    problems, _warnings = check_dates([sub], {draft.round_id: store.get_round(db_path, draft.round_id)},
                                      today, "draft")
    if problems:
        raise DataError(problems)
    # the surveyor's veto report does not count until the office confirms it; the office's
    # records in force on the date apply (the store applies them again as it saves)
    office = [r.item for r in vetoes.in_force_for(db_path, user, draft.village, sub.date)]
    result = score(rubric, sub.answers, (), sub.unmet)
    added, _ = store.save_submissions(db_path, [(sub, result)], actor=user.name,
                                      drafts={sub.id: (draft.round_id, draft.village, draft.surveyor)},
                                      versions={draft.round_id: service.pinned(rubric)})
    return Outcome(submission_id=sub.id, score=score(rubric, sub.answers, office, sub.unmet), added=bool(added))


def vetoes_in_force(db_path: str | Path, user: User, village_code: str,
                    day: str | date | None = None) -> list[vetoes.Record]:
    """The office's confirmed veto records that apply to ``village_code`` on ``day`` (default:
    today in the county's time zone), its own and its township's: the tablet shows them as
    already applying before the surveyor answers anything."""
    if user.role not in (SURVEYOR, ADMIN) and not user.reviews:
        raise UsageError("forbidden")
    return vetoes.in_force_for(db_path, user, village_code, day)


def position_warnings(db_path: str | Path, user: User, village: Village, fix: gps.Fix) -> list:
    """The warnings about where the surveyor stands (:func:`survey.gps.check`) with the limits of
    the village's county (settings ``gps_accuracy_m``, ``gps_distance_m``)."""
    from survey import settings

    user.scope.check(village.code)
    local = settings.load(db_path, village.county_code)
    return gps.check(fix, village, accuracy_limit_m=float(local.gps_accuracy_m),
                     distance_limit_m=float(local.gps_distance_m))
