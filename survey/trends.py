"""Trends: a village's totals over the rounds, a township's and the county's projected share over
the rounds, and the change between any two rounds.

Pure functions over a :class:`History`: the rounds, the villages and, per round, each village's
counting submission (a :class:`Mark`). :func:`survey.store.trends.history` reads one from the
store with one query for all rounds; :meth:`History.from_results` builds one from per-round
``list[VillageResult]`` (as :func:`survey.store.round_results` returns a round).

Shares follow the rules of :func:`survey.targets.township_table` exactly (the tests hold every
round's rows equal to that function's): a village assessed in the round counts when it passed, a
village not assessed by its title (the titles its county counts: :class:`TargetPolicy`). Titles
are the registry's current ones, so a past round's projected share is "that round's results on
today's titles" (the title history, :mod:`survey.titles`, says when each was awarded).
The per-round tally is incremental: the registry's counts once, then only the assessed villages
of each round (province scale: 25,000 villages × 6 rounds).

Which rounds count is one predicate, ``counts(round) -> bool``. The default :func:`counting`
takes every round, or a round's own ``counts`` flag once rounds carry one (round kinds: a mock
round does not count). A round that does not count never appears in a trend or in the window of
:mod:`survey.elimination`; :func:`change_between` compares any two rounds named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from core.errors import NotFound
from core.model import (
    Round,
    TownshipRow,
    Village,
    VillageResult,
    county_of,
    township_of,
)
from survey.csvio import fmt1
from survey.targets import Change, TargetPolicy, needed, reaches, share

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.auth import Scope

Counts = Callable[[Round], bool]
_CTX = Context(prec=40)  # as targets.share: differences of shares stay exact to 40 digits


def counting(rnd: Round) -> bool:
    """The default ``counts`` predicate: every round counts, unless the round itself says it
    does not (a ``counts`` attribute, which round kinds bring; a mock round has it False)."""
    return bool(getattr(rnd, "counts", True))


def counting_rounds(rounds: Iterable[Round], counts: Counts = counting, until: str | None = None) -> list[Round]:
    """The rounds that count, in the given order (oldest first), up to and including ``until``
    (every round when None; NotFound when ``until`` is not among ``rounds``)."""
    out, seen = [], []
    for r in rounds:
        seen.append(r.id)
        if counts(r):
            out.append(r)
        if r.id == until:
            return out
    if until is not None:
        raise NotFound("round_unknown", value=until, known="、".join(seen) or "（无 none）")
    return out


# --- the history --------------------------------------------------------------------------------


class Mark(NamedTuple):
    """A village's counting submission in one round: total, vetoes that applied, pass."""

    total: Decimal
    veto: tuple[str, ...]
    passed: bool


@dataclass(frozen=True)
class History:
    """Villages and their counting submission in each of several rounds."""

    rounds: tuple[Round, ...]  # oldest first, counting or not
    villages: tuple[Village, ...]  # by code
    marks: Mapping[str, Mapping[str, Mark]]  # round id -> village code -> its counting submission

    @classmethod
    def from_results(cls, rounds: Iterable[Round],
                     results: Mapping[str, Iterable[VillageResult]]) -> History:
        """From per-round results (round id -> results): the rounds of ``rounds`` that
        ``results`` holds, every village of any round, each assessed village's mark."""
        villages: dict[str, Village] = {}
        marks: dict[str, dict[str, Mark]] = {}
        for rid, rows in results.items():
            m = marks[rid] = {}
            for r in rows:
                villages.setdefault(r.village.code, r.village)
                if r.submission_id is not None:
                    m[r.village.code] = Mark(r.total, r.veto, bool(r.passed))  # type: ignore[arg-type]
        return cls(tuple(r for r in rounds if r.id in results), tuple(villages[c] for c in sorted(villages)), marks)


# --- villages -----------------------------------------------------------------------------------


