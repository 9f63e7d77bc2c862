"""The county's ten-star set (十星级文明户评星标准) as data: ``data/tenstar/stars.yaml`` -> one
validated, frozen :class:`StarSet`.

One pipeline, as the rubric's (:mod:`survey.yamldoc`): read the YAML -> validate, collecting
*every* problem with its file and line -> build frozen records. The file holds the ten stars
(names and criteria), the tiers by number of stars (default 5–7 bronze 铜牌, 8–9 silver 银牌, 10
gold 金牌), the disqualifiers that bar a household from any title, the rating period (yearly by
default), the participation threshold (80 %), the length of the public notice (7 days, both
ends counted), where objections go, and the spot check the surveyor makes (how many households,
recorded as which count item of the rubric's ten-star section).

Percentages are exact :class:`~decimal.Decimal` values; rates are compared with them by integer
arithmetic (:func:`meets`), never through floats.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import config
from core.errors import DataError, NotFound, UsageError, problem
from survey.yamldoc import Map, Seq, Validator, decimal_of, display, read_texts, show

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.rubric import Rubric

#: How many stars a set has: the title is 十星 (ten stars).
STAR_COUNT = 10
#: Rating periods: yearly (the default), half-yearly, quarterly, every two years (from even years).
PERIODS: tuple[str, ...] = ("year", "half", "quarter", "two_years")
DEFAULT_FILE = config.DATA_DIR / "tenstar" / "stars.yaml"
#: The rubric section whose items the household figures stand beside.
SECTION = "tenstar"

_PERIOD_FORMS = {
    "year": (re.compile(r"^(\d{4})$"), "2026"),
    "half": (re.compile(r"^(\d{4})H([12])$"), "2026H1"),
    "quarter": (re.compile(r"^(\d{4})Q([1-4])$"), "2026Q2"),
    "two_years": (re.compile(r"^(\d{4})-(\d{4})$"), "2026-2027"),
}


@dataclass(frozen=True)
class Star:
    code: str
    name: str
    name_en: str
    criteria: str


@dataclass(frozen=True)
class Tier:
    """A tier (等级) of households with ``low``..``high`` stars (both counted)."""

    code: str
    name: str
    name_en: str
    low: int
    high: int


@dataclass(frozen=True)
class Disqualifier:
    """A fact that bars a household from any title (否决情形)."""

    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class StarSet:
    period: str
    participation: Decimal  # percent
    ten_star_target: Decimal | None  # percent; None: the county set none
    notice_days: int
    objections: str
    spot_households: int
    spot_item: str
    stars: tuple[Star, ...]
    tiers: tuple[Tier, ...]
    disqualifiers: tuple[Disqualifier, ...]

    @cached_property
    def _stars(self) -> dict[str, Star]:
        return {s.code: s for s in self.stars}

    @cached_property
    def _disqualifiers(self) -> dict[str, Disqualifier]:
        return {d.code: d for d in self.disqualifiers}

    def star(self, code: str) -> Star:
        try:
            return self._stars[code]
        except KeyError:
            raise NotFound("star_unknown", value=code, known="、".join(self._stars)) from None

    def has_star(self, code: str) -> bool:
        return code in self._stars

    def disqualifier(self, code: str) -> Disqualifier:
        try:
            return self._disqualifiers[code]
        except KeyError:
            raise NotFound("disqualifier_unknown", value=code, known="、".join(self._disqualifiers)) from None

    def has_disqualifier(self, code: str) -> bool:
        return code in self._disqualifiers

    def tier(self, stars: int, disqualified: bool = False) -> Tier | None:
        """The tier of a household with ``stars`` stars; None below the lowest tier or when a
        disqualifier applies (no title at all)."""
        if disqualified:
            return None
        return next((t for t in self.tiers if t.low <= stars <= t.high), None)

    @property
    def lowest_title(self) -> int:
        """The fewest stars that carry a title."""
        return min(t.low for t in self.tiers)

    def period_of(self, day: date) -> str:
        """The rating period holding ``day``: ``2026``, ``2026H1``, ``2026Q2`` or ``2026-2027``."""
        if self.period == "half":
            return f"{day.year}H{1 if day.month <= 6 else 2}"
        if self.period == "quarter":
            return f"{day.year}Q{(day.month - 1) // 3 + 1}"
        if self.period == "two_years":
            first = day.year - day.year % 2
            return f"{first}-{first + 1}"
        return str(day.year)

    def check_period(self, text: str) -> str:
        """``text`` when it names a period of this set's kind; UsageError ``period_format``."""
        pattern, example = _PERIOD_FORMS[self.period]
        found = pattern.match((text or "").strip())
        if found is None or (self.period == "two_years" and (
                int(found.group(2)) != int(found.group(1)) + 1 or int(found.group(1)) % 2)):
            raise UsageError("period_format", value=text, example=example)
        return found.group(0)

    def period_label(self, period: str) -> str:
        """A period in words: 2026年度, 2026年上半年, 2026年第2季度, 2026—2027年度."""
        if self.period == "half":
            return f"{period[:4]}年{'上' if period[-1] == '1' else '下'}半年"
        if self.period == "quarter":
            return f"{period[:4]}年第{period[-1]}季度"
        if self.period == "two_years":
            return f"{period[:4]}—{period[5:]}年度"
        return f"{period}年度"

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period, "participation": _num(self.participation),
            "ten_star_target": None if self.ten_star_target is None else _num(self.ten_star_target),
            "notice_days": self.notice_days, "objections": self.objections,
            "spot_check": {"households": self.spot_households, "item": self.spot_item},
            "stars": [{"code": s.code, "name": s.name, "name_en": s.name_en, "criteria": s.criteria}
                      for s in self.stars],
            "tiers": [{"code": t.code, "name": t.name, "name_en": t.name_en, "min": t.low, "max": t.high}
                      for t in self.tiers],
            "disqualifiers": [{"code": d.code, "name": d.name, "name_en": d.name_en}
                              for d in self.disqualifiers],
        }


