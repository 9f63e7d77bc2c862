"""Ten-star civilized households (十星级文明户): each village's household register, the yearly
rating of its households, and the figures the village is assessed on.

**The register** (户籍名册): household number (户号, unique within the village), head (户主), village
group (村民小组) and members, read from the village's Excel/CSV list (interchange.md,
"Households": GBK detected, every problem located, all or nothing, idempotent) or edited one
household at a time. Heads and members are personal data: they never leave this module but in
the register's own listing and the village's public notice, and are never written to the
provincial files, the maps or the bulletin.

**The rating** of a household, per period of the county's star set (:mod:`survey.stars`): the
stars awarded, a disqualifier if any, and the state of the village's procedure — claimed (农户
申报) → discussed (村民代表评议) → reviewed (村委会审核) → on notice (张榜公示, from a start to an
end date no shorter than the set's length) → awarded (挂牌建档). Stars may change until the
results go on notice; a step can be taken back before the award (an objection during the
notice sends the household back to review). A disqualified household gets no title.

**The figures** a village is assessed on come from the register (:func:`village_figures`):
participation (rated ÷ households on the register, judged exactly against the threshold), the
ten-star rate (awarded ten stars ÷ rated), the households per tier, whether results were put on
notice; and a spot check of N households the surveyor compares with their plaques
(:func:`spot_sample`), whose mismatches are the rubric's count item.

Who may do what: the township liaison (乡镇联络员) of the village's township and the county office
(reviewer, admin) read and edit the register and rate; a surveyor sees the figures and the spot
check of the villages in scope. Out of scope looks like unknown. Every change is audited.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from core import config, limits
from core.errors import DataError, NotFound, Problem, UsageError, problem
from core.model import Village
from survey import store
from survey.auth import ADMIN, LIAISON, REVIEWER, User
from survey.csvio import Column
from survey.stars import STAR_COUNT, StarSet, Tier, load_stars, meets, percent
from survey.tables import (
    STRIP,
    TABLE_SUFFIXES,
    aliases,
    cell_text,
    norm,
    read_table_bytes,
    read_table_file,
)

#: field -> accepted headers (interchange.md, "Households"; the first is the canonical header).
FIELDS: dict[str, tuple[str, ...]] = {
    "village": ("区划代码", "村代码", "village"),
    "household": ("户号", "户编号", "household"),
    "head": ("户主", "户主姓名", "head"),
    "group": ("村民小组", "小组", "group"),
    "members": ("人口", "家庭人口", "members"),
}
_ALIASES = aliases(FIELDS)
_CODE = re.compile(r"[0-9]{12}")
_INT = re.compile(r"\+?[0-9]+")

CLAIMED, DISCUSSED, REVIEWED, NOTICE, AWARDED = "claimed", "discussed", "reviewed", "notice", "awarded"
#: The states of a rating, in the order of the procedure.
STATES: tuple[str, ...] = (CLAIMED, DISCUSSED, REVIEWED, NOTICE, AWARDED)
#: Chinese and English names of the states (messages; the pages have their own text keys).
STATE_NAMES = {CLAIMED: ("已申报", "claimed"), DISCUSSED: ("已评议", "discussed"), REVIEWED: ("已审核", "reviewed"),
               NOTICE: ("公示中", "on notice"), AWARDED: ("已授牌", "awarded")}
#: States in which the stars and the disqualifier may still change.
EDITABLE: tuple[str, ...] = (CLAIMED, DISCUSSED, REVIEWED)
#: Roles that edit the register and rate households (within their scope).
EDITORS: tuple[str, ...] = (LIAISON, REVIEWER, ADMIN)


# --- records -------------------------------------------------------------------------------------


class HouseholdRow(NamedTuple):
    """One validated row of a register file (``group``/``members`` None: empty or no column); a
    named tuple: cheap to build by the 75,000."""

    village: str
    household: str
    head: str
    group: str | None
    members: int | None
    line: int
    columns: frozenset[str] = frozenset(FIELDS)  # the fields the file carries


def _kept(rows: list[HouseholdRow]) -> tuple[str, ...]:
    """The optional fields a file did not carry: their stored values are kept."""
    carried = rows[0].columns if rows else frozenset(FIELDS)
    return tuple(f for f in ("group", "members") if f not in carried)


@dataclass(frozen=True)
class Rating:
    """A household's rating of one period; ``tier`` None: no title (too few stars, or disqualified)."""

    period: str
    stars: tuple[str, ...]
    disqualifier: str | None
    state: str
    notice_start: str | None
    notice_end: str | None
    tier: Tier | None

    @property
    def count(self) -> int:
        return len(self.stars)


