"""The share target: who is below it, by how much, and which villages would lift it.

Pure functions over ``list[VillageResult]`` (one round, as :func:`survey.store.round_results`
returns it: every registry village, assessed or not). No SQL here; :func:`dashboard_data` and
:func:`flags_table` go through the store API.

Arithmetic is exact: shares are ``Decimal`` quotients computed in a fixed 40-digit context
(terminating quotients such as 6.25 are exact; 1 of 7 is 14.2857142857…), and every comparison
with the target is made on integers (``projected × 100 ≥ target × villages`` with the target as
its exact integer ratio), so 56 % of 25 villages needs 14, never 15.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal
from itertools import groupby, repeat
from operator import and_, attrgetter, is_, is_not, itemgetter, truth
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from core.bulk import collector_paused
from core.errors import NotFound, UsageError
from core.model import CIVILIZED_TITLES, Round, TownshipRow, VillageResult, county_of, township_of

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.auth import Scope, User

_CTX = Context(prec=40)
_ZERO = Decimal(0)


# --- target policy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetPolicy:
    """The share indicator in force: its target (a default, per county, optionally per
    township; percent) and the titles that count as civilized (a default, per county: some
    cities count 市级 and above only). :func:`targets_from_store` reads them from the county
    settings (:mod:`survey.settings`) and the targets set by hand; the defaults here are the
    national ones (50 %, county level and above), for computations given no settings."""

    default: Decimal = Decimal(50)
    counties: Mapping[str, Decimal] = field(default_factory=dict)
    townships: Mapping[str, Decimal] = field(default_factory=dict)
    titles: frozenset[str] = CIVILIZED_TITLES
    county_titles: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def county(self, code: str) -> Decimal:
        """The target of county ``code`` (6 digits)."""
        return self.counties.get(code, self.default)

    def township(self, code: str) -> Decimal:
        """The target of township ``code`` (9 digits): its own, else its county's."""
        return self.townships.get(code, self.county(county_of(code)))

    def civilized(self, county: str) -> frozenset[str]:
        """The titles that count as civilized in county ``county``."""
        return self.county_titles.get(county, self.titles)


def share(count: int, villages: int) -> Decimal:
    """``count ÷ villages × 100`` as an exact-as-possible Decimal; 0 when there are no villages."""
    if villages == 0:
        return _ZERO
    return _CTX.divide(Decimal(count * 100), Decimal(villages))


def reaches(projected: int, villages: int, target: Decimal) -> bool:
    """``projected ÷ villages ≥ target / 100``, exactly. A unit with no villages reaches any target
    (nothing can be added to it)."""
    num, den = target.as_integer_ratio()
    return projected * 100 * den >= num * villages


