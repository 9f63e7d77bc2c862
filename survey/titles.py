"""Civilized-village and civilized-township titles: their history and the townships' list.

Titles are awarded (授予) and removed (摘牌) at four levels (县级, 市级, 省级, 全国), each with a
date and the document (文号) that decided it. A place holds every level awarded and not removed
since; its current title (the registry's ``title``) is the highest level it holds, derived from
the history by :func:`replay` whenever the history changes. A registry file (village list,
township list) states a place's current title: where that differs from the history, a *record*
event (登记) sets the levels held to what the file says (its baseline), so the registry's title
is always the history's.

Rules of a change (checked against the whole history replayed, the new event in its place):
an award of a level already held, or a removal of a level not held, is refused; an award that
skips a level (from 无 straight to 市级, from 县级 to 省级) needs the document number.

``import-townships`` reads interchange.md "Townships": code (9 digits, a township of the registry
or a new one of a county of the registry), name, title, title year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import config
from core.constants import TOWNSHIP_DIGITS, county_of, real_date
from core.errors import DataError, NotFound, Problem, UsageError, problem
from core.model import TITLES
from survey import store
from survey.auth import User

LEVELS = TITLES[1:]
AWARD, REMOVE, RECORD = "award", "remove", "record"
#: How an action is written in files and forms.
ACTION_NAMES = {"授予": AWARD, "award": AWARD, "摘牌": REMOVE, "remove": REMOVE, "登记": RECORD, "record": RECORD}
#: Titles as files write them (interchange.md: 国家级 is 全国; an empty cell is 无).
TITLE_ALIASES = {"": "无", "无": "无", "县级": "县级", "市级": "市级", "省级": "省级", "全国": "全国", "国家级": "全国"}
_YEAR = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Event:
    """One change of a place's titles."""

    code: str
    action: str  # award / remove / record
    level: str  # 县级 … 全国 (无 only for a record)
    date: str
    year: int | None = None  # a record's title year, as the file says
    document: str | None = None
    source: str | None = None
    entered_by: str = ""
    entered_at: str = ""
    id: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(**{k: row[k] for k in ("code", "action", "level", "date", "year", "document", "source",
                                          "entered_by", "entered_at", "id")})


@dataclass(frozen=True)
class State:
    """What a place holds after its history: its current title and that title's year."""

    title: str
    year: int | None
    held: tuple[str, ...]  # every level held, lowest first


def _rank(level: str) -> int:
    return TITLES.index(level)


def replay(events: Sequence[Event]) -> tuple[State, list[tuple[Event, str, str]]]:
    """The state after ``events`` in date order (events of one date in the given order), and
    every event that breaks a rule: (event, message key, the title held before it)."""
    held: dict[str, int | None] = {}
    wrong: list[tuple[Event, str, str]] = []
    for e in sorted(events, key=lambda e: e.date):  # stable: one date keeps the given order
        year = int(e.date[:4])
        if e.action == RECORD:
            held = {} if e.level == "无" else {e.level: e.year or year}
        elif e.action == AWARD:
            top = max((_rank(x) for x in held), default=0)
            if e.level in held:
                wrong.append((e, "title_held", TITLES[top]))
            elif _rank(e.level) - top > 1 and not (e.document or "").strip():
                wrong.append((e, "title_skip", TITLES[top]))
            else:
                held[e.level] = year
        elif e.level in held:
            del held[e.level]
        else:
            wrong.append((e, "title_not_held", TITLES[max((_rank(x) for x in held), default=0)]))
    levels = tuple(sorted(held, key=_rank))
    title = levels[-1] if levels else "无"
    return State(title, held.get(title), levels), wrong


def current(events: Sequence[Event]) -> str:
    return replay(events)[0].title


# --- use cases -----------------------------------------------------------------------------------


def _place(db_path: str | Path, code: str) -> str:
    """The name of village or township ``code`` (NotFound when the registry has neither)."""
    if len(code) == TOWNSHIP_DIGITS:
        towns = store.townships(db_path)
        if code in towns:
            return towns[code][0]
    elif re.fullmatch(r"\d{12}", code or ""):
        try:
            return store.village(db_path, code).name
        except NotFound:
            pass
    raise NotFound("place_unknown", value=code)


@dataclass(frozen=True)
class Place:
    """A village or township of the registry with its current title."""

    code: str
    name: str
    township: str | None  # a village's township name (None for a township)
    title: str
    title_year: int | None


def place(db_path: str | Path, user: User, code: str) -> Place:
    """The village or township ``code`` in the user's scope (reviewers and administrators;
    out of scope, or unknown: :class:`NotFound`)."""
    if not user.reviews:
        raise UsageError("forbidden")
    code = (code or "").strip()
    if not re.fullmatch(r"\d{12}|\d{9}", code):
        raise NotFound("place_unknown", value=code)
    user.scope.check(code)
    if len(code) == TOWNSHIP_DIGITS:
        for row in store.township_rows(db_path, county_of(code)):
            if row["code"] == code:
                return Place(code, row["name"], None, row["title"], row["title_year"])
        raise NotFound("place_unknown", value=code)
    try:
        v = store.village(db_path, code)
    except NotFound:
        raise NotFound("place_unknown", value=code) from None
    return Place(code, v.name, v.township, v.title, v.title_year)