@dataclass(frozen=True)
class Household:
    """A household of a village's register with its rating (of the period asked, or its latest)."""

    village: str
    number: str
    head: str
    group: str | None
    members: int | None
    rating: Rating | None


@dataclass(frozen=True)
class VillageFigures:
    """What a village is assessed on, for one period: counts only, no names."""

    village: str
    period: str
    households: int  # on the register
    rated: int  # took part: a rating in any state (参评户)
    states: tuple[tuple[str, int], ...]  # (state, households), in the order of STATES
    tiers: tuple[tuple[Tier, int], ...]  # awarded title holders per tier, lowest first
    ten_star: int  # awarded all ten stars
    disqualified: int
    noticed: int  # results put on notice (on notice now, or awarded after it)
    notice_start: str | None  # the earliest and latest day of the notices
    notice_end: str | None
    threshold: Decimal  # participation threshold, percent
    target: Decimal | None  # the county's ten-star target, percent

    @property
    def participation(self) -> Decimal | None:
        """Rated ÷ households, percent to one decimal (display only)."""
        return percent(self.rated, self.households)

    @property
    def participation_met(self) -> bool:
        return meets(self.rated, self.households, self.threshold)

    @property
    def ten_star_rate(self) -> Decimal | None:
        """Awarded ten-star households ÷ rated, percent to one decimal (display only)."""
        return percent(self.ten_star, self.rated)

    @property
    def ten_star_met(self) -> bool | None:
        """The ten-star rate reaches the county's target (None when it set none)."""
        return None if self.target is None else meets(self.ten_star, self.rated, self.target)

    @property
    def posted(self) -> bool:
        """Results were put on notice."""
        return self.noticed > 0

    def state(self, name: str) -> int:
        return dict(self.states).get(name, 0)

    @property
    def awarded(self) -> int:
        return self.state(AWARDED)


@dataclass(frozen=True)
class Progress:
    """A village of the office's progress table: its registry entry and its figures."""

    village: Village
    figures: VillageFigures


@dataclass(frozen=True)
class NoticeList:
    """The public notice (公示) of a village and period: the households with a title or stars on
    notice, the notice's days, and where objections go."""

    village: Village
    period: str
    period_label: str
    start: str
    end: str
    objections: str
    households: tuple[Household, ...] = field(default_factory=tuple)


# --- who may do what -----------------------------------------------------------------------------


def _editor(db_path: str | Path, user: User, village: str) -> Village:
    """The village, when ``user`` may edit its register and ratings (NotFound out of scope)."""
    if user.role not in EDITORS:
        raise UsageError("forbidden")
    user.scope.check(village)
    return store.village(db_path, village)


def _reader(db_path: str | Path, user: User, village: str) -> Village:
    """The village, when it is in ``user``'s scope (NotFound otherwise)."""
    user.scope.check(village)
    return store.village(db_path, village)


# --- reading a register file ---------------------------------------------------------------------


def _is_key(header: str) -> bool:
    return _ALIASES.get(norm(header)) == "household"


def _is_code(header: str) -> bool:
    return _ALIASES.get(norm(header)) == "village"


