"""Survey submissions: JSON Lines per interchange.md "Submissions", validated line by line.

:func:`parse_submission` checks one decoded JSON object (used by the import and by the tablet
page); :func:`read_submissions` reads a whole file and raises :class:`DataError` listing every
problem as ``FILE:LINE: field: message``. :func:`canonical` gives a stable JSON text of a
submission so the store can tell a repeated import (same content) from a conflict.

Beyond interchange.md (version 2), a submission may carry ``unmet``: grade item code -> the
1-based numbers of its criteria not met (the order of ``criteria`` in ``checklists --json``;
``[]`` when all are met). A grade item's answer stays its grade letter, which must then follow
from the criteria by the rule (all met A, one short B, two short C, else C#). Files without
``unmet`` (older ones, other systems) import as before. ``veto`` lists the veto items the
surveyor *reports*: suspected until the county office confirms them (:mod:`survey.vetoes`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import limits
from core.config import ROUND_DATE_MARGIN_DAYS
from core.constants import LAT_RANGE, LON_RANGE, ROUND_ID, real_date
from core.errors import DataError, Problem, problem
from core.model import Round
from survey.rubric import Rubric
from survey.scoring import check_unmet, validate_answers


@dataclass(frozen=True)
class Submission:
    """One village assessed by one surveyor in one round. ``answers`` maps item code -> value
    (bool / int / grade); ``veto`` holds the veto codes the surveyor reported, in rubric order;
    ``unmet`` grade item code -> the numbers of its criteria not met (sorted; only items answered
    by criteria). ``line`` is where it was read (for messages), not part of its content."""

    id: str
    village: str
    round: str
    date: str
    surveyor: str
    lon: float | None = None
    lat: float | None = None
    gps_accuracy_m: float | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    veto: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
    line: int | None = field(default=None, compare=False)
    unmet: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The interchange JSON object of this submission (``unmet`` only when it has any item:
        a submission without it keeps the very content it had before the field existed)."""
        out = {
            "id": self.id, "village": self.village, "round": self.round, "date": self.date,
            "surveyor": self.surveyor, "lon": self.lon, "lat": self.lat,
            "gps_accuracy_m": self.gps_accuracy_m, "answers": dict(self.answers),
            "veto": list(self.veto), "notes": dict(self.notes),
        }
        if self.unmet:
            out["unmet"] = {code: list(numbers) for code, numbers in self.unmet.items()}
        return out


def canonical(sub: Submission) -> str:
    """Stable JSON of the submission's content (sorted keys, no spaces)."""
    return json.dumps(sub.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _is_number(value: Any) -> bool:
    """A JSON number: int or *finite* float (``1e400`` parses as infinity), never a bool."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def parse_submission(obj: Any, rubric: Rubric, villages: Collection[str] | None, file: str,
                     line: int | None) -> tuple[Submission | None, list[Problem]]:
    """Validate one decoded JSON value. Returns the submission (None when anything is wrong)
    and every problem found, located at ``file``/``line``. ``villages`` None skips the
    registry check."""
    if not isinstance(obj, dict):
        return None, [problem("json_object", file, line)]
    problems: list[Problem] = []

    def bad(key: str, name: str, **fields: Any) -> None:
        problems.append(problem(key, file, line, name, **fields))

    def wrong_type(name: str, zh: str, en: str) -> None:
        bad("sub_field_type", name, expected=zh, expected_en=en, value=_show(obj[name]))

    for name in ("id", "village", "round", "date", "surveyor"):
        if name not in obj:
            bad("sub_field_missing", name)
        elif not isinstance(obj[name], str) or not obj[name].strip():
            wrong_type(name, "非空文字", "non-empty text")
    long = _long_texts(obj, file, line)
    if long:  # refused before the long texts are looked at further (or shown in a message)
        return None, problems + long
    village, round_id, date = obj.get("village"), obj.get("round"), obj.get("date")
    if isinstance(village, str) and village.strip() and villages is not None and village not in villages:
        bad("village_unknown", "village", value=village)
    if isinstance(round_id, str) and round_id.strip() and not ROUND_ID.match(round_id):
        bad("round_id", "round", value=round_id)
    if isinstance(date, str) and date.strip() and not real_date(date):
        bad("date", "date", value=date)
    for name, (low, high), key in (("lon", LON_RANGE, "lon_range"), ("lat", LAT_RANGE, "lat_range")):
        value = obj.get(name)
        if value is None:
            continue
        if not _is_number(value):
            wrong_type(name, "数字", "a number")
        elif not low <= value <= high:
            bad(key, name, value=value)
    accuracy = obj.get("gps_accuracy_m")
    if accuracy is not None and (not _is_number(accuracy) or accuracy < 0):
        bad("gps_accuracy_range", "gps_accuracy_m", value=_show(accuracy))
    if "answers" not in obj:
        bad("sub_field_missing", "answers")
    if "veto" not in obj:
        bad("sub_field_missing", "veto")
    issues = validate_answers(rubric, obj.get("answers", {}), obj.get("veto", []))
    # A missing "answers" is one problem, not one per item.
    problems.extend(i.at(file, line) for i in issues if "answers" in obj or i.key != "item_unanswered")
    problems.extend(i.at(file, line) for i in check_unmet(rubric, obj.get("answers", {}), obj.get("unmet")))
    notes = obj.get("notes")
    if notes is not None and (not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values())):
        wrong_type("notes", "“项目编码: 文字”对象", "an object of item code: text")
    if problems:
        return None, problems
    veto = set(obj["veto"])
    return Submission(
        id=obj["id"], village=village, round=round_id, date=date, surveyor=obj["surveyor"].strip(),
        lon=_float(obj.get("lon")), lat=_float(obj.get("lat")), gps_accuracy_m=_float(accuracy),
        answers={i.code: obj["answers"][i.code] for i in rubric.items},
        veto=tuple(v.code for v in rubric.veto if v.code in veto),
        notes=dict(notes or {}), line=line,
        unmet={i.code: tuple(sorted(obj["unmet"][i.code])) for i in rubric.items if i.code in (obj.get("unmet") or {})},
    ), []


#: The free texts of a submission, besides its notes (item codes, grades and veto codes are
#: checked against the rubric's closed sets instead, and shown cut to 40 characters).
_TEXT_FIELDS = ("id", "village", "round", "date", "surveyor")


def _long_texts(obj: dict[str, Any], file: str, line: int | None) -> list[Problem]:
    """``text_long`` for every free text of a submission over its limit (:mod:`core.limits`):
    a note over NOTE_CHARS, a note's key or a text field over FIELD_CHARS."""
    short, note = limits.FIELD_CHARS, limits.NOTE_CHARS
    found: list[Problem] = []

    def add(value: str, field: str, limit: int) -> None:
        found.append(problem("text_long", file, line, field[:40], n=len(value), limit=limit))

    for key in _TEXT_FIELDS:
        value = obj.get(key)
        if isinstance(value, str) and len(value) > short:
            add(value, key, short)
    notes = obj.get("notes")
    if isinstance(notes, dict):
        for code, text in notes.items():
            if len(code) > short:
                add(code, "notes", short)
            elif isinstance(text, str) and len(text) > note:
                add(text, f"notes.{code}", note)
    return found


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def check_dates(subs: Sequence[Submission], rounds: Mapping[str, Round], today: dt.date,
                file: str) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) about the submissions' dates: a date after ``today`` (the county's
    today) is refused, as is one more than :data:`core.config.ROUND_DATE_MARGIN_DAYS` days
    outside its round's start and end dates (``rounds``: id -> round; a round without dates, or
    not known yet, is not checked); a date outside the round within the margin is a warning."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    margin = dt.timedelta(days=ROUND_DATE_MARGIN_DAYS)
    for sub in subs:
        day = dt.date.fromisoformat(sub.date)
        if day > today:
            problems.append(problem("date_future", file, sub.line, "date", value=sub.date, today=today.isoformat()))
            continue
        rnd = rounds.get(sub.round)
        if rnd is None:
            continue
        start = dt.date.fromisoformat(rnd.start_date) if rnd.start_date else None
        end = dt.date.fromisoformat(rnd.end_date) if rnd.end_date else None
        fields = {"value": sub.date, "round": rnd.id, "start": rnd.start_date or "…", "end": rnd.end_date or "…"}
        if (start and day < start - margin) or (end and day > end + margin):
            problems.append(problem("date_outside_round", file, sub.line, "date", margin=margin.days, **fields))
        elif (start and day < start) or (end and day > end):
            warnings.append(problem("date_near_round", file, sub.line, "date", **fields))
    return problems, warnings