class VillagePoint(NamedTuple):
    """A village in one round: its total, pass and vetoes; ``total`` None when not assessed."""

    round_id: str
    total: Decimal | None
    passed: bool | None
    veto: tuple[str, ...] = ()

    @property
    def assessed(self) -> bool:
        return self.total is not None


def _point(rid: str, m: Mark | None) -> VillagePoint:
    return VillagePoint(rid, None, None) if m is None else VillagePoint(rid, m.total, m.passed, m.veto)


def village_trends(history: History, counts: Counts = counting,
                   codes: Iterable[str] | None = None) -> dict[str, tuple[VillagePoint, ...]]:
    """Village code -> one point per counting round (oldest first), for every village of the
    history (or only those of ``codes``), by code."""
    rounds = counting_rounds(history.rounds, counts)
    wanted = None if codes is None else set(codes)
    return {v.code: tuple(_point(r.id, history.marks[r.id].get(v.code)) for r in rounds)
            for v in history.villages if wanted is None or v.code in wanted}


def village_trend(history: History, code: str, counts: Counts = counting) -> tuple[VillagePoint, ...]:
    """One village's points over the counting rounds (empty when the history has no such village)."""
    return village_trends(history, counts, (code,)).get(code, ())


# --- townships and counties ---------------------------------------------------------------------


class SharePoint(NamedTuple):
    """A township or county in one round: its row of the township table for that round."""

    round: Round
    row: TownshipRow


def _row(code: str, name: str, county: str, counts: Sequence[int], target: Decimal) -> TownshipRow:
    """A row from [villages, civilized now, assessed, passed, projected], as targets builds it."""
    n, civ, assessed, passed, projected = counts
    return TownshipRow(code=code, name=name, county_code=county, villages=n, civilized_now=civ,
                       assessed=assessed, passed=passed, projected=projected, share_now=share(civ, n),
                       share_projected=share(projected, n), target=target,
                       reached=reaches(projected, n, target), needed=needed(projected, n, target))


def _tallies(history: History, rounds: Sequence[Round], extra: Mapping[str, tuple[str, str]] | None = None,
             policy: TargetPolicy | None = None):
    """Township code -> (name, county code, county name), and per round township code -> counts
    [villages, civilized now, assessed, passed, projected]: the registry's counts once, then per
    round the assessed villages of each township (projected = civilized - civilized assessed +
    passed), counted as intersections of small sets (C loops: province scale)."""
    meta: dict[str, tuple[str, str, str | None]] = {}
    members: dict[str, set[str]] = {}
    titled: dict[str, set[str]] = {}
    policy = policy or TargetPolicy()
    civilized: dict[str, frozenset[str]] = {}
    for v in history.villages:
        t = v.township_code or township_of(v.code)
        m = members.get(t)
        if m is None:
            meta[t] = (v.township, v.county_code or county_of(v.code), v.county)
            m = members[t] = set()
            titled[t] = set()
            civilized[t] = policy.civilized(meta[t][1])
        m.add(v.code)
        if v.title in civilized[t]:
            titled[t].add(v.code)
    for code, (name, county) in (extra or {}).items():
        if code not in meta:
            meta[code], members[code], titled[code] = (name, county, None), set(), set()
    per_round = []
    for rnd in rounds:
        marks = history.marks[rnd.id]
        assessed = marks.keys()
        passed = {c for c, m in marks.items() if m.passed}
        tally = {}
        for t, mine in members.items():
            civ, p = titled[t], len(passed & mine)
            tally[t] = [len(mine), len(civ), len(assessed & mine), p, len(civ) - len(assessed & civ) + p]
        per_round.append(tally)
    return meta, per_round


def township_trends(history: History, policy: TargetPolicy,
                    townships: Mapping[str, tuple[str, str]] | None = None,
                    counts: Counts = counting) -> dict[str, list[SharePoint]]:
    """Township code -> its township-table row in each counting round, oldest first (every
    township of the history and of ``townships``, code -> (name, county code)), by code."""
    rounds = counting_rounds(history.rounds, counts)
    meta, per_round = _tallies(history, rounds, townships, policy)
    return {t: [SharePoint(rnd, _row(t, meta[t][0], meta[t][1], tally[t], policy.township(t)))
                for rnd, tally in zip(rounds, per_round)]
            for t in sorted(meta)}