def _validate(table, name: str, known: set[str], village: str | None) -> list[HouseholdRow]:
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        found = _ALIASES.get(norm(header))
        if found and found not in columns:
            columns[found] = index
    for f in ("household", "head") + (() if village else ("village",)):
        if f not in columns:
            problems.append(problem("column_missing", name, table.header_line, FIELDS[f][0],
                                    accepted="、".join(FIELDS[f])))
    for header in table.headers:
        found = limits.text_problem(header, name, table.header_line, header[:20] + "…")
        if found:
            problems.append(found)
    if problems:
        raise DataError(problems)
    headers = table.headers
    order = ("village", "household", "head", "group", "members")
    at = [columns.get(f) for f in order]
    shown = {f: headers[i] for f, i in zip(order, at) if i is not None}
    seen: dict[tuple[str, str], int] = {}
    carried = frozenset(columns)
    limit = limits.FIELD_CHARS
    out: list[HouseholdRow] = []
    checked: dict[str, tuple[str, dict[str, Any]] | None] = {}  # village code -> its problem, once
    for line, cells in table.rows:
        width = len(cells)
        values = [None if i is None else "" if i >= width else  # a CSV cell is text: trimmed here, fast
                  c.strip(STRIP) if type(c := cells[i]) is str else cell_text(c) for i in at]
        code, number, head, group, members_text = values
        found: list[tuple[str, str, dict[str, Any]]] = []  # (key, field, message fields)
        if len("".join(filter(None, values))) > limit:  # the fields read (other columns are not kept)
            found.extend(("text_long", f, {"n": len(value), "limit": limit})
                         for f, value in zip(order, values) if value and len(value) > limit)
        if code is None or (not code and village):
            code = village or ""
        elif code in checked:
            if checked[code] is not None:
                found.append((checked[code][0], "village", checked[code][1]))  # type: ignore[index]
        else:
            if not code:
                checked[code] = ("field_required", {})
            elif not _CODE.fullmatch(code):
                checked[code] = ("code_digits", {"value": code})
            elif village and code != village:
                checked[code] = ("household_other_village", {"value": code, "expected": village})
            elif code not in known:
                checked[code] = ("village_unknown", {"value": code})
            else:
                checked[code] = None
            if checked[code] is not None:
                found.append((checked[code][0], "village", checked[code][1]))  # type: ignore[index]
        if not number:
            found.append(("field_required", "household", {}))
        elif (code, number) in seen:
            found.append(("household_duplicate", "household",
                          {"value": number, "village": code, "first": seen[(code, number)]}))
        else:
            seen[(code, number)] = line
        if not head:
            found.append(("field_required", "head", {}))
        members = None
        if members_text:
            if members_text.isdecimal() or _INT.fullmatch(members_text):
                members = int(members_text)
            if members is None or members < 1:
                members = None
                found.append(("household_members", "members", {"value": members_text}))
        if found:
            problems.extend(problem(key, name, line, shown[f], **fields) for key, f, fields in found)
        else:
            out.append(HouseholdRow(code, number, head, group or None, members, line, carried))  # type: ignore[arg-type]
    if problems:
        raise DataError(problems)
    return out


def read_households(path: str | Path, known: set[str], village: str | None = None,
                    display_name: str | None = None) -> list[HouseholdRow]:
    """Read and validate a register file (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; XLSX; XLS);
    ``known``: the village codes the rows may name (the registry, within the importer's scope);
    ``village``: the village the file is for (its village column may then be left out; rows of
    another village are refused). Raises DataError with every problem found."""
    path = Path(path)
    name = display_name or str(path)
    suffix = path.suffix.lower()
    if path.is_file() and suffix not in TABLE_SUFFIXES:
        raise DataError([problem("table_format", name, suffix=suffix or path.name)])
    if village is not None and village not in known:
        raise NotFound("village_unknown", value=village)
    return _validate(read_table_file(path, name, _is_key, _is_code), name, known, village)


