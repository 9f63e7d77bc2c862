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

import math
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from core import config, limits
from core.constants import LAT_RANGE, LON_RANGE
from core.errors import DataError, NotFound, UsageError, render
from core.model import Round, Village
from survey import gps, photos, service, store, vetoes
from survey.auth import ADMIN, SURVEYOR, User
from survey.rubric import Item, Rubric
from survey.scoring import Partial, Score, grade_from_criteria, is_finding, partial, score, unmet_from_met, valid_answer
from survey.store import PhotoInfo
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
    criteria: dict[str, tuple[bool | None, ...]] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The JSON stored in the drafts table."""
        out = {"id": self.id, "started": self.started, "answers": self.answers,
               "notes": self.notes, "veto": None if self.veto is None else list(self.veto),
               "fix": self.fix.to_dict() if self.fix else None, "date": self.date}
        if self.criteria:
            out["criteria"] = {code: list(met) for code, met in self.criteria.items()}
        if self.seqs:
            out["seqs"] = dict(self.seqs)
        return out

    @classmethod
    def from_payload(cls, round_id: str, village: str, surveyor: str,
                     payload: dict[str, Any]) -> Draft:
        veto = payload.get("veto")
        return cls(round_id=round_id, village=village, surveyor=surveyor, id=payload["id"],
                   started=payload.get("started") or "", answers=dict(payload.get("answers") or {}),
                   notes=dict(payload.get("notes") or {}),
                   veto=None if veto is None else tuple(veto),
                   fix=gps.Fix.from_dict(payload.get("fix")), date=payload.get("date"),
                   criteria={code: tuple(met) for code, met in (payload.get("criteria") or {}).items()},
                   seqs=dict(payload.get("seqs") or {}))

    def state(self) -> dict[str, Any]:
        """What the tablet's browser holds of the draft (JSON): its id, answers, the criteria of
        grade items, notes, veto, position, and the sequence number of the last change applied
        to each field (``seqs``; ``seq`` the highest)."""
        return {"id": self.id, "answers": dict(self.answers),
                "criteria": {code: list(met) for code, met in self.criteria.items()},
                "notes": dict(self.notes), "veto": None if self.veto is None else list(self.veto),
                "fix": self.fix.to_dict() if self.fix else None, "seqs": dict(self.seqs),
                "seq": max(self.seqs.values(), default=0)}


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
    return datetime.now(UTC).isoformat(timespec="seconds")


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
                 id=new_draft_id(db_path, round_id, village_code, surveyor), started=_now())


#: The namespace of the ids of drafts not yet saved (:func:`new_draft_id`).
_DRAFT_IDS = uuid.UUID("6f1c0b9e-5a53-4c1e-9d0e-7a2f3c4b5d60")


def new_draft_id(db_path: str | Path, round_id: str, village_code: str, surveyor: str) -> str:
    """The id of the village's next draft, the same on every run of the page until its first
    change is saved: one per round, village, surveyor and number of their submissions so far.
    (A fresh random id per run made the tablet take a later run's unsaved draft for a new one
    and show it empty, over the answers the server had just stored.)"""
    n = store.submitted_count(db_path, round_id, village_code, surveyor)
    return str(uuid.uuid5(_DRAFT_IDS, "\x1f".join((round_id, village_code, surveyor, str(n)))))


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
        criteria[item.code] = tuple(met)
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


# --- the tablet's sync: changes made in the browser, sent in order when the link allows -------
#
# The tablet page renders the checklist in the browser and keeps every change in a queue on the
# tablet (ui/components/tablet). Each change is an operation with a sequence number made by the
# tablet (a hybrid clock: never less than the last one + 1, nor than the time in milliseconds),
# sent in order when the link allows. The draft keeps, per field (an item's answer, one criterion
# of a grade item, a note, the veto answer, the position), the number of the change last applied
# to it: a change is applied only when its number is higher, so a change sent twice is stored
# once and a later change never loses to an earlier one that arrived late.

#: Operations one sync request may carry (the tablet sends at most 200 at a time).
MAX_OPS = 500
#: The highest sequence number (JavaScript's Number.MAX_SAFE_INTEGER).
MAX_SEQ = 2**53 - 1
OP_KINDS = ("answer", "criterion", "note", "veto", "fix", "photo_delete")
_DRAFT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PHOTO_ID = re.compile(r"^[0-9a-f]{32}$")


class Op(NamedTuple):
    """One change made on the tablet: ``kind`` (:data:`OP_KINDS`), the item code (the photo id
    for ``photo_delete``; empty for ``veto`` and ``fix``), the criterion's index (0-based, for
    ``criterion``) and the new value (None clears)."""

    seq: int
    kind: str
    item: str = ""
    index: int = 0
    value: Any = None

    @property
    def field(self) -> str:
        """The draft field this change sets (its sequence number is kept per field)."""
        if self.kind in ("veto", "fix"):
            return self.kind
        if self.kind == "criterion":
            return f"criterion:{self.item}:{self.index}"
        return f"{self.kind}:{self.item}"


class Refusal(NamedTuple):
    """An operation refused (nothing of it stored): its sequence number (None when it had none),
    the message's key and fields; ``message`` in both languages, :meth:`text` in one."""

    seq: int | None
    key: str
    message: str
    fields: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` ("zh", "en"; both when None)."""
        return render(self.key, lang, **dict(self.fields))


@dataclass(frozen=True)
class Synced:
    """The outcome of a sync: the draft as now saved (a new one when the queued draft was
    submitted meanwhile), the numbers of the operations applied, of those skipped because the
    field holds a later change (or the same one, sent again), the operations refused, and the
    batch's refusal (``refused_all``: a closed round, a submitted or returned village; nothing
    stored)."""

    draft: Draft
    applied: tuple[int, ...] = ()
    stale: tuple[int, ...] = ()
    refused: tuple[Refusal, ...] = ()
    refused_all: Refusal | None = None
    photos: tuple[PhotoInfo, ...] = ()


def _refuse(seq: int | None, key: str, **fields: Any) -> Refusal:
    return Refusal(seq, key, render(key, **fields), tuple(fields.items()))


def _show(value: Any) -> str:
    import json

    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = type(value).__name__
    return text if len(text) <= 40 else text[:39] + "…"


def _finite(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def parse_ops(rubric: Rubric, raw: Any) -> tuple[list[Op], list[Refusal]]:
    """The operations of a sync request that the rules accept, in order, and a refusal for each
    one they do not: an unknown kind or item, a value of the wrong type (``true`` is not ``1``),
    a grade given directly (grade items are answered criterion by criterion), a note over the
    limit, an unknown veto code, a position outside China. :class:`UsageError` when ``raw`` is
    not a list of at most :data:`MAX_OPS`."""
    if not isinstance(raw, list) or len(raw) > MAX_OPS:
        raise UsageError("tablet_ops", limit=MAX_OPS)
    ops: list[Op] = []
    refused: list[Refusal] = []
    for entry in raw:
        op = _parse_op(rubric, entry)
        (ops if isinstance(op, Op) else refused).append(op)
    return ops, refused


def _parse_op(rubric: Rubric, entry: Any) -> Op | Refusal:
    if not isinstance(entry, dict):
        return _refuse(None, "tablet_op_shape", value=_show(entry))
    seq, kind, code, value = entry.get("seq"), entry.get("kind"), entry.get("item"), entry.get("value")
    if type(seq) is not int or not 0 < seq <= MAX_SEQ:
        return _refuse(None, "tablet_op_seq", value=_show(seq))
    if kind not in OP_KINDS:
        return _refuse(seq, "tablet_op_kind", value=_show(kind))
    if kind == "photo_delete":
        if not isinstance(code, str) or not _PHOTO_ID.match(code):
            return _refuse(seq, "photo_unknown", value=_show(code))
        return Op(seq, kind, code)
    if kind == "veto":
        return _veto_op(rubric, seq, value)
    if kind == "fix":
        return _fix_op(seq, value)
    item = rubric._items.get(code) if isinstance(code, str) else None
    if item is None:
        return _refuse(seq, "item_unknown", value=code[:40] if isinstance(code, str) else _show(code))
    if kind == "answer":
        if value is None or (valid_answer(item, value) and item.type != "grade"):
            return Op(seq, kind, item.code, value=value)
        if item.type == "grade":
            return _refuse(seq, "tablet_grade_by_criteria", item=item.code)
        key = "answer_check" if item.type == "check" else "answer_count"
        return _refuse(seq, key, item=item.code, value=_show(value))
    if kind == "criterion":
        index = entry.get("index")
        if item.type != "grade" or type(index) is not int or not 0 <= index < len(item.criteria):
            return _refuse(seq, "tablet_criterion", item=item.code, value=_show(index))
        if value is not None and type(value) is not bool:
            return _refuse(seq, "tablet_criterion_value", item=item.code, index=index + 1,
                           value=_show(value))
        return Op(seq, kind, item.code, index, value)
    # a note
    if value is not None and not isinstance(value, str):
        return _refuse(seq, "tablet_note", item=item.code, value=_show(value))
    text = (value or "").strip()
    if len(text) > limits.NOTE_CHARS:
        return _refuse(seq, "text_long", field=f"notes.{item.code}", n=len(text), limit=limits.NOTE_CHARS)
    return Op(seq, kind, item.code, value=text or None)


def _veto_op(rubric: Rubric, seq: int, value: Any) -> Op | Refusal:
    if value is None:
        return Op(seq, "veto")
    if not isinstance(value, list) or len(value) > len(rubric.veto):
        return _refuse(seq, "tablet_veto", value=_show(value))
    known = {v.code for v in rubric.veto}
    for code in value:
        if not isinstance(code, str) or code not in known:
            return _refuse(seq, "veto_unknown", value=_show(code))
    return Op(seq, "veto", value=tuple(v.code for v in rubric.veto if v.code in value))


def _fix_op(seq: int, value: Any) -> Op | Refusal:
    if value is None:
        return Op(seq, "fix")
    if not isinstance(value, dict) or value.get("source") not in ("browser", "manual"):
        return _refuse(seq, "tablet_fix", value=_show(value))
    lon, lat, accuracy = value.get("lon"), value.get("lat"), value.get("accuracy_m")
    if not _finite(lon) or not LON_RANGE[0] <= lon <= LON_RANGE[1]:
        return _refuse(seq, "lon_range", value=_show(lon))
    if not _finite(lat) or not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        return _refuse(seq, "lat_range", value=_show(lat))
    if accuracy is not None and (not _finite(accuracy) or accuracy < 0):
        return _refuse(seq, "gps_accuracy_range", value=_show(accuracy))
    if value["source"] == "manual":
        accuracy = None
    return Op(seq, "fix", value=gps.Fix(float(lon), float(lat),
                                        None if accuracy is None else float(accuracy), value["source"]))


def apply_ops(rubric: Rubric, draft: Draft, ops: list[Op]) -> tuple[Draft, list[int], list[int]]:
    """``draft`` with ``ops`` applied in order, each only when its number is higher than the
    one its field holds; the numbers of the operations applied and of those skipped. A grade
    item's grade follows its criteria (:func:`~survey.scoring.grade_from_criteria`) once all
    are answered; clearing an item clears its criteria too. ``photo_delete`` operations are
    not applied here (:func:`sync` removes the photos)."""
    answers, notes, criteria = dict(draft.answers), dict(draft.notes), dict(draft.criteria)
    seqs, veto, fix = dict(draft.seqs), draft.veto, draft.fix
    applied: list[int] = []
    stale: list[int] = []
    for op in ops:
        if op.kind == "photo_delete":
            continue
        if op.seq <= seqs.get(op.field, 0):
            stale.append(op.seq)
            continue
        seqs[op.field] = op.seq
        applied.append(op.seq)
        if op.kind == "answer":
            item = rubric.item(op.item)
            if op.value is None:
                answers.pop(op.item, None)
                if item.type == "grade":
                    _clear_criteria(item, criteria, seqs, op.seq)
            else:
                answers[op.item] = op.value
        elif op.kind == "criterion":
            item = rubric.item(op.item)
            met = list(criteria.get(op.item) or [None] * len(item.criteria))
            met += [None] * (len(item.criteria) - len(met))
            met[op.index] = op.value
            criteria[op.item] = tuple(met[:len(item.criteria)])
            _grade(item, answers, criteria)
        elif op.kind == "note":
            if op.value:
                notes[op.item] = op.value
            else:
                notes.pop(op.item, None)
        elif op.kind == "veto":
            veto = op.value
        elif op.kind == "fix":
            fix = op.value
    return (replace(draft, answers=answers, notes=notes, criteria=criteria, seqs=seqs, veto=veto,
                    fix=fix), applied, stale)


def _clear_criteria(item: Item, criteria: dict[str, tuple[bool | None, ...]], seqs: dict[str, int],
                    seq: int) -> None:
    """Clear the criteria of ``item`` that were set before change ``seq``."""
    met = list(criteria.get(item.code) or [None] * len(item.criteria))
    for index in range(len(met)):
        name = f"criterion:{item.code}:{index}"
        if seqs.get(name, 0) < seq:
            met[index] = None
            seqs[name] = seq
    if any(m is not None for m in met):
        criteria[item.code] = tuple(met)
    else:
        criteria.pop(item.code, None)


def _grade(item: Item, answers: dict[str, Any], criteria: dict[str, tuple[bool | None, ...]]) -> None:
    """The grade of ``item`` from its criteria: set when all are answered, else unanswered (an
    item with no criterion answered keeps the grade it has: a draft reopened from a returned
    submission holds grades only)."""
    met = criteria.get(item.code) or ()
    if len(met) == len(item.criteria) and all(m is not None for m in met):
        answers[item.code] = grade_from_criteria(item, list(met))  # type: ignore[arg-type]
    elif any(m is not None for m in met):
        answers.pop(item.code, None)
    else:
        criteria.pop(item.code, None)


def round_closed(rnd: Round, today: date) -> bool:
    """A round is closed for the tablet once a submission dated today would be refused: more
    than :data:`core.config.ROUND_DATE_MARGIN_DAYS` days after its end date."""
    if not rnd.end_date:
        return False
    return today > date.fromisoformat(rnd.end_date) + timedelta(days=config.ROUND_DATE_MARGIN_DAYS)


def _gate(db_path: str | Path, user: User, round_id: str, village_code: str, surveyor: str,
          draft_id: Any) -> tuple[str, Round]:
    """Checks shared by the tablet's requests: who may assess the village as whom, a well-formed
    draft id, a known round. Returns the surveyor's name (trimmed) and the round."""
    surveyor = (surveyor or "").strip() if isinstance(surveyor, str) else ""
    if not isinstance(village_code, str) or not isinstance(round_id, str):
        raise UsageError("tablet_request", detail="round/village")
    _check(user, village_code, surveyor)
    if not isinstance(draft_id, str) or not _DRAFT_ID.match(draft_id):
        raise UsageError("tablet_draft_id", value=_show(draft_id)[:40])
    return surveyor, store.get_round(db_path, round_id)


def _submitted(submitted: dict[str, Any]) -> Refusal:
    if submitted["status"] == "returned":
        return _refuse(None, "tablet_returned")
    return _refuse(None, "tablet_submitted", date=submitted["date"])


def sync(db_path: str | Path, user: User, rubric: Rubric, round_id: str, village_code: str,
         surveyor: str, draft_id: str, raw_ops: Any, today: date | None = None) -> Synced:
    """Apply the operations queued on a tablet for one village (see :func:`apply_ops`) to its
    draft, in one transaction, and return the draft as saved.

    ``draft_id`` is the draft the tablet worked on. When it was submitted meanwhile (or the
    submission was returned since), or the round has closed, nothing is stored: the batch is
    refused with a message (``refused_all``) and the tablet gets the village's current draft.
    A draft id the server never saw (a tablet that opened the village before anything was
    saved) is the village's draft: its operations go to the draft saved, or start it. Each
    operation the rules refuse is listed (:func:`parse_ops`); the others are applied."""
    surveyor, rnd = _gate(db_path, user, round_id, village_code, surveyor, draft_id)
    ops, refused = parse_ops(rubric, raw_ops)
    today = today or config.today()
    result: dict[str, Any] = {}

    def change(payload: dict[str, Any] | None) -> dict[str, Any] | None:
        if payload is not None:
            draft = Draft.from_payload(round_id, village_code, surveyor, payload)
        else:
            draft = Draft(round_id=round_id, village=village_code, surveyor=surveyor, id=draft_id,
                          started=_now())
        new, applied, stale = apply_ops(rubric, draft, ops)
        result.update(draft=new, applied=applied, stale=stale)
        return new.payload() if applied else None

    closed = bool(ops) and round_closed(rnd, today)
    submitted, _payload = (None, None) if closed else store.change_draft(
        db_path, round_id, village_code, surveyor, draft_id, change, actor=user.name)
    if closed or submitted is not None:
        current = open_draft(db_path, user, round_id, village_code, surveyor)
        refusal = None
        if closed:
            refusal = _refuse(None, "tablet_round_closed", round=rnd.id, end=rnd.end_date,
                              margin=config.ROUND_DATE_MARGIN_DAYS)
        elif ops:  # (only asking for the village's draft is no refusal)
            refusal = _submitted(submitted)  # type: ignore[arg-type]
        return Synced(draft=current, refused=tuple(refused), refused_all=refusal,
                      photos=tuple(draft_photos(db_path, user, current)))
    draft: Draft = result["draft"]
    gone = [op for op in ops if op.kind == "photo_delete"]
    if gone:
        mine = {p.id for p in draft_photos(db_path, user, draft)}
        for op in gone:
            if op.item in mine:
                store.delete_photo(db_path, op.item, actor=user.name)
            result["applied"].append(op.seq)  # gone already (a repeat) counts as done
    return Synced(draft=draft, applied=tuple(result["applied"]), stale=tuple(result["stale"]),
                  refused=tuple(refused), photos=tuple(draft_photos(db_path, user, draft)))


def parse_taken(text: Any) -> str | None:
    """The capture time the tablet read from a photo's EXIF (``YYYY-MM-DDTHH:MM[:SS]``, the
    camera's local time) as the watermark shows it (``YYYY-MM-DD HH:MM``); None when absent or
    not a real time (it is only a label: a wrong one is dropped, never stored)."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not 1990 <= moment.year <= 2100:
        return None
    return moment.strftime("%Y-%m-%d %H:%M")


def add_tablet_photo(db_path: str | Path, user: User, rubric: Rubric, round_id: str,
                     village_code: str, surveyor: str, draft_id: str, item_code: str,
                     data: bytes, sha256: str, taken: Any = None,
                     exif_position: Any = None, filename: str = "photo.jpg",
                     when: datetime | None = None, today: date | None = None) -> PhotoInfo:
    """Store a photo sent by the tablet for ``item_code`` of its draft: the copy the browser
    made smaller (or the original, when the browser could not read it), the SHA-256 of the
    original as the browser computed it, the capture time from its EXIF and its EXIF position
    (``[lon, lat]``, used when the draft holds no position). The checks of
    :func:`survey.photos.prepare` apply (bytes, pixels, a picture at all) and the watermark is
    stamped here. Refused like a sync when the round has closed or the draft was submitted."""
    surveyor, rnd = _gate(db_path, user, round_id, village_code, surveyor, draft_id)
    item = rubric.item(item_code) if isinstance(item_code, str) else rubric.item(_show(item_code))
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise UsageError("tablet_sha256", value=_show(sha256)[:40])
    if round_closed(rnd, today or config.today()):
        raise UsageError("tablet_round_closed", round=rnd.id, end=rnd.end_date,
                         margin=config.ROUND_DATE_MARGIN_DAYS)
    village = store.village(db_path, village_code)
    saved = store.load_draft(db_path, round_id, village_code, surveyor)
    fix = gps.Fix.from_dict(saved.get("fix")) if saved else None
    position = photos.Position(fix.lon, fix.lat, fix.accuracy_m, fix.source) if fix else _exif_position(exif_position)
    stamp = (when or datetime.now(config.time_zone())).strftime("%Y-%m-%d %H:%M")
    photo = photos.prepare(data, photos.stamp_lines(village.name, village.code, stamp, surveyor,
                                                    position, parse_taken(taken)),
                           filename=filename, original_sha256=sha256)

    def start(payload: dict[str, Any] | None) -> dict[str, Any] | None:
        if payload is not None:
            return None
        return Draft(round_id=round_id, village=village_code, surveyor=surveyor, id=draft_id,
                     started=_now()).payload()

    submitted, _ = store.change_draft(db_path, round_id, village_code, surveyor, draft_id, start,
                                      actor=user.name)
    if submitted is not None:
        refusal = _submitted(submitted)
        raise UsageError(refusal.key, **dict(refusal.fields))
    photo_id = store.add_photo(db_path, round_id, village_code, surveyor, item.code, photo.sha256,
                               photo.jpeg, photo.width, photo.height, actor=user.name)
    return next(p for p in store.draft_photos(db_path, round_id, village_code, surveyor)
                if p.id == photo_id)


def _exif_position(value: Any) -> photos.Position | None:
    if not isinstance(value, list) or len(value) != 2 or not all(_finite(v) for v in value):
        return None
    lon, lat = value
    if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        return None
    return photos.Position(float(lon), float(lat), None, "exif")


def tablet_thumbnail(db_path: str | Path, user: User, round_id: str, village_code: str,
                     surveyor: str, photo_id: str, side: int = 480) -> bytes:
    """A small JPEG of a photo of the user's draft (round, village, surveyor), for the tablet
    page; :class:`NotFound` for anything else."""
    surveyor = (surveyor or "").strip()
    _check(user, village_code, surveyor)
    if not any(p.id == photo_id for p in store.draft_photos(db_path, round_id, village_code, surveyor)):
        raise NotFound("photo_unknown", value=_show(photo_id)[:40])
    return photos.thumbnail(store.photo_jpeg(db_path, photo_id), side)


def submit_draft(db_path: str | Path, user: User, rubric: Rubric, round_id: str,
                 village_code: str, surveyor: str, draft_id: str,
                 today: date | None = None) -> Outcome:
    """Submit the draft the tablet holds (:func:`submit`, by its id: submitting again stores
    nothing new and answers as the first time did). :class:`UsageError` ``tablet_draft_stale``
    when the village's saved draft is another one (the tablet has not synced yet)."""
    surveyor, _rnd = _gate(db_path, user, round_id, village_code, surveyor, draft_id)
    if store.submission_exists(db_path, draft_id):
        stub = Draft(round_id=round_id, village=village_code, surveyor=surveyor, id=draft_id, started="")
        return submit(db_path, user, rubric, stub, today)
    draft = open_draft(db_path, user, round_id, village_code, surveyor)
    if draft.id != draft_id:
        raise UsageError("tablet_draft_stale")
    return submit(db_path, user, rubric, draft, today)


def vetoes_in_force(db_path: str | Path, user: User, village_code: str,
                    day: str | date | None = None) -> list[vetoes.Record]:
    """The office's confirmed veto records that apply to ``village_code`` on ``day`` (default:
    today in the county's time zone), its own and its township's: the tablet shows them as
    already applying before the surveyor answers anything."""
    if user.role not in (SURVEYOR, ADMIN) and not user.reviews:
        raise UsageError("forbidden")
    return vetoes.in_force_for(db_path, user, village_code, day)


def position_limits(db_path: str | Path, user: User, village: Village) -> dict[str, float]:
    """The limits the position of a surveyor in ``village`` is held to: ``accuracy_m`` and
    ``distance_m``, the settings ``gps_accuracy_m``, ``gps_distance_m`` of its county (the
    tablet's browser warns with them as :func:`position_warnings` does)."""
    from survey import settings

    user.scope.check(village.code)
    local = settings.load(db_path, village.county_code)
    return {"accuracy_m": float(local.gps_accuracy_m), "distance_m": float(local.gps_distance_m)}


def position_warnings(db_path: str | Path, user: User, village: Village, fix: gps.Fix) -> list:
    """The warnings about where the surveyor stands (:func:`survey.gps.check`) with the limits of
    the village's county (settings ``gps_accuracy_m``, ``gps_distance_m``)."""
    limits_m = position_limits(db_path, user, village)
    return gps.check(fix, village, accuracy_limit_m=limits_m["accuracy_m"],
                     distance_limit_m=limits_m["distance_m"])