def history(db_path: str | Path, user: User, code: str) -> list[Event]:
    """The title history of a village or township in the user's scope, oldest first
    (reviewers and administrators; out of scope looks unknown)."""
    if not user.reviews:
        raise UsageError("forbidden")
    user.scope.check(code)
    _place(db_path, code)
    return sorted((Event.from_row(r) for r in store.title_events(db_path, code)), key=lambda e: e.date)


def change(db_path: str | Path, user: User, code: str, action: str, level: str, date: str,
           document: str | None = None, source: str | None = None, today: dt.date | None = None) -> State:
    """Record an award (授予) or a removal (摘牌) of a title of a village or township, with its
    date (not after today) and document number; the registry's title follows from the history.
    Reviewers and administrators, the place in scope. A change that breaks a rule (a level
    skipped without a document, a level held already or not held): :class:`DataError` naming
    it, nothing written."""
    if not user.reviews:
        raise UsageError("forbidden")
    code = (code or "").strip()
    user.scope.check(code)
    name = _place(db_path, code)
    where = f"称号 {name}（{code}）"
    act = ACTION_NAMES.get((action or "").strip())
    level = TITLE_ALIASES.get((level or "").strip(), (level or "").strip())
    today = today or config.today()
    problems: list[Problem] = []
    if act not in (AWARD, REMOVE):
        problems.append(problem("title_action", where, None, "action", value=action))
    if level not in LEVELS:
        problems.append(problem("title_level", where, None, "level", value=level))
    if not real_date(date) or date > today.isoformat():
        problems.append(problem("title_date", where, None, "date", value=date, today=today.isoformat()))
    if problems:
        raise DataError(problems)
    event = Event(code=code, action=act, level=level, date=date, document=(document or "").strip() or None,
                  source=(source or "").strip() or None)

    def derive(rows: list[dict[str, Any]]) -> State:
        """Inside the write: the history as stored now, with ``event`` after its date's others."""
        state, wrong = replay([Event.from_row(r) for r in rows] + [event])
        if wrong:
            raise DataError([problem(key, where, None, "level", date=e.date, value=e.level, current=before)
                             for e, key, before in wrong])
        return state

    return store.add_title_event(db_path, code, {k: getattr(event, k) for k in (
        "action", "level", "date", "year", "document", "source")}, derive, actor=user.name)


# --- the townships' list ---------------------------------------------------------------------------

#: field -> accepted headers (interchange.md, Townships).
FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("乡镇代码", "区划代码", "code"),
    "name": ("乡镇", "乡镇名称", "name"),
    "title": ("文明乡镇称号", "称号", "title"),
    "title_year": ("称号年份", "命名年份", "title_year"),
}
REQUIRED = ("code", "name")


@dataclass(frozen=True)
class TownshipRow:
    """One row of a township list. ``title`` None: the file has no title column (kept)."""

    code: str
    name: str
    title: str | None
    title_year: int | None
    line: int


def read_townships(path: str | Path, counties: Iterable[str], display_name: str | None = None) -> list[TownshipRow]:
    """Read and check a township list (CSV in UTF-8, BOM or GBK/GB18030; XLSX; XLS): every
    problem of every row at once, or the rows. ``counties``: the county codes of the registry
    (a township not in the registry yet must belong to one of them)."""
    from survey.registry import read_table

    name = display_name or str(path)
    table, columns = read_table(Path(path), name, FIELDS, REQUIRED)
    known = set(counties)
    problems: list[Problem] = []
    out: list[TownshipRow] = []
    seen: dict[str, int] = {}
    for line, get in table:
        found: list[Problem] = []
        code, town = get("code") or "", get("name") or ""
        if not re.fullmatch(r"\d{9}", code):
            found.append(problem("township_code", name, line, columns["code"], value=code))
        elif code in seen:
            found.append(problem("code_duplicate", name, line, columns["code"], value=code, first=seen[code]))
        elif county_of(code) not in known:
            found.append(problem("township_county_unknown", name, line, columns["code"], value=code,
                                 county=county_of(code)))
        seen.setdefault(code, line)
        if not town:
            found.append(problem("field_required", name, line, columns["name"]))
        title = get("title")  # None: no title column
        if title is not None:
            if title in TITLE_ALIASES:
                title = TITLE_ALIASES[title]
            else:
                found.append(problem("title_unknown", name, line, columns["title"], value=title))
        year_text = get("title_year") or ""
        year = None
        if year_text:
            if _YEAR.fullmatch(year_text):
                year = int(year_text)
            else:
                found.append(problem("year", name, line, columns["title_year"], value=year_text))
        problems.extend(found)
        if not found:
            out.append(TownshipRow(code, town, title, year, line))
    if problems:
        raise DataError(problems)
    if not out:
        raise DataError([problem("file_empty", name)])
    return out


def import_townships_file(db_path: str | Path, user: User, path: str | Path,
                          display_name: str | None = None) -> store.ImportSummary:
    """``import-townships FILE``: add or update townships and their titles, all or nothing
    (administrators). A title that differs from the history is recorded as its baseline."""
    if not user.admin:
        raise UsageError("forbidden")
    rows = read_townships(path, store.counties(db_path), display_name)
    return store.import_townships(db_path, rows, config.today().isoformat(), actor=user.name)


# --- what the pages show -------------------------------------------------------------------------


def event_records(events: Iterable[Event]) -> list[dict[str, Any]]:
    """A history as table rows (neutral column ids; the page translates)."""
    return [{"date": e.date, "action": e.action, "level": e.level, "document": e.document or "",
             "source": e.source or "", "entered_by": e.entered_by, "entered_at": e.entered_at} for e in events]