def _lines(path: Path, name: str) -> Iterator[tuple[int, bytes | None]]:
    """(1-based number, raw bytes) of each line of ``path`` without its newline, read one at a
    time; ``None`` for a line longer than :data:`core.limits.LINE_BYTES` (its rest skipped)."""
    limit = limits.LINE_BYTES
    with path.open("rb") as f:
        number = 0
        while True:
            raw = f.readline(limit + 1)
            if not raw:
                return
            number += 1
            if len(raw) > limit and not raw.endswith(b"\n"):
                while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                yield number, None
                continue
            yield number, raw.rstrip(b"\n")


def _rubric_of(rubric: Rubric | Callable[[str], Rubric], obj: Any) -> Rubric:
    """The rubric a line is checked against: one for the file, or the one of the line's round."""
    if isinstance(rubric, Rubric):
        return rubric
    round_id = obj.get("round") if isinstance(obj, dict) else None
    return rubric(round_id if isinstance(round_id, str) else "")


def read_submissions(path: str | Path, rubric: Rubric | Callable[[str], Rubric],
                     villages: Collection[str] | None) -> list[Submission]:
    """Read a JSON Lines file (UTF-8, with or without BOM; blank lines skipped). Raises
    :class:`DataError` with every problem of every line; returns the submissions otherwise.
    The limits of :mod:`core.limits` hold: file bytes, line bytes, JSON nesting; NaN and
    Infinity are refused; a line that is not UTF-8 is named."""
    path = Path(path)
    name = str(path)
    limits.file_size(path, limits.JSONL_BYTES, name)
    problems: list[Problem] = []
    subs: list[Submission] = []
    first_line: dict[str, int] = {}
    # Lines end at b"\n" only, not at U+2028, which may appear raw inside a JSON string.
    for number, raw in _lines(path, name):
        if raw is None:
            problems.append(problem("line_long", name, number, None, limit=limits.human_bytes(limits.LINE_BYTES)))
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append(problem("utf8_line", name, number, None, column=e.start + 1))
            continue
        if not text.strip():
            continue
        try:
            obj = limits.load_json(text, name, number)
        except DataError as e:
            problems.extend(e.problems)
            continue
        sub, found = parse_submission(obj, _rubric_of(rubric, obj), villages, name, number)
        problems.extend(found)
        sid = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(sid, str) and sid.strip():
            if sid in first_line:
                problems.append(problem("sub_id_duplicate", name, number, "id", value=sid, first=first_line[sid]))
            else:
                first_line[sid] = number
        if sub is not None:
            subs.append(sub)
    if problems:
        raise DataError(problems)
    if not subs:
        raise DataError([problem("file_empty", name)])
    return subs