def _num(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def rate(part: int, whole: int) -> Fraction | None:
    """``part ÷ whole`` as an exact fraction (None when ``whole`` is 0)."""
    return Fraction(part, whole) if whole else None


def percent(part: int, whole: int) -> Decimal | None:
    """``part ÷ whole`` in percent, exactly rounded to one decimal (half up); None when 0 ÷ 0.
    For display only: thresholds are judged by :func:`meets`."""
    from survey.csvio import fmt1

    if not whole:
        return None
    return Decimal(fmt1(Decimal(part * 100) / Decimal(whole)))


def meets(part: int, whole: int, threshold: Decimal) -> bool:
    """``part ÷ whole ≥ threshold %`` exactly (integer arithmetic on the decimal threshold);
    False when ``whole`` is 0."""
    if not whole:
        return False
    return Fraction(part * 100, whole) >= Fraction(threshold)


# --- loading -------------------------------------------------------------------------------------


def load_stars(path: str | Path | None = None, rubric: Rubric | None = None) -> StarSet:
    """Load and validate the star set (default ``data/tenstar/stars.yaml``), its spot-check item
    checked against ``rubric`` (default: the active rubric). Cached until the file changes.
    Raises :class:`DataError` with every problem."""
    from survey.rubric import load_rubric

    file = Path(path) if path is not None else DEFAULT_FILE
    if not file.is_file():
        raise DataError([problem("file_missing", display(file))])
    rubric = rubric if rubric is not None else load_rubric()
    info = file.stat()
    return _load_cached(str(file.resolve()), info.st_mtime_ns, info.st_size, rubric)


@functools.lru_cache(maxsize=8)
def _load_cached(file: str, _mtime: int, _size: int, rubric: Rubric) -> StarSet:
    [(name, text)] = read_texts([Path(file)]).items()
    return parse_stars(text, name, rubric)


_MAIN = ("period", "participation", "notice_days", "objections", "spot_check", "stars", "tiers",
         "disqualifiers")


def parse_stars(text: str, name: str, rubric: Rubric | None = None) -> StarSet:
    """Build the star set from its YAML ``text`` (``name`` locates the problems); the spot-check
    item is checked against ``rubric`` when given. Raises :class:`DataError` with every problem."""
    v = Validator()
    m = v.parse(name, text)
    if m is None:
        raise DataError(v.problems)
    v.fields(name, m, "", _MAIN, ("ten_star_target",))
    period = m.get("period")
    if "period" in m and period not in PERIODS:
        v.add("rubric_choice", name, m.lines["period"], "period", choices="/".join(PERIODS), value=show(period))
    participation = _percent(v, name, m, "participation")
    target = _percent(v, name, m, "ten_star_target")
    notice_days = _whole(v, name, m, "notice_days", "notice_days")
    objections = v.text(name, m, "objections", "")
    spot_households, spot_item = _spot(v, name, m, rubric)
    stars = _stars(v, name, m)
    tiers = _tiers(v, name, m)
    disqualifiers = _disqualifiers(v, name, m)
    if v.problems:
        raise DataError(v.problems)
    return StarSet(period=period, participation=participation, ten_star_target=target,  # type: ignore[arg-type]
                   notice_days=notice_days, objections=objections, spot_households=spot_households,  # type: ignore[arg-type]
                   spot_item=spot_item, stars=stars, tiers=tiers, disqualifiers=disqualifiers)  # type: ignore[arg-type]


def _percent(v: Validator, name: str, m: Map, key: str) -> Decimal | None:
    if key not in m:
        return None
    d = decimal_of(m[key])
    if d is None or not Decimal(0) < d <= Decimal(100):
        v.add("stars_percent", name, m.lines[key], key, value=show(m[key]))
        return None
    return d


def _whole(v: Validator, name: str, m: Map, key: str, field: str) -> int | None:
    if key not in m:
        return None
    n = m[key]
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        v.add("stars_whole", name, m.lines[key], field, value=show(n))
        return None
    return n


def _spot(v: Validator, name: str, m: Map, rubric: Rubric | None) -> tuple[int | None, str | None]:
    spot = v.mapping(name, m, "spot_check", "")
    if spot is None:
        return None, None
    v.fields(name, spot, "spot_check.", ("households", "item"), ())
    households = _whole(v, name, spot, "households", "spot_check.households")
    item = spot.get("item")
    if "item" in spot:
        found = None
        if rubric is not None and isinstance(item, str):
            found = next((i for i in rubric.items if i.code == item), None)
        if not isinstance(item, str) or (rubric is not None and (
                found is None or found.type != "count" or found.section != SECTION)):
            v.add("stars_spot_item", name, spot.lines["item"], "spot_check.item", value=show(item),
                  section=SECTION)
            item = None
    return households, item


def _entries(v: Validator, name: str, m: Map, key: str, required: tuple[str, ...],
             optional: tuple[str, ...]) -> list[tuple[str, Map]]:
    """The mappings of list ``key``, each with its code checked (unique); (prefix, mapping)."""
    out = []
    seen: set[str] = set()
    entries = v.seq(name, m, key, "") or Seq()
    for n, (entry, line) in enumerate(zip(entries, getattr(entries, "lines", []))):
        where = f"{key}[{n + 1}]."
        if not isinstance(entry, Map):
            v.add("rubric_mapping", name, line, where[:-1])
            continue
        code = v.code(name, entry, where)
        prefix = f"{key}.{code}." if code else where
        v.fields(name, entry, prefix, required, optional)
        if code is not None and code in seen:
            v.add("rubric_duplicate", name, entry.lines["code"], prefix + "code", value=code)
        seen.add(code or "")
        out.append((prefix, entry))
    return out


def _stars(v: Validator, name: str, m: Map) -> tuple[Star, ...]:
    out = []
    names: set[str] = set()
    entries = _entries(v, name, m, "stars", ("code", "name", "criteria"), ("name_en",))
    for prefix, entry in entries:
        before = len(v.problems)
        title = v.text(name, entry, "name", prefix)
        if title is not None and title in names:
            v.add("stars_name_duplicate", name, entry.lines["name"], prefix + "name", value=title)
        names.add(title or "")
        criteria = v.text(name, entry, "criteria", prefix)
        name_en = v.text(name, entry, "name_en", prefix, required=False)
        if len(v.problems) == before and entry.get("code"):
            out.append(Star(entry["code"], title, name_en or "", criteria))  # type: ignore[arg-type]
    if "stars" in m and isinstance(m["stars"], Seq) and len(m["stars"]) != STAR_COUNT:
        v.add("stars_count", name, m.lines["stars"], "stars", n=len(m["stars"]), expected=STAR_COUNT)
    return tuple(out)


def _tiers(v: Validator, name: str, m: Map) -> tuple[Tier, ...]:
    out: list[Tier] = []
    for prefix, entry in _entries(v, name, m, "tiers", ("code", "name", "min", "max"), ("name_en",)):
        before = len(v.problems)
        title = v.text(name, entry, "name", prefix)
        name_en = v.text(name, entry, "name_en", prefix, required=False)
        low, high = entry.get("min"), entry.get("max")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (low, high)) \
                or not 1 <= low <= high <= STAR_COUNT:  # type: ignore[operator]
            v.add("tier_range", name, entry.lines.get("min", entry.line), prefix + "min",
                  value=f"{show(low)}–{show(high)}", stars=STAR_COUNT)
        elif out and low <= out[-1].high:  # type: ignore[operator]
            v.add("tier_overlap", name, entry.lines["min"], prefix + "min", value=f"{low}–{high}",
                  other=f"{out[-1].name} {out[-1].low}–{out[-1].high}")
        if len(v.problems) == before and entry.get("code"):
            out.append(Tier(entry["code"], title, name_en or "", low, high))  # type: ignore[arg-type]
    return tuple(out)


def _disqualifiers(v: Validator, name: str, m: Map) -> tuple[Disqualifier, ...]:
    out = []
    for prefix, entry in _entries(v, name, m, "disqualifiers", ("code", "name"), ("name_en",)):
        before = len(v.problems)
        title = v.text(name, entry, "name", prefix)
        name_en = v.text(name, entry, "name_en", prefix, required=False)
        if len(v.problems) == before and entry.get("code"):
            out.append(Disqualifier(entry["code"], title, name_en or ""))  # type: ignore[arg-type]
    return tuple(out)