def county_trends(history: History, policy: TargetPolicy, counties: Mapping[str, str | None] | None = None,
                  counts: Counts = counting,
                  townships: Mapping[str, Sequence[SharePoint]] | None = None) -> dict[str, list[SharePoint]]:
    """County code -> its county-summary row in each counting round (every county of the history
    and of ``counties``, code -> name), by code: the sums of its townships' rows (``townships``,
    the history's :func:`township_trends` when given, else computed)."""
    towns = townships if townships is not None else township_trends(history, policy, counts=counts)
    names: dict[str, str] = {}
    for v in history.villages:  # as county_summary names a county: the first village that names it
        county = v.county_code or county_of(v.code)
        names[county] = names.get(county) or v.county or ""
    for points in towns.values():
        for p in points[:1]:
            names.setdefault(p.row.county_code, "")
    for code, county_name in (counties or {}).items():
        names[code] = names.get(code) or county_name or ""
    rounds = counting_rounds(history.rounds, counts)
    sums = {c: [[0, 0, 0, 0, 0] for _ in rounds] for c in names}
    for points in towns.values():
        for i, p in enumerate(points):
            r, s = p.row, sums[p.row.county_code][i]
            s[0] += r.villages
            s[1] += r.civilized_now
            s[2] += r.assessed
            s[3] += r.passed
            s[4] += r.projected
    return {code: [SharePoint(rnd, _row(code, names[code], code, s, policy.county(code)))
                   for rnd, s in zip(rounds, sums[code])]
            for code in sorted(names)}


# --- change between any two rounds ---------------------------------------------------------------


def change_between(history: History, before: str, after: str) -> dict[str, Change]:
    """Per village assessed in round ``after``: its total and pass against round ``before`` (any
    two rounds of the history, in either order), as :func:`survey.targets.round_change`."""
    for rid in (before, after):
        if rid not in history.marks:
            raise NotFound("round_unknown", value=rid, known="、".join(history.marks) or "（无 none）")
    old, out = history.marks[before], {}
    for v in history.villages:
        m = history.marks[after].get(v.code)
        if m is not None:
            p = old.get(v.code)
            out[v.code] = Change(m.total, p and p.total, m.passed, p and p.passed)
    return out


class ShareChange(NamedTuple):
    """A township or county between two rounds: its rows (None where absent) and the change."""

    code: str
    name: str
    before: TownshipRow | None
    after: TownshipRow | None

    @property
    def delta(self) -> Decimal | None:
        """Percentage points of projected share gained (negative when lost)."""
        if self.before is None or self.after is None:
            return None
        a, b = self.before, self.after
        if a.villages and b.villages:  # from the counts: pb/nb - pa/na = (pb·na - pa·nb) / (na·nb)
            return share(b.projected * a.villages - a.projected * b.villages, a.villages * b.villages)
        return _CTX.subtract(b.share_projected, a.share_projected)

    @property
    def delta_projected(self) -> int | None:
        """Villages counted as civilized gained (negative when lost)."""
        if self.before is None or self.after is None:
            return None
        return self.after.projected - self.before.projected


def share_change(trends: Mapping[str, Sequence[SharePoint]], before: str, after: str) -> list[ShareChange]:
    """Per unit of ``trends`` (township or county code -> points): its projected share in round
    ``before`` and in round ``after`` and the change, by code."""
    out = []
    for code, points in sorted(trends.items()):
        rows = {p.round.id: p.row for p in points}
        a, b = rows.get(before), rows.get(after)
        if a is not None or b is not None:
            out.append(ShareChange(code, (b or a).name, a, b))  # type: ignore[union-attr]
    return out