def needed(projected: int, villages: int, target: Decimal) -> int:
    """The smallest ``n ≥ 0`` with ``(projected + n) ÷ villages ≥ target / 100``: the civilized
    villages still to add, at most the villages not counted yet."""
    num, den = target.as_integer_ratio()
    required = -(-num * villages // (100 * den))  # ceil, on integers
    return max(0, min(required, villages) - projected)


@dataclass(frozen=True)
class TitleShare:
    """The share of civilized townships of a county (县级及以上文明乡镇占比), exactly: townships of
    the registry holding a title that counts, against the county's township target."""

    townships: int
    civilized: int
    share: Decimal  # percent, exact as :func:`share`
    target: Decimal
    reached: bool
    needed: int  # townships still to be awarded a title to reach the target


def township_share(titles: Iterable[str], civilized: frozenset[str], target: Decimal) -> TitleShare:
    """The share of ``titles`` (one per township) in ``civilized`` against ``target``."""
    titles = list(titles)
    n, civ = len(titles), sum(1 for t in titles if t in civilized)
    return TitleShare(n, civ, share(civ, n), target, reaches(civ, n, target), needed(civ, n, target))


def _row(code: str, name: str, county: str, counts: Sequence[int], target: Decimal) -> TownshipRow:
    n, civ, assessed, passed, projected = counts
    return TownshipRow(
        code=code,
        name=name,
        county_code=county,
        villages=n,
        civilized_now=civ,
        assessed=assessed,
        passed=passed,
        projected=projected,
        share_now=share(civ, n),
        share_projected=share(projected, n),
        target=target,
        reached=reaches(projected, n, target),
        needed=needed(projected, n, target),
    )


_TOWN, _TITLE = attrgetter("village.township_code"), attrgetter("village.title")
_SID, _PASSED = attrgetter("submission_id"), attrgetter("passed")


def _tally(results: Iterable[VillageResult],
           policy: TargetPolicy | None = None,
           counting: bool = True) -> dict[str, tuple[tuple[str, str, str | None], list[int]]]:
    """One pass over the round: township code -> ((name, county code, county name), counts
    [villages, civilized now, assessed, passed, projected]); civilized: the titles of
    ``policy`` for the village's county (that of the township's first village). A round that
    does not count toward titles and targets (a mock round, ``counting`` False) projects
    today's titles."""
    policy = policy or TargetPolicy()
    towns: dict[str, tuple[tuple[str, str, str | None], list[int]]] = {}
    titles: dict[str, frozenset[str]] = {}  # township code -> the titles its county counts
    # Province scale: 25,000 villages. A round comes sorted by code, so a township's villages
    # are one run; each run is counted with C-level maps, not a Python step per village. Runs
    # of one township that are not adjacent (any order is accepted) add up.
    for key, run in groupby(results, _TOWN):
        run = list(run)
        if key:
            _tally_run(towns, titles, policy, key, run, counting)
        else:  # no township code stored: each village by its code
            for r in run:
                _tally_run(towns, titles, policy, township_of(r.village.code), [r], counting)
    return towns


def _tally_run(towns: dict[str, tuple[tuple[str, str, str | None], list[int]]],
               titles: dict[str, frozenset[str]], policy: TargetPolicy, code: str,
               run: list[VillageResult], counting: bool) -> None:
    """Add ``run`` (villages of township ``code``) to the counts of :func:`_tally`."""
    entry = towns.get(code)
    if entry is None:
        v = run[0].village
        county = v.county_code or county_of(v.code)
        entry = towns[code] = ((v.township, county, v.county), [0, 0, 0, 0, 0])
        titles[code] = policy.civilized(county)
    civ = list(map(titles[code].__contains__, map(_TITLE, run)))
    sids = list(map(_SID, run))
    assessed = list(map(is_not, sids, repeat(None)))
    unassessed = list(map(is_, sids, repeat(None)))
    passed = list(map(and_, assessed, map(truth, map(_PASSED, run)))).count(True)
    c = entry[1]
    c[0] += len(run)
    c[1] += civ.count(True)
    c[2] += assessed.count(True)
    c[3] += passed
    # not assessed: today's title; assessed: passed (a round that counts) or today's title
    c[4] += (list(map(and_, unassessed, civ)).count(True) + passed) if counting else civ.count(True)


def _township_code(r: VillageResult) -> str:
    return r.village.township_code or township_of(r.village.code)


def township_table(
    results: Iterable[VillageResult],
    targets: TargetPolicy,
    townships: Mapping[str, tuple[str, str]] | None = None,
    counting: bool = True,
) -> list[TownshipRow]:
    """One row per township, sorted by code: every township of ``results`` plus every township
    of the registry ``townships`` (code -> (name, county code), as :func:`store.townships`),
    so a township with no villages still appears (shares 0, reached, nothing needed).
    ``counting`` False (a mock round): the projection is today's titles, whatever passed."""
    towns = _tally(results, targets, counting)
    for code, (name, county) in (townships or {}).items():
        towns.setdefault(code, ((name, county, None), [0, 0, 0, 0, 0]))
    return [
        _row(code, meta[0], meta[1], counts, targets.township(code))
        for code, (meta, counts) in sorted(towns.items())
    ]


def county_summary(
    results: Iterable[VillageResult],
    targets: TargetPolicy,
    counties: Mapping[str, str | None] | None = None,
    counting: bool = True,
) -> list[TownshipRow]:
    """The same figures per county (``code`` is the 6-digit county code), sorted by code; every
    county of ``counties`` (code -> name, as :func:`store.counties`) appears."""
    totals: dict[str, tuple[list[str], list[int]]] = {}
    for (_, county, county_name), counts in _tally(results, targets, counting).values():
        name, acc = totals.setdefault(county, ([county_name or ""], [0, 0, 0, 0, 0]))
        name[0] = name[0] or county_name or ""
        for i, n in enumerate(counts):
            acc[i] += n
    for code, county_name in (counties or {}).items():
        name, _ = totals.setdefault(code, ([""], [0, 0, 0, 0, 0]))
        name[0] = name[0] or county_name or ""
    return [
        _row(code, name[0], code, counts, targets.county(code))
        for code, (name, counts) in sorted(totals.items())
    ]


# --- flags --------------------------------------------------------------------------------------


def shortfall(row: TownshipRow) -> Decimal:
    """How far the projected share is below target, in percentage points (negative when above)."""
    return row.target - row.share_projected


def below_target(rows: Iterable[TownshipRow]) -> list[TownshipRow]:
    """The rows (townships and/or counties) whose projected share is below target, furthest
    below first (ties by code)."""
    return sorted((r for r in rows if not r.reached), key=lambda r: (-shortfall(r), r.code))


def failed_villages(results: Iterable[VillageResult]) -> list[VillageResult]:
    """Villages assessed in the round that did not pass (total below the pass mark, or vetoed),
    by code."""
    return sorted((r for r in results if r.submission_id is not None and not r.passed), key=_code)


def title_at_risk(results: Iterable[VillageResult], policy: TargetPolicy | None = None) -> list[VillageResult]:
    """Titled villages (holding a title that counts as civilized) that failed the round: 摘牌风险."""
    policy = policy or TargetPolicy()
    return [r for r in failed_villages(results) if r.village.title in policy.civilized(r.village.county_code)]


def _code(r: VillageResult) -> str:
    return r.village.code


@dataclass(frozen=True)
class Candidate:
    """A village not counted as civilized that a better score could lift."""

    result: VillageResult
    short: Decimal  # points below the pass mark (0 when only a veto keeps it out)
    losses: tuple[tuple[str, Decimal], ...] = ()  # (item code, points lost), most lost first


@dataclass(frozen=True)
class GapPlan:
    """For one township below target: the villages closest to passing, enough to close the gap."""

    row: TownshipRow
    picks: tuple[Candidate, ...]  # closest first; len(picks) == row.needed unless too few
    vetoed: tuple[Candidate, ...]  # failed by a veto: points cannot lift them this year
    unassessed: int  # villages not counted and not assessed in the round (could still be)

    @property
    def uncovered(self) -> int:
        """Civilized villages still missing when every pick passes."""
        return self.row.needed - len(self.picks)


def gap_planner(
    results: Iterable[VillageResult],
    rows: Iterable[TownshipRow],
    losses: Mapping[str, Sequence[tuple[str, Decimal]]],
    pass_mark: Decimal,
    top_items: int = 3,
    policy: TargetPolicy | None = None,
) -> list[GapPlan]:
    """Per township below target (in the order of :func:`below_target`): the assessed villages
    not counted as civilized with the fewest points short of ``pass_mark``, ties by code, as many
    as are needed, each with the ``top_items`` items it lost most points on (``losses`` as
    :func:`store.item_losses` returns them). Vetoed villages are listed apart, never picked."""
    open_rows = [r for r in below_target(rows) if len(r.code) == 9]
    wanted = {r.code for r in open_rows}
    scored: dict[str, list[Candidate]] = defaultdict(list)
    vetoed: dict[str, list[Candidate]] = defaultdict(list)
    unassessed: dict[str, int] = defaultdict(int)
    policy = policy or TargetPolicy()
    for r in results:
        t = _township_code(r)
        if t not in wanted:
            continue
        if (bool(r.passed) if r.submission_id is not None
                else r.village.title in policy.civilized(r.village.county_code)):
            continue
        if r.submission_id is None:
            unassessed[t] += 1
            continue
        lost = sorted(losses.get(r.submission_id, ()), key=lambda x: (-x[1], x[0]))[:top_items]
        c = Candidate(r, max(_ZERO, pass_mark - (r.total or _ZERO)), tuple(lost))
        (vetoed if r.veto else scored)[t].append(c)
    plans = []
    for row in open_rows:
        ranked = sorted(scored[row.code], key=lambda c: (c.short, c.result.village.code))
        plans.append(
            GapPlan(
                row=row,
                picks=tuple(ranked[: row.needed]),
                vetoed=tuple(sorted(vetoed[row.code], key=lambda c: c.result.village.code)),
                unassessed=unassessed[row.code],
            )
        )
    return plans


def plan_submission_ids(plans: Iterable[GapPlan]) -> list[str]:
    """The submission ids of every picked village (to fetch their item losses)."""
    return [c.result.submission_id for p in plans for c in p.picks if c.result.submission_id]


# --- rankings -----------------------------------------------------------------------------------


class Ranked(NamedTuple):
    """A village's place in its township or county: equal totals share a rank (1, 2, 2, 4);
    vetoed villages rank below every village without a veto."""

    rank: int
    result: VillageResult


@dataclass(frozen=True)
class RankList:
    """红黑榜 of one township or county."""

    code: str  # 9-digit township or 6-digit county code
    name: str
    assessed: int
    best: tuple[Ranked, ...]  # best first
    worst: tuple[Ranked, ...]  # worst first; never repeats a village of ``best``


def _standing(r: VillageResult) -> tuple[bool, Decimal]:
    """What a rank compares, for equality only (the lists are sorted already): vetoed or not,
    and the total."""
    return (not r.veto, r.total or _ZERO)


_CODE, _TOTAL, _VETO = attrgetter("village.code"), attrgetter("total"), attrgetter("veto")


def _tie_start(group: list[VillageResult], i: int) -> int:
    """The first index of the run of villages with the same standing as ``group[i]``."""
    s = _standing(group[i])
    while i > 0 and _standing(group[i - 1]) == s:
        i -= 1
    return i


def _with_ranks(group: list[VillageResult], start: int, stop: int) -> list[Ranked]:
    """``group[start:stop]`` with competition ranks (1 + index of the first equal standing)."""
    out: list[Ranked] = []
    if start >= stop:
        return out
    new = tuple.__new__
    rank = _tie_start(group, start) + 1
    prev = _standing(group[start])
    for i in range(start, stop):
        r = group[i]
        s = (not r.veto, r.total or _ZERO)  # _standing, inline
        if s != prev:
            rank, prev = i + 1, s
        out.append(new(Ranked, (rank, r)))
    return out


def _rank_list(code: str, name: str, group: list[VillageResult], n: int) -> RankList:
    """The lists of one sorted group: the first ``n`` and the last ``n``, extended to whole ties."""
    m = len(group)
    if n <= 0 or m == 0:
        return RankList(code, name, m, (), ())
    end = min(n, m)
    while end < m and _standing(group[end]) == _standing(group[end - 1]):
        end += 1
    start = max(_tie_start(group, max(m - n, 0)), end)
    worst = sorted(_with_ranks(group, start, m), key=lambda x: (-x.rank, x.result.village.code))
    return RankList(code, name, m, tuple(_with_ranks(group, 0, end)), tuple(worst))


def rankings(results: Iterable[VillageResult], n: int = 5) -> dict[str, RankList]:
    """红黑榜: the ``n`` best and ``n`` worst assessed villages of every township (9-digit key)
    and every county (6-digit key). Villages tied with the last one listed are listed too, so a
    list can be longer than ``n``; ties are ordered by code."""
    with collector_paused():  # 25,000 list entries and thousands of records: see core.bulk
        # Two stable sorts with C key functions (faster than one sort on Python-built tuples):
        # by code, then higher total first; then the vetoed after the others (a stable split).
        assessed = [r for r in results if r.submission_id is not None]
        assessed.sort(key=_CODE)
        assessed.sort(key=_TOTAL, reverse=True)
        vetoes = list(map(_VETO, assessed))
        if any(vetoes):
            assessed = ([r for r, v in zip(assessed, vetoes) if not v]
                        + [r for r, v in zip(assessed, vetoes) if v])
        groups: dict[str, list[VillageResult]] = defaultdict(list)
        names: dict[str, str] = {}
        for r in assessed:  # in order: every group comes out sorted
            v = r.village
            t, c = v.township_code or township_of(v.code), v.county_code or county_of(v.code)
            groups[t].append(r)
            groups[c].append(r)
            if t not in names:
                names[t], names[c] = v.township, names.get(c) or v.county or ""
        return {code: _rank_list(code, names[code], groups[code], n) for code in sorted(groups)}


class Change(NamedTuple):
    """A village's result this round against the previous round."""

    total: Decimal | None
    previous_total: Decimal | None
    passed: bool | None
    previous_passed: bool | None

    @property
    def delta(self) -> Decimal | None:
        """Points gained (negative when lost); None unless assessed in both rounds."""
        if self.total is None or self.previous_total is None:
            return None
        return self.total - self.previous_total


def round_change(current: Iterable[VillageResult],
                 previous: Iterable[VillageResult] | Mapping[str, tuple[Decimal, bool]]) -> dict[str, Change]:
    """Per village assessed in ``current``: its total and pass against ``previous`` (None where
    it was not assessed then): the previous round's results, or its village code -> (total,
    passed) of the villages assessed (:func:`survey.store.round_totals`)."""
    if isinstance(previous, Mapping):
        before = previous
    else:
        before = {r.village.code: (r.total, r.passed) for r in previous if r.submission_id is not None}
    # Province scale: one record per assessed village, built by C-level maps (tuple.__new__, as
    # a named tuple's ``_make``), not a Python call each.
    with collector_paused():  # 25,000 records: see core.bulk
        assessed = [r for r in current if r.submission_id is not None]
        codes = list(map(_CODE, assessed))
        then = list(map(before.get, codes, repeat((None, None))))
        rows = zip(map(_TOTAL, assessed), map(itemgetter(0), then), map(_PASSED, assessed), map(itemgetter(1), then))
        return dict(zip(codes, map(tuple.__new__, repeat(Change), rows)))


# --- from the store -----------------------------------------------------------------------------


def targets_from_store(db_path: str | Path, override: Decimal | None = None) -> TargetPolicy:
    """The share indicator in force in the database: every county and township target set by
    hand, else the county's setting ``target`` (:mod:`survey.settings`); the titles each
    county counts (setting ``civilized_from``). ``override`` (``--target``) replaces every
    target (not the titles)."""
    from survey import settings, store

    book = settings.book(db_path)
    base = book.settings(None)
    per_county = book.counties(store.counties(db_path))
    titles = {c: s.civilized_titles for c, s in per_county.items()}
    if override is not None:
        return TargetPolicy(Decimal(override), titles=base.civilized_titles, county_titles=titles)
    counties: dict[str, Decimal] = {c: s.target for c, s in per_county.items()}
    townships: dict[str, Decimal] = {}
    for t in store.targets(db_path):
        (townships if t["township_code"] else counties)[t["township_code"] or t["county_code"]] = t["percent"]
    return TargetPolicy(base.target, counties, townships, base.civilized_titles, titles)


def previous_round(rounds: Sequence[Round], round_id: str) -> Round | None:
    """The round before ``round_id`` in the store's order (oldest first), if any."""
    ids = [r.id for r in rounds]
    i = ids.index(round_id) if round_id in ids else 0
    return rounds[i - 1] if i > 0 else None


@dataclass(frozen=True)
class TargetSetting:
    """A target set by hand: for a county (``township`` empty) or one township."""

    county: str
    township: str
    name: str
    percent: Decimal
    by: str | None
    at: str


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows for one county and round."""

    round: Round
    previous: Round | None
    county: TownshipRow
    townships: list[TownshipRow]
    below: list[TownshipRow]  # townships below target, furthest first
    failed: list[VillageResult]
    at_risk: list[VillageResult]
    plans: list[GapPlan]
    ranks: dict[str, RankList]  # county and township codes
    changes: dict[str, Change]  # village code -> change since the previous round
    results: list[VillageResult]
    settings: list[TargetSetting]
    pass_mark: Decimal
    labels: dict[str, tuple[str, str]]  # item and veto codes -> (Chinese, English) text
    township_share: TitleShare | None = None  # civilized townships of the county (in scope)
    civilized_from: str = "县级"  # the lowest title that counts in the county
    default_target: Decimal = Decimal(50)  # the county's setting, when no target is set by hand


def dashboard_data(db_path: str | Path, round_id: str, county: str, n: int = 5,
                   scope: Scope | None = None) -> Dashboard:
    """Compose the dashboard of ``county`` for ``round_id`` from the store (NotFound for an
    unknown round or county, and for a county outside ``scope``, the signed-in user's; a scope
    of some townships composes those townships only)."""
    from survey import settings, store
    from survey.service import rubric_for_round

    counties = store.counties(db_path)
    mine = scope.townships if scope else ()
    if scope is not None:
        scope.check_county(county)
    if county not in counties:
        raise NotFound("county_unknown", value=county, known="、".join(counties) or "（无 none）")
    rnd = store.get_round(db_path, round_id)
    prev = previous_round(store.rounds(db_path), round_id)
    results = store.round_results(db_path, round_id, county, townships=mine)
    towns = {c: v for c, v in store.townships(db_path, county).items() if not mine or c in mine}
    policy = targets_from_store(db_path)
    rows = township_table(results, policy, towns, rnd.counts)
    [county_row] = county_summary(results, policy, {county: counties[county] or ""}, rnd.counts)
    rubric = rubric_for_round(db_path, round_id)
    pass_mark = Decimal(rubric.pass_mark)
    plans = gap_planner(results, rows, {}, pass_mark, policy=policy)
    plans = gap_planner(results, rows, store.item_losses(db_path, plan_submission_ids(plans)), pass_mark,
                        policy=policy)
    local = settings.load(db_path, county)
    town_titles = [t["title"] for t in store.township_rows(db_path, county) if not mine or t["code"] in mine]
    before = store.round_totals(db_path, prev.id, county, townships=mine) if prev else {}
    county_name = counties[county] or county
    settings = [
        TargetSetting(t["county_code"], t["township_code"],
                      towns[t["township_code"]][0] if t["township_code"] in towns else county_name,
                      t["percent"], t["set_by"], t["set_at"])
        for t in store.targets(db_path) if t["county_code"] == county
    ]
    return Dashboard(
        round=rnd, previous=prev, county=county_row, townships=rows,
        below=below_target(rows), failed=failed_villages(results), at_risk=title_at_risk(results, policy),
        plans=plans, ranks=rankings(results, n), changes=round_change(results, before),
        results=results, settings=settings, pass_mark=pass_mark,
        labels={**{i.code: (i.text, i.text_en) for i in rubric.items},
                **{v.code: (v.name, v.text_en) for v in rubric.veto}},
        township_share=township_share(town_titles, policy.civilized(county), local.township_target),
        civilized_from=local.civilized_from, default_target=local.target,
    )


# --- tables for the page (neutral column ids; the page translates the headers) -------------------


def _pct(value: Decimal) -> str:
    from survey.csvio import fmt1

    return fmt1(value)


def _pts(value: Decimal | None) -> str | None:
    return None if value is None else _pct(value)


def _signed(value: Decimal | None) -> str | None:
    return None if value is None else ("+" if value > 0 else "") + _pct(value)


def township_records(rows: Iterable[TownshipRow]) -> list[dict]:
    """The township table as the page shows it (shares with one decimal, half up)."""
    return [
        {"code": r.code, "name": r.name, "villages": r.villages, "civilized_now": r.civilized_now,
         "assessed": r.assessed, "passed": r.passed, "projected": r.projected,
         "share_now": _pct(r.share_now), "share_projected": _pct(r.share_projected),
         "target": _pct(r.target), "reached": r.reached, "needed": r.needed}
        for r in rows
    ]


def chart_records(rows: Iterable[TownshipRow]) -> list[dict]:
    """Per township, furthest below target first (ties by code): projected share, target and
    shortfall as floats (for drawing only)."""
    return [
        {"name": r.name or r.code, "code": r.code, "projected": float(r.share_projected),
         "target": float(r.target), "gap": float(shortfall(r)), "reached": r.reached, "needed": r.needed}
        for r in sorted(rows, key=lambda r: (-shortfall(r), r.code))
    ]


def _names(codes: Iterable[str], labels: Mapping[str, tuple[str, str]], en: bool) -> str:
    return "；".join(labels.get(c, (c, c))[en] for c in codes)


def village_records(
    results: Iterable[VillageResult],
    changes: Mapping[str, Change],
    labels: Mapping[str, tuple[str, str]] | None = None,
    township: str | None = None,
    en: bool = False,
) -> list[dict]:
    """Villages (optionally of one township) with their result and the change since the
    previous round; ``passed`` is None for a village not assessed."""
    out = []
    for r in results:
        if township is not None and _township_code(r) != township:
            continue
        c = changes.get(r.village.code)
        out.append({"code": r.village.code, "name": r.village.name, "township": r.village.township,
                    "title": r.village.title, "total": _pts(r.total),
                    "veto": _names(r.veto, labels or {}, en),
                    "passed": r.passed if r.assessed else None, "change": _signed(c.delta if c else None)})
    return out


def rank_records(ranked: Iterable[Ranked], changes: Mapping[str, Change],
                 labels: Mapping[str, tuple[str, str]] | None = None, en: bool = False) -> list[dict]:
    """One 红黑榜 list: rank (shared by equal totals), village and the change since last round."""
    out = []
    for x in ranked:
        r, c = x.result, changes.get(x.result.village.code)
        out.append({"rank": x.rank, "code": r.village.code, "name": r.village.name,
                    "township": r.village.township, "total": _pts(r.total),
                    "veto": _names(r.veto, labels or {}, en), "passed": r.passed,
                    "change": _signed(c.delta if c else None)})
    return out


def plan_records(plans: Iterable[GapPlan], labels: Mapping[str, tuple[str, str]] | None = None,
                 en: bool = False) -> list[dict]:
    """The gap planner, one line per picked village: its township, how many the township
    needs, the points it is short and the items it lost most points on."""
    labels = labels or {}
    return [
        {"township": p.row.name, "needed": p.row.needed, "code": c.result.village.code,
         "name": c.result.village.name, "title": c.result.village.title, "total": _pts(c.result.total),
         "short": _pts(c.short),
         "losses": "；".join(f"{labels.get(i, (i, i))[en]} −{_pct(lost)}" for i, lost in c.losses)}
        for p in plans for c in p.picks
    ]


# --- setting a target ---------------------------------------------------------------------------


def set_target(db_path: str | Path, user: User, county: str, percent: Decimal, by: str,
               township: str | None = None) -> None:
    """Set the share target of ``county`` (or one of its townships) as ``user``, recording who
    (``by``: the officer who decided it) and when. Reviewers and administrators only; a county
    target needs the whole county in scope, a township target that township. ``target_range``
    for a percentage outside 0–100, ``target_by`` when nobody is named."""
    from survey import store

    if not user.reviews:
        raise UsageError("forbidden")
    user.scope.check_county(county)
    if township:
        if county_of(township) != county:
            raise NotFound("village_unknown", value=township)
        user.scope.check(township)
    elif user.scope.townships:
        raise UsageError("forbidden")
    if not (by or "").strip():
        raise UsageError("target_by")
    store.set_target(db_path, county, Decimal(percent), by.strip(), township or None, actor=user.name)


# --- the flags file ----------------------------------------------------------------------------


def flags_table(db_path: str | Path, round_id: str, override: Decimal | None = None) -> list[TownshipRow]:
    """The townships table of provincial-export.md for every county of the database (rows
    sorted by code): ``flags --round R [--target P]``. NotFound for an unknown round."""
    from survey import store

    rnd = store.get_round(db_path, round_id)
    results = store.round_results(db_path, round_id)
    return township_table(results, targets_from_store(db_path, override), store.townships(db_path), rnd.counts)
