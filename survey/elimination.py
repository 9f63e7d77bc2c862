"""Elimination by share (按比例淘汰): the titled villages ranked lowest over the last rounds are
listed for title review (摘牌复核), with the scores behind each.

The rules, as county offices rank (打分排序) by the round scores:

- **Who**: villages holding a title that counts as civilized now (the registry's title; county
  level or higher, or what the county's setting ``civilized_from`` says).
- **Window**: the last ``n`` counting rounds (default 3) up to and including the chosen round,
  counting only rounds in which at least one village of the results was assessed (a round the
  county was not assessed in takes no place in its window). Which rounds count is the
  ``counts`` predicate of :mod:`survey.trends` (mock rounds do not, once rounds have kinds).
- **Standing**, worst first: more *vetoed* rounds in the window rank lower (a vetoed round ranks
  below any score: one veto puts a village below every village without one); among equal
  vetoes, the lower *average* of the village's totals in the rounds it was assessed in ranks
  lower (a vetoed round's total counts in that average). The average is exact (a fraction).
- **Fewer rounds**: a village assessed in fewer than ``n`` rounds of the window is ranked by
  the rounds it was assessed in (missing rounds neither lower nor raise it; the table shows
  "assessed m of n"). A titled village assessed in no round of the window cannot be ranked: it
  is reported apart (``unranked``), never listed for review.
- **How many**: ``share`` percent (default 10 %) of the ranked titled villages, rounded up
  (ceil, on integers: 10 % of 25 is 3), and at least 1 when any titled village is ranked; a
  share of 0 lists none. Villages tied with the last one inside the quota are all listed, so
  the list can be longer than the quota (ranks show ties: 1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction
from typing import NamedTuple

from core.model import CIVILIZED_TITLES, Round, Village
from survey.trends import Counts, History, VillagePoint, counting, counting_rounds

#: Defaults: the share listed for review (percent) and the rounds of the window.
DEFAULT_SHARE = Decimal(10)
DEFAULT_ROUNDS = 3

_CTX = Context(prec=40)


class Standing(NamedTuple):
    """What is compared, worst first: more vetoed rounds, then the lower average."""

    vetoed: int
    average: Fraction

    def key(self) -> tuple[int, Fraction]:
        return (-self.vetoed, self.average)


@dataclass(frozen=True)
class ReviewEntry:
    """A titled village listed for title review, with the scores behind it."""

    rank: int  # 1 = lowest; equal standings share a rank
    village: Village
    points: tuple[VillagePoint, ...]  # one per window round, oldest first (total None: not assessed)
    standing: Standing

    @property
    def assessed(self) -> int:
        return sum(p.total is not None for p in self.points)

    @property
    def vetoed(self) -> int:
        return self.standing.vetoed

    @property
    def average(self) -> Decimal:
        """The average total over the rounds assessed (40 significant digits)."""
        a = self.standing.average
        return _CTX.divide(Decimal(a.numerator), Decimal(a.denominator))


@dataclass(frozen=True)
class ReviewList:
    """The title-review list of one county (or of the results given) as of one round."""

    window: tuple[Round, ...]  # the rounds ranked on, oldest first
    rounds: int  # the window asked for (n)
    share: Decimal  # percent
    titled: int  # titled villages in the results
    ranked: int  # of them, assessed in at least one window round
    quota: int  # how many the share asks for
    entries: tuple[ReviewEntry, ...]  # lowest first (ties by code); longer than quota on a tie
    unranked: tuple[Village, ...]  # titled villages assessed in no window round, by code


def quota(share: Decimal, ranked: int) -> int:
    """``ceil(share × ranked / 100)``, exactly, at least 1 when ``share > 0`` and anything is
    ranked, at most ``ranked``."""
    if ranked <= 0 or share <= 0:
        return 0
    num, den = Decimal(share).as_integer_ratio()
    return min(ranked, max(1, -(-num * ranked // (100 * den))))


def window_rounds(history: History, n: int = DEFAULT_ROUNDS, counts: Counts = counting,
                  until: str | None = None) -> list[Round]:
    """The last ``n`` counting rounds of ``history`` up to ``until`` in which any of its villages
    was assessed, oldest first."""
    held = [r for r in counting_rounds(history.rounds, counts, until) if history.marks.get(r.id)]
    return held[-n:] if n > 0 else []


def review_list(history: History, n: int = DEFAULT_ROUNDS, share: Decimal = DEFAULT_SHARE,
                counts: Counts = counting, until: str | None = None,
                titles: frozenset[str] = CIVILIZED_TITLES) -> ReviewList:
    """The titled villages of ``history`` (holding one of ``titles``: the county's setting,
    :attr:`survey.trends.Trends.titles`) listed for title review as of round ``until`` (the
    newest when None), by the rules of this module."""
    window = window_rounds(history, n, counts, until)
    ranked: list[tuple[Standing, str]] = []
    unranked: list[Village] = []
    points: dict[str, tuple[VillagePoint, ...]] = {}
    villages = {v.code: v for v in history.villages if v.title in titles}
    for code, v in villages.items():
        marks = [history.marks[r.id].get(code) for r in window]
        assessed = [m for m in marks if m is not None]
        if not assessed:
            unranked.append(v)
            continue
        points[code] = tuple(VillagePoint(r.id, None, None) if m is None else
                             VillagePoint(r.id, m.total, m.passed, m.veto) for r, m in zip(window, marks))
        average = sum((Fraction(m.total) for m in assessed), Fraction(0)) / len(assessed)
        ranked.append((Standing(sum(bool(m.veto) for m in assessed), average), code))
    ranked.sort(key=lambda x: (x[0].key(), x[1]))
    k = quota(share, len(ranked))
    end = k
    while 0 < end < len(ranked) and ranked[end][0] == ranked[end - 1][0]:
        end += 1
    entries = []
    rank, prev = 0, None
    for i, (standing, code) in enumerate(ranked[:end]):
        if standing != prev:
            rank, prev = i + 1, standing
        entries.append(ReviewEntry(rank, villages[code], points[code], standing))
    return ReviewList(window=tuple(window), rounds=n, share=Decimal(share), titled=len(villages),
                      ranked=len(ranked), quota=k, entries=tuple(entries), unranked=tuple(unranked))


# --- records for the page and the bulletin -------------------------------------------------------


def score_text(point: VillagePoint, labels: Mapping[str, tuple[str, str]] | None = None,
               en: bool = False) -> str:
    """A round's score as the tables show it: ``84.5``, ``72.0（否决：…）``, or ``—`` when the
    village was not assessed in that round."""
    from survey.csvio import fmt1

    if point.total is None:
        return "—"
    text = fmt1(point.total)
    if point.veto:
        names = "；".join((labels or {}).get(c, (c, c))[en] for c in point.veto)
        text += f" (vetoed: {names})" if en else f"（否决：{names}）"
    return text


def review_records(review: ReviewList, labels: Mapping[str, tuple[str, str]] | None = None,
                   en: bool = False) -> list[dict]:
    """One record per listed village: rank from the bottom, village, title, average, vetoed
    rounds, rounds assessed of the window, and the score of each window round."""
    from survey.csvio import fmt1

    n = len(review.window)
    return [{"bottom_rank": e.rank, "code": e.village.code, "name": e.village.name, "township": e.village.township,
             "title": e.village.title, "average": fmt1(e.average), "vetoed": e.vetoed,
             "rounds_assessed": f"{e.assessed}/{n}",
             "scores": "；".join(f"{p.round_id} {score_text(p, labels, en)}" for p in e.points)}
            for e in review.entries]