# --- from the store -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trends:
    """What the dashboard's trend charts show for one county, up to one round."""

    county_code: str
    county_name: str
    history: History  # the counting rounds up to the chosen one, the county's villages (in scope)
    county: list[SharePoint]
    townships: dict[str, list[SharePoint]]
    pass_mark: Decimal
    titles: frozenset[str] = frozenset({"县级", "市级", "省级", "全国"})  # what counts as civilized here

    @property
    def rounds(self) -> tuple[Round, ...]:
        return self.history.rounds


def trends_data(db_path: str | Path, county: str, until: str | None = None, scope: Scope | None = None,
                counts: Counts = counting) -> Trends:
    """The trends of ``county`` over the counting rounds up to ``until`` (every round when None),
    read with one query for all rounds. NotFound for an unknown round or county and for a county
    outside ``scope`` (a scope of some townships composes those townships only)."""
    from survey import store
    from survey.rubric import load_rubric
    from survey.targets import targets_from_store

    counties = store.counties(db_path)
    mine = scope.townships if scope else ()
    if scope is not None:
        scope.check_county(county)
    if county not in counties:
        raise NotFound("county_unknown", value=county, known="、".join(counties) or "（无 none）")
    window = counting_rounds(store.rounds(db_path), counts, until)
    history = store.trends.history(db_path, county, mine, [r.id for r in window])
    towns = {c: v for c, v in store.townships(db_path, county).items() if not mine or c in mine}
    policy = targets_from_store(db_path)
    name = counties[county] or county
    townships = township_trends(history, policy, towns, counts)
    return Trends(
        county_code=county, county_name=name, history=history,
        county=county_trends(history, policy, {county: name}, counts, townships).get(county, []),
        townships=townships,
        pass_mark=Decimal(load_rubric().pass_mark), titles=policy.civilized(county))


# --- records for the page (neutral column ids; the page translates) ------------------------------


def _pts(value: Decimal | None) -> str | None:
    """Points or a share with one decimal, half up (as every table of the app)."""
    return None if value is None else fmt1(value)


def _signed(value: Decimal | None) -> str | None:
    return None if value is None else ("+" if value > 0 else "") + fmt1(value)


def share_records(points: Iterable[SharePoint], name: str | None = None) -> list[dict]:
    """One record per round of a unit's trend: projected and current share and target as floats
    (for drawing only), with the unit's name."""
    return [{"round": p.round.id, "name": name or p.row.name or p.row.code,
             "projected": float(p.row.share_projected), "now": float(p.row.share_now),
             "target": float(p.row.target), "reached": p.row.reached}
            for p in points]


def township_share_records(trends: Mapping[str, Sequence[SharePoint]]) -> list[dict]:
    """Every township's trend as records (for small multiples), townships by code."""
    return [rec for points in trends.values() for rec in share_records(points)]


def village_point_records(points: Iterable[VillagePoint]) -> list[dict]:
    """A village's totals per round (floats, for drawing); rounds it was not assessed in are left
    out, a vetoed round is marked."""
    return [{"round": p.round_id, "total": float(p.total), "passed": bool(p.passed), "vetoed": bool(p.veto)}
            for p in points if p.total is not None]


def change_records(changes: Iterable[ShareChange]) -> list[dict]:
    """Townships between two rounds: projected share before and after (one decimal) and change."""
    return [{"code": c.code, "name": c.name,
             "before": _pts(c.before.share_projected if c.before else None),
             "after": _pts(c.after.share_projected if c.after else None),
             "change": _signed(c.delta), "projected_change": c.delta_projected}
            for c in changes]


def village_change_records(history: History, before: str, after: str) -> list[dict]:
    """Villages assessed in both rounds, largest drop first (ties by code): totals and change."""
    villages = {v.code: v for v in history.villages}
    rows = [(code, c) for code, c in change_between(history, before, after).items() if c.delta is not None]
    rows.sort(key=lambda x: (x[1].delta, x[0]))
    return [{"code": code, "name": villages[code].name, "township": villages[code].township,
             "before": _pts(c.previous_total), "after": _pts(c.total), "change": _signed(c.delta)}
            for code, c in rows]
