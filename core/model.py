"""Plain, frozen records passed between the store, the domain rules, geo/ and the pages.

Codes are always text. Scores are :class:`decimal.Decimal` (exact: 84.5 is 84.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, NoReturn

from core.constants import county_of, township_of  # noqa: F401  (re-exported)

#: Title levels, lowest first. ``无`` is no title.
TITLES: tuple[str, ...] = ("无", "县级", "市级", "省级", "全国")
#: Titles that count for the share target by the national rule (county level or higher). A
#: county may count fewer (市级 and higher): the tools take its setting ``civilized_from``
#: (survey.settings; survey.targets.TargetPolicy), this is only the rule given no setting.
CIVILIZED_TITLES: frozenset[str] = frozenset({"县级", "市级", "省级", "全国"})

#: Review states of a submission, as stored, and their Chinese labels.
STATUS_PENDING, STATUS_APPROVED, STATUS_RETURNED = "pending", "approved", "returned"
STATUS_LABELS = {STATUS_PENDING: "待审核", STATUS_APPROVED: "已通过", STATUS_RETURNED: "已退回"}

#: States of a fix-it ledger entry (整改台账), as stored, and their Chinese labels (ledger.md
#: column 状态). "Overdue" (逾期) is no state: an entry past its deadline and not closed.
LEDGER_OPEN, LEDGER_FIXED, LEDGER_CLOSED = "open", "fixed", "closed"
LEDGER_LABELS = {LEDGER_OPEN: "待整改", LEDGER_FIXED: "已整改", LEDGER_CLOSED: "已销号"}



class FrozenMap(dict):  # type: ignore[type-arg]
    """A read-only dict: safe to share between records (the store shares one per distinct
    score text) and to pickle (``st.cache_data``)."""

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("FrozenMap is read-only")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self) -> tuple[type, tuple[dict]]:
        return FrozenMap, (dict(self),)


_NO_SECTIONS: Mapping[str, Decimal] = FrozenMap()


class Village(NamedTuple):
    """A village of the registry (a named tuple: cheap to build by the 25,000)."""

    code: str
    name: str
    township_code: str
    township: str
    county_code: str
    county: str | None
    lon: float | None
    lat: float | None
    title: str = "无"
    title_year: int | None = None
    households: int | None = None
    demo: bool = False

    @property
    def civilized(self) -> bool:
        """Holds a county-level or higher title now (the national rule; the tools ask the
        county's own, ``TargetPolicy.civilized``)."""
        return self.title in CIVILIZED_TITLES


@dataclass(frozen=True)
class Round:
    """An assessment round: its kind (:data:`core.constants.ROUND_KINDS`), a cadence label
    (双月测评, 单月讲评…), whether its results count toward titles and targets (a mock round's do
    not), and the rubric version it is scored with (pinned when it is opened)."""

    id: str
    name: str
    start_date: str | None = None
    end_date: str | None = None
    created_at: str | None = None
    kind: str = "regular"
    cadence: str = ""
    counts: bool = True
    rubric_version: str | None = None


class VillageResult(NamedTuple):
    """A village of the registry with its counting submission of one round (None when not
    assessed). The counting submission is the latest one that was not returned."""

    village: Village
    round_id: str
    submission_id: str | None = None
    date: str | None = None
    surveyor: str | None = None
    lon: float | None = None  # surveyed point, when taken
    lat: float | None = None
    gps_accuracy_m: float | None = None
    sections: Mapping[str, Decimal] = _NO_SECTIONS  # section code -> points (read-only)
    total: Decimal | None = None
    veto: tuple[str, ...] = ()  # veto item codes that applied
    passed: bool | None = None
    findings: int | None = None
    status: str | None = None  # pending / approved (returned never counts)

    @property
    def assessed(self) -> bool:
        return self.submission_id is not None

    @property
    def vetoed(self) -> bool:
        return bool(self.veto)

    @property
    def counts_civilized(self) -> bool:
        """Counted as civilized when this round's results stand: an assessed village when it
        passed; a village not assessed by its current title."""
        return bool(self.passed) if self.assessed else self.village.civilized

    @property
    def point(self) -> tuple[float | None, float | None]:
        """The surveyed point, or the registry point when none was taken."""
        if self.lon is not None and self.lat is not None:
            return self.lon, self.lat
        return self.village.lon, self.village.lat


@dataclass(frozen=True)
class TownshipRow:
    """One row of the township table (provincial-export.md, townships_…csv), exact values.
    Percentages are exact Decimals (formatting with one decimal, half up, is the writer's job)."""

    code: str  # 9 digits
    name: str
    county_code: str
    villages: int  # 村总数
    civilized_now: int  # 县级及以上文明村数
    assessed: int  # 本轮测评村数
    passed: int  # 本轮达标村数
    projected: int  # 预计文明村数
    share_now: Decimal  # 文明村占比(%)
    share_projected: Decimal  # 预计占比(%)
    target: Decimal  # 目标占比(%)
    reached: bool  # 是否达到目标
    needed: int  # 需新增文明村数