def read_households_bytes(data: bytes, filename: str, known: set[str],
                          village: str | None = None) -> list[HouseholdRow]:
    """:func:`read_households` of an upload (``filename`` names it in problems)."""
    name = limits.upload_name(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError([problem("table_format", name, suffix=suffix or name)])
    if village is not None and village not in known:
        raise NotFound("village_unknown", value=village)
    return _validate(read_table_bytes(data, name, suffix, _is_key, _is_code), name, known, village)


def _known(db_path: str | Path, user: User) -> set[str]:
    """The villages of the registry whose register ``user`` may import."""
    if user.role not in EDITORS:
        raise UsageError("forbidden")
    scope = user.scope
    return {v.code for v in store.villages(db_path, county=scope.county, townships=scope.townships)}


def import_file(db_path: str | Path, user: User, path: str | Path, village: str | None = None,
                display_name: str | None = None) -> store.ImportSummary:
    """``import-households FILE [--village CODE]``: add or update the households of a register
    file, all or nothing; importing the same file again changes nothing."""
    rows = read_households(path, _known(db_path, user), village, display_name)
    return store.import_households(db_path, rows, _kept(rows), actor=user.name)


def import_bytes(db_path: str | Path, user: User, data: bytes, filename: str,
                 village: str | None = None) -> store.ImportSummary:
    """:func:`import_file` of an upload (the households page)."""
    rows = read_households_bytes(data, filename, _known(db_path, user), village)
    return store.import_households(db_path, rows, _kept(rows), actor=user.name)


# --- the register, one household at a time -------------------------------------------------------


def _rating(r: dict[str, Any], stars: StarSet) -> Rating:
    return Rating(period=r["period"], stars=r["stars"], disqualifier=r["disqualifier"], state=r["state"],
                  notice_start=r["notice_start"], notice_end=r["notice_end"],
                  tier=stars.tier(r["star_count"], r["disqualifier"] is not None))


def register(db_path: str | Path, user: User, village: str, period: str | None = None) -> list[Household]:
    """The households on ``village``'s register, by group and number, each with its rating of
    ``period`` (None: its latest rating)."""
    _editor(db_path, user, village)
    stars = load_stars()
    if period is not None:
        period = stars.check_period(period)
    ratings: dict[str, dict[str, Any]] = {}
    for r in store.rating_rows(db_path, village, period):  # oldest period first: the latest wins
        ratings[r["household"]] = r
    return [Household(village, h["number"], h["head"], h["village_group"], h["members"],
                      _rating(ratings[h["number"]], stars) if h["number"] in ratings else None)
            for h in store.household_rows(db_path, village)]


def _text_field(value: str | None, what: str, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise DataError([problem("field_required", what, field=what)])
    if len(text) > limits.FIELD_CHARS:
        raise DataError([problem("text_long", what, None, what, n=len(text), limit=limits.FIELD_CHARS)])
    return text or None


def save_household(db_path: str | Path, user: User, village: str, number: str, head: str,
                   group: str | None = None, members: int | None = None) -> str:
    """Add a household to ``village``'s register or change one; ``added``, ``updated`` or
    ``unchanged``."""
    _editor(db_path, user, village)
    number = _text_field(number, FIELDS["household"][0], True)  # type: ignore[assignment]
    head = _text_field(head, FIELDS["head"][0], True)  # type: ignore[assignment]
    group = _text_field(group, FIELDS["group"][0], False)
    if members is not None and (isinstance(members, bool) or not isinstance(members, int) or members < 1):
        raise DataError([problem("household_members", FIELDS["members"][1], None, FIELDS["members"][1],
                                 value=str(members))])
    return store.save_household(db_path, village, number, head, group, members, actor=user.name)


def remove_household(db_path: str | Path, user: User, village: str, number: str) -> None:
    """Take a household off ``village``'s register (its ratings are kept)."""
    _editor(db_path, user, village)
    if not store.remove_household(db_path, village, number, actor=user.name):
        raise NotFound("household_unknown", value=number, village=village)


# --- the rating ----------------------------------------------------------------------------------


def _where(village: str, household: str) -> str:
    return f"{village}/{household}"


def _state_fields(state: str) -> dict[str, str]:
    zh, en = STATE_NAMES[state]
    return {"state": zh, "state_en": en}


def check_stars(stars: StarSet, village: str, household: str, codes: list[str] | tuple[str, ...],
                disqualifier: str | None) -> list[Problem]:
    """Every problem of a rating's stars and disqualifier: a star not in the county's set, one
    given twice, more than ten, an unknown disqualifier, a disqualified household given a title."""
    where = _where(village, household)
    problems = []
    for code, n in Counter(codes).items():
        if not stars.has_star(code):
            problems.append(problem("star_unknown", where, None, "stars", value=code,
                                    known="、".join(f"{s.code} {s.name}" for s in stars.stars)))
        elif n > 1:
            problems.append(problem("star_twice", where, None, "stars", value=code))
    if len(codes) > STAR_COUNT:
        problems.append(problem("stars_too_many", where, None, "stars", n=len(codes)))
    if disqualifier is not None:
        if not stars.has_disqualifier(disqualifier):
            problems.append(problem("disqualifier_unknown", where, None, "disqualifier", value=disqualifier,
                                    known="、".join(f"{d.code} {d.name}" for d in stars.disqualifiers)))
        else:
            tier = stars.tier(len(set(codes)))
            if tier is not None:
                problems.append(problem("disqualified_title", where, None, "disqualifier",
                                        value=stars.disqualifier(disqualifier).name, n=len(set(codes)),
                                        tier=tier.name, tier_en=tier.name_en or tier.code))
    return problems


def rate(db_path: str | Path, user: User, village: str, household: str, period: str,
         stars: list[str] | tuple[str, ...], disqualifier: str | None = None) -> str:
    """Record a household's stars and disqualifier for ``period``: a new rating is ``claimed``
    (the household's own claim); an existing one keeps its state while it may still change
    (claimed, discussed, reviewed). Returns the rating's state."""
    _editor(db_path, user, village)
    star_set = load_stars()
    period = star_set.check_period(period)
    disqualifier = disqualifier or None
    problems = check_stars(star_set, village, household, list(stars), disqualifier)
    if problems:
        raise DataError(problems)
    order = {s.code: n for n, s in enumerate(star_set.stars)}
    chosen = sorted(set(stars), key=order.__getitem__)
    outcome: list[str] = []

    def decide(current: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
        if household not in current:
            raise NotFound("household_unknown", value=household, village=village)
        old = current[household]
        if old is not None and old["state"] not in EDITABLE:
            raise UsageError("rating_state", value=household, period=period, action="修改星级",
                             action_en="changed", **_state_fields(old["state"]))
        state = CLAIMED if old is None else old["state"]
        outcome.append(state)
        return [{"household": household, "stars": chosen, "star_count": len(chosen),
                 "disqualifier": disqualifier, "state": state, "notice_start": None, "notice_end": None}]

    store.change_ratings(db_path, village, period, [household], decide, actor=user.name)
    return outcome[0]


def _day(text: str | date | None) -> date | None:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def move(db_path: str | Path, user: User, village: str, period: str, to: str,
         households: list[str] | None = None, start: str | date | None = None, end: str | date | None = None,
         today: date | None = None) -> int:
    """Take ratings of ``village`` one step on to ``to`` (discussed, reviewed, notice, awarded):
    those of ``households``, or every rating in the step before when None. Going on notice
    needs the notice's ``start`` and ``end`` (no shorter than the set's length, both days
    counted); the award waits until the notice has ended. Returns how many moved."""
    _editor(db_path, user, village)
    star_set = load_stars()
    period = star_set.check_period(period)
    if to not in STATES[1:]:
        raise UsageError("rubric_choice", field="state", choices="/".join(STATES[1:]), value=to)
    before = STATES[STATES.index(to) - 1]
    notice: tuple[str | None, str | None] = (None, None)
    if to == NOTICE:
        first, last = _day(start), _day(end)
        if first is None or last is None or last < first:
            raise UsageError("notice_dates", start=str(start or "—"), end=str(end or "—"))
        days = (last - first).days + 1
        if days < star_set.notice_days:
            raise UsageError("notice_short", start=first.isoformat(), end=last.isoformat(), n=days,
                             days=star_set.notice_days)
        notice = (first.isoformat(), last.isoformat())
    today_text = (today or config.today()).isoformat()

    def decide(current: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
        problems = []
        if households is None:
            chosen = [h for h, r in current.items() if r is not None and r["state"] == before]
            if not chosen:
                raise UsageError("rating_none", village=village, period=period, **_state_fields(before))
        else:
            chosen = list(dict.fromkeys(households))
            for h in chosen:
                r = current.get(h)
                if h not in current:
                    problems.append(problem("household_unknown", _where(village, h), value=h, village=village))
                elif r is None:
                    problems.append(problem("rating_unknown", _where(village, h), value=h, period=period))
                elif r["state"] != before:
                    problems.append(problem("rating_state", _where(village, h), value=h, period=period,
                                            action=f"进入“{STATE_NAMES[to][0]}”",
                                            action_en=f"moved to {STATE_NAMES[to][1]}", **_state_fields(r["state"])))
        if to == AWARDED:
            for h in chosen:
                r = current.get(h)
                if r is not None and r["state"] == NOTICE and (r["notice_end"] or "") >= today_text:
                    problems.append(problem("notice_running", _where(village, h), value=h, end=r["notice_end"]))
        if problems:
            raise DataError(problems)
        out = []
        for h in chosen:
            r = dict(current[h])  # type: ignore[arg-type]
            r.update(household=h, state=to)
            if to == NOTICE:
                r["notice_start"], r["notice_end"] = notice
            out.append(r)
        return out

    return store.change_ratings(db_path, village, period, households, decide, actor=user.name)


def back(db_path: str | Path, user: User, village: str, period: str, household: str) -> str:
    """Take a household's rating one step back (an objection during the notice sends it back
    to review; a correction before): notice → reviewed (the notice dates cleared), reviewed →
    discussed, discussed → claimed. An awarded rating stays. Returns the new state."""
    _editor(db_path, user, village)
    period = load_stars().check_period(period)
    outcome: list[str] = []

    def decide(current: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
        r = current.get(household)
        if household not in current:
            raise NotFound("household_unknown", value=household, village=village)
        if r is None:
            raise NotFound("rating_unknown", value=household, period=period)
        if r["state"] in (CLAIMED, AWARDED):
            raise UsageError("rating_state", value=household, period=period, action="退回上一步",
                             action_en="taken back", **_state_fields(r["state"]))
        state = STATES[STATES.index(r["state"]) - 1]
        outcome.append(state)
        return [dict(r, household=household, state=state, notice_start=None, notice_end=None)]

    store.change_ratings(db_path, village, period, [household], decide, actor=user.name)
    return outcome[0]


# --- the figures the village is assessed on ------------------------------------------------------


def default_period(db_path: str | Path, stars: StarSet, village: str | None = None,
                   county: str | None = None, today: date | None = None) -> str:
    """The latest period rated (in the village or county) that is not after today's, else today's."""
    current = stars.period_of(today or config.today())
    rated = [p for p in store.rating_periods(db_path, county=county, village=village) if p <= current]
    return rated[-1] if rated else current


def periods(db_path: str | Path, user: User, county: str, today: date | None = None) -> tuple[list[str], str]:
    """The periods to choose from in ``county`` (those rated and today's, newest first) and the
    one shown first (:func:`default_period`)."""
    user.scope.check_county(county)
    stars = load_stars()
    rated = store.rating_periods(db_path, county=county)
    current = stars.period_of(today or config.today())
    return sorted({*rated, current}, reverse=True), default_period(db_path, stars, county=county, today=today)


def _figures(stars: StarSet, village: str, period: str, households: int, counts: list[tuple]) -> VillageFigures:
    """The figures of one village from its rows of :func:`survey.store.figure_counts`."""
    states: Counter[str] = Counter()
    tiers: Counter[str] = Counter()
    ten = disqualified = noticed = 0
    first = last = None
    for _v, state, n, disq, k, start, end in counts:
        states[state] += k
        disqualified += k if disq else 0
        if state in (NOTICE, AWARDED):
            noticed += k
            first = start if first is None or (start and start < first) else first
            last = end if last is None or (end and end > last) else last
        if state == AWARDED and not disq:
            tier = stars.tier(n)
            if tier is not None:
                tiers[tier.code] += k
            ten += k if n == STAR_COUNT else 0
    return VillageFigures(
        village=village, period=period, households=households, rated=sum(states.values()),
        states=tuple((s, states[s]) for s in STATES), tiers=tuple((t, tiers[t.code]) for t in stars.tiers),
        ten_star=ten, disqualified=disqualified, noticed=noticed, notice_start=first, notice_end=last,
        threshold=stars.participation, target=stars.ten_star_target)


def village_figures(db_path: str | Path, user: User, village_code: str, period: str | None = None) -> VillageFigures:
    """The figures ``village_code`` is assessed on for ``period`` (None: the latest period rated
    up to today's): counts from its register, no names. For every role, within scope."""
    _reader(db_path, user, village_code)
    stars = load_stars()
    period = stars.check_period(period) if period else default_period(db_path, stars, village=village_code)
    registers, counts = store.figure_counts(db_path, period, village=village_code)
    return _figures(stars, village_code, period, registers.get(village_code, 0), counts)


def county_figures(db_path: str | Path, user: User, county: str, period: str | None = None) -> list[Progress]:
    """The office's progress table: every village of ``county`` in ``user``'s scope with its
    figures for ``period`` (None: the latest period rated in the county up to today's)."""
    if user.role not in EDITORS:
        raise UsageError("forbidden")
    user.scope.check_county(county)
    stars = load_stars()
    period = stars.check_period(period) if period else default_period(db_path, stars, county=county)
    villages = store.villages(db_path, county=county, townships=user.scope.townships)
    registers, counts = store.figure_counts(db_path, period, county=county)
    by_village: dict[str, list[tuple]] = {}
    for row in counts:
        by_village.setdefault(row[0], []).append(row)
    return [Progress(v, _figures(stars, v.code, period, registers.get(v.code, 0), by_village.get(v.code, [])))
            for v in villages]


def spot_sample(db_path: str | Path, user: User, village_code: str, round_id: str,
                period: str | None = None) -> list[Household]:
    """The households the surveyor checks against their plaques this round: N (the set's
    ``spot_check.households``) of the village's awarded households of ``period`` (None: as
    :func:`village_figures`), drawn at random but the same for the same round and village;
    all of them when fewer. Their mismatches are the rubric's count item (``spot_check.item``)."""
    _reader(db_path, user, village_code)
    stars = load_stars()
    period = stars.check_period(period) if period else default_period(db_path, stars, village=village_code)
    awarded = {r["household"]: r for r in store.rating_rows(db_path, village_code, period) if r["state"] == AWARDED}
    people = {h["number"]: h for h in store.household_rows(db_path, village_code) if h["number"] in awarded}
    chosen = sorted(people)
    if len(chosen) > stars.spot_households:
        chosen = random.Random(f"{round_id}|{village_code}|{period}").sample(chosen, stars.spot_households)
    return [Household(village_code, n, people[n]["head"], people[n]["village_group"], people[n]["members"],
                      _rating(awarded[n], stars))
            for n in sorted(chosen, key=lambda n: (len(n), n))]


# --- the register as a file, the public notice ---------------------------------------------------


#: The columns of ``households --village CODE``: the register with each household's rating.
LISTING_COLUMNS = (Column("区划代码", "code"), Column("村"), Column("户号"), Column("户主"), Column("村民小组"),
                   Column("家庭人口", "int"), Column("评星周期"), Column("星数", "int"), Column("所获星级"),
                   Column("等级"), Column("否决情形"), Column("状态"), Column("公示开始"), Column("公示结束"))


def listing(db_path: str | Path, user: User, village: str, period: str | None = None) -> list[tuple]:
    """``households --village CODE [--period P]``: the rows of :data:`LISTING_COLUMNS`, one per
    household on the register, with its rating of ``period`` (None: its latest rating)."""
    v = _editor(db_path, user, village)
    stars = load_stars()
    names = {s.code: s.name for s in stars.stars}
    out = []
    for h in register(db_path, user, village, period):
        r = h.rating
        rated = () if r is None else (
            r.period, r.count, "、".join(names.get(c, c) for c in r.stars), r.tier.name if r.tier else "",
            stars.disqualifier(r.disqualifier).name if r.disqualifier and stars.has_disqualifier(r.disqualifier)
            else (r.disqualifier or ""), STATE_NAMES[r.state][0], r.notice_start, r.notice_end)
        out.append((v.code, v.name, h.number, h.head, h.group, h.members, *(rated or (None,) * 8)))
    return out


def notice_list(db_path: str | Path, user: User, village: str, period: str,
                objections: str | None = None, start: str | None = None) -> NoticeList:
    """The public notice of ``village`` for ``period``: the households whose results were put on
    notice (on notice, or awarded after it) starting on ``start`` (None: the latest notice),
    but the disqualified (no title; the reason is not published); ``objections``: where
    objections go (None: the set's). NotFound ``notice_none`` when nothing was put on notice."""
    v = _editor(db_path, user, village)
    stars = load_stars()
    period = stars.check_period(period)
    on_notice = [h for h in register(db_path, user, village, period)
                 if h.rating is not None and h.rating.state in (NOTICE, AWARDED) and h.rating.notice_start]
    starts = sorted({h.rating.notice_start for h in on_notice})  # type: ignore[union-attr]
    chosen = start if start in starts else (starts[-1] if starts else None)
    if chosen is None:
        raise NotFound("notice_none", village=village, period=period)
    listed = [h for h in on_notice if h.rating.notice_start == chosen]  # type: ignore[union-attr]
    end = max(h.rating.notice_end for h in listed)  # type: ignore[union-attr,type-var]
    shown = tuple(h for h in listed if h.rating.disqualifier is None)  # type: ignore[union-attr]
    return NoticeList(village=v, period=period, period_label=stars.period_label(period), start=chosen, end=end,
                      objections=(objections or "").strip() or stars.objections, households=shown)

