"""The rubric (测评细则) as data: ``data/rubric/*.yaml`` -> one validated, frozen :class:`Rubric`.

One pipeline: read the YAML files -> validate, collecting *every* problem with its file and line
-> build frozen records. Numbers are read exactly as :class:`~decimal.Decimal` from the YAML text
(``0.5`` is ``Decimal("0.5")``, never a float). The layout of the files is explained in their
comments; ``rubric.to_json()`` is the "Rubric (checklists --json)" form of interchange.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from core import config
from core.errors import DataError, NotFound, problem
from survey.yamldoc import CODE as _CODE
from survey.yamldoc import Map as _Map
from survey.yamldoc import Seq as _Seq
from survey.yamldoc import Validator as _Validator
from survey.yamldoc import decimal_of as _decimal
from survey.yamldoc import display as _display
from survey.yamldoc import read_texts
from survey.yamldoc import show as _show

ITEM_TYPES: tuple[str, ...] = ("check", "count", "grade")
#: What shows a finding of an item: a photo of it, a document (a register, a record, a charter:
#: its absence is what a photo cannot show), or an interview (asking villagers). A finding needs
#: a note always, and a photo only when the item's evidence is ``photo``.
EVIDENCE: tuple[str, ...] = ("photo", "document", "interview")
DEFAULT_EVIDENCE = "photo"
MAIN_FILE, VETO_FILE = "rubric.yaml", "veto.yaml"


@dataclass(frozen=True)
class Item:
    """One scored item. ``deduct`` only for count items; ``grades`` (ordered ``(grade, factor)``
    pairs, best first: the item's own when its file gives them, else the rubric's) and
    ``criteria`` only for grade items. ``evidence``: what shows a finding (:data:`EVIDENCE`)."""

    code: str
    section: str
    text: str
    text_en: str
    type: str
    points: Decimal
    deduct: Decimal | None = None
    grades: tuple[tuple[str, Decimal], ...] = ()
    criteria: tuple[str, ...] = ()
    severity: str | None = None
    fix_days: int | None = None
    evidence: str = DEFAULT_EVIDENCE

    @property
    def needs_photo(self) -> bool:
        """A finding of this item needs a photo (its evidence is a photo)."""
        return self.evidence == "photo"

    @cached_property
    def grade_names(self) -> tuple[str, ...]:
        """The grades this item accepts, best first."""
        return tuple(g for g, _ in self.grades)

    @cached_property
    def _factors(self) -> dict[str, Decimal]:
        return dict(self.grades)

    @cached_property
    def scores(self) -> dict[Any, Any]:
        """(type, answer) -> its :class:`survey.scoring.ItemScore`: a cache kept by
        :func:`survey.scoring.score` (the score of an answer never changes)."""
        return {}

    def factor(self, grade: str) -> Decimal:
        """The points factor of ``grade`` (KeyError when the item has no such grade)."""
        return self._factors[grade]


@dataclass(frozen=True)
class Section:
    code: str
    name: str
    name_en: str
    points: Decimal
    items: tuple[Item, ...]


@dataclass(frozen=True)
class VetoItem:
    """A veto (一票否决) item; ``name`` is the short Chinese name used in exports."""

    code: str
    name: str
    text: str
    text_en: str


@dataclass(frozen=True)
class Rubric:
    pass_mark: Decimal
    total: Decimal
    sections: tuple[Section, ...]
    veto: tuple[VetoItem, ...]
    fix_days: tuple[tuple[str, int], ...] = ()

    @cached_property
    def items(self) -> tuple[Item, ...]:
        """Every item, in section then file order."""
        return tuple(i for s in self.sections for i in s.items)

    @cached_property
    def _items(self) -> dict[str, Item]:
        return {i.code: i for i in self.items}

    @cached_property
    def item_codes(self) -> frozenset[str]:
        """The codes of every item."""
        return frozenset(self._items)

    @cached_property
    def veto_codes(self) -> frozenset[str]:
        """The codes of every veto item."""
        return frozenset(v.code for v in self.veto)

    def item(self, code: str) -> Item:
        """The item ``code`` (NotFound when unknown)."""
        try:
            return self._items[code]
        except KeyError:
            raise NotFound("item_unknown", value=code) from None

    def section_of(self, code: str) -> Section:
        """The section holding item ``code``."""
        section = self.item(code).section
        return next(s for s in self.sections if s.code == section)

    def veto_item(self, code: str) -> VetoItem:
        """The veto item ``code`` (NotFound when unknown)."""
        for v in self.veto:
            if v.code == code:
                return v
        raise NotFound("veto_unknown", value=code)

    def to_json(self) -> dict[str, Any]:
        """The interchange.md "Rubric (checklists --json)" object, plus ``name_en``, ``text_en``,
        ``criteria`` (numbered from 1 in this order where a submission names unmet ones),
        ``evidence``, ``severity``, ``fix_days`` and the veto ``name``. Every grade item carries
        its own grades and factors."""
        return {
            "pass_mark": _num(self.pass_mark),
            "total": _num(self.total),
            "sections": [
                {
                    "code": s.code,
                    "name": s.name,
                    "name_en": s.name_en,
                    "points": _num(s.points),
                    "items": [_item_json(i) for i in s.items],
                }
                for s in self.sections
            ],
            "veto": [{"code": v.code, "text": v.text, "name": v.name, "text_en": v.text_en} for v in self.veto],
        }

    @cached_property
    def version(self) -> str:
        """A short sha256 of the canonical JSON: changes whenever anything scored changes."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _num(d: Decimal) -> int | float:
    """A JSON number: int when integral, else float."""
    return int(d) if d == d.to_integral_value() else float(d)


def _item_json(i: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"code": i.code, "text": i.text, "type": i.type, "points": _num(i.points)}
    if i.type == "count":
        out["deduct"] = _num(i.deduct)  # type: ignore[arg-type]
    if i.type == "grade":
        out["grades"] = {g: _num(f) for g, f in i.grades}
        out["criteria"] = list(i.criteria)
    out["evidence"] = i.evidence
    out["text_en"] = i.text_en
    if i.severity:
        out["severity"] = i.severity
    if i.fix_days is not None:
        out["fix_days"] = i.fix_days
    return out


# --- loading -----------------------------------------------------------------------------------


def load_rubric(directory: str | Path | None = None) -> Rubric:
    """Load and validate the rubric in ``directory`` (default ``config.RUBRIC_DIR``).
    Cached until a YAML file there changes. Raises :class:`DataError` with every problem."""
    folder = Path(directory) if directory is not None else config.RUBRIC_DIR
    if not folder.is_dir():
        raise DataError([problem("file_missing", _display(folder))])
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.yaml"))
    )
    return _load_cached(str(folder.resolve()), stamp)


def load_with_documents(directory: str | Path | None = None) -> tuple[Rubric, dict[str, str]]:
    """The active rubric and its files (base name -> YAML text): what a round is pinned to."""
    rubric = load_rubric(directory)
    return rubric, dict(_DOCUMENTS[rubric.version])


def from_documents(docs: Mapping[str, str]) -> Rubric:
    """The rubric of kept files (a round's pinned version), parsed once per process."""
    rubric = _parse_cached(tuple(sorted(docs.items())))
    _DOCUMENTS.setdefault(rubric.version, {Path(n).name: text for n, text in docs.items()})
    return rubric


def documents_of(rubric: Rubric) -> dict[str, str]:
    """The files a rubric was read from (what a round is pinned to; kept with its submissions)."""
    return dict(_DOCUMENTS[rubric.version])


@functools.lru_cache(maxsize=16)
def _parse_cached(docs: tuple[tuple[str, str], ...]) -> Rubric:
    return parse_rubric(dict(docs))


#: version -> the files it was read from (base names), for every rubric loaded in this process.
_DOCUMENTS: dict[str, dict[str, str]] = {}


@functools.lru_cache(maxsize=8)
def _load_cached(folder: str, stamp: tuple) -> Rubric:
    docs = read_texts([Path(folder) / name for name, *_ in stamp])
    if not docs:
        raise DataError([problem("file_missing", _display(Path(folder) / MAIN_FILE))])
    rubric = parse_rubric(docs)
    _DOCUMENTS[rubric.version] = {Path(name).name: text for name, text in docs.items()}
    return rubric


def parse_rubric(docs: Mapping[str, str]) -> Rubric:
    """Build the rubric from ``{file name: YAML text}`` (``rubric.yaml``, ``veto.yaml`` and one
    ``<section>.yaml`` per section). Raises :class:`DataError` with every problem found."""
    by_base = {Path(name).name: name for name in docs}
    v = _Validator()
    trees = {}
    for base, name in by_base.items():
        trees[base] = v.parse(name, docs[name])
    main_name = by_base.get(MAIN_FILE, MAIN_FILE)
    main = _main(v, main_name, trees.get(MAIN_FILE), MAIN_FILE in by_base)
    sections = []
    seen: set[str] = set()  # item codes are unique across the rubric: answers are keyed by them
    for code, _line in main["sections"]:
        base = f"{code}.yaml"
        name = by_base.get(base, base)
        if base not in by_base:
            v.add("file_missing", name, None, None)
        elif trees[base] is not None:
            sections.append(_section(v, name, code, trees[base], main, seen))
    veto_name = by_base.get(VETO_FILE, VETO_FILE)
    veto = _veto(v, veto_name, trees.get(VETO_FILE), VETO_FILE in by_base)
    if main["total"] is not None and main["sections"] and len(sections) == len(main["sections"]):
        got = sum((s.points for s in sections), Decimal(0))
        if got != main["total"]:
            v.add("rubric_sum", main_name, main["sections_line"], "sections",
                  what="各部分", what_en="sections", actual=got, expected=main["total"])
    if v.problems:
        raise DataError(v.problems)
    return Rubric(
        pass_mark=main["pass_mark"],
        total=main["total"],
        sections=tuple(sections),
        veto=tuple(veto),
        fix_days=tuple(main["fix_days"].items()),
    )


def _main(v: _Validator, name: str, m: _Map | None, present: bool) -> dict[str, Any]:
    """Validate rubric.yaml -> pass_mark, total, sections [(code, line)], grades, fix_days."""
    out: dict[str, Any] = {"pass_mark": None, "total": None, "sections": [], "sections_line": None,
                           "grades": (), "fix_days": {}}
    if not present:
        v.add("file_missing", name, None, None)
        return out
    if m is None:
        return out
    v.fields(name, m, "", ("pass_mark", "total", "sections", "grades"), ("fix_days",))
    total = v.number(name, m, "total", "")
    pass_mark = v.number(name, m, "pass_mark", "")
    if total is not None and pass_mark is not None and pass_mark > total:
        v.add("rubric_pass_mark", name, m.lines["pass_mark"], "pass_mark", value=pass_mark, expected=total)
    out.update(total=total, pass_mark=pass_mark)
    sections = v.seq(name, m, "sections", "")
    if sections is not None:
        out["sections_line"] = m.lines["sections"]
        seen: set[str] = set()
        for code, line in zip(sections, sections.lines):
            if not isinstance(code, str) or not _CODE.match(code):
                v.add("rubric_code", name, line, "sections", value=_show(code))
            elif code in seen:
                v.add("rubric_duplicate", name, line, "sections", value=code)
            else:
                seen.add(code)
                out["sections"].append((code, line))
    out["grades"] = _grades(v, name, m, "")
    days = v.mapping(name, m, "fix_days", "")
    if days is not None:
        for sev, n in days.items():
            if _days(n) is None:
                v.add("rubric_days", name, days.lines[sev], f"fix_days.{sev}", value=_show(n))
            else:
                out["fix_days"][sev] = n
    return out


def _grades(v: _Validator, name: str, m: _Map, prefix: str) -> tuple[tuple[str, Decimal], ...]:
    """The ``grades`` mapping of ``m`` as ordered (grade, factor) pairs: every factor within
    0–1, best first (each factor no higher than the one before: a criterion missed is a grade
    lower, never a better one). Problems are reported; () when absent or wrong."""
    grades = v.mapping(name, m, "grades", prefix)
    if grades is None:
        return ()
    pairs: list[tuple[str, Decimal]] = []
    ok = True
    for g, f in grades.items():
        d = _decimal(f)
        if d is None or not Decimal(0) <= d <= Decimal(1):
            v.add("rubric_factor", name, grades.lines[g], f"{prefix}grades.{g}", value=_show(f))
            ok = False
        elif pairs and d > pairs[-1][1]:
            v.add("rubric_factor_order", name, grades.lines[g], f"{prefix}grades.{g}", value=_show(f),
                  previous=pairs[-1][0], expected=_show(pairs[-1][1]))
            ok = False
        else:
            pairs.append((g, d))
    return tuple(pairs) if ok else ()


def _days(val: Any) -> int | None:
    return val if isinstance(val, int) and not isinstance(val, bool) and val >= 0 else None


_ITEM_FIELDS = ("code", "text", "type", "points")
_ITEM_OPTIONAL = ("text_en", "deduct", "criteria", "grades", "evidence", "severity", "fix_days")


def _section(v: _Validator, name: str, code: str, m: _Map, main: dict[str, Any], seen: set[str]) -> Section:
    """Validate one section file; returns the section built from its valid items."""
    v.fields(name, m, "", ("code", "name", "points", "items"), ("name_en",))
    own = v.code(name, m, "")
    if own is not None and own != code:
        v.add("rubric_section_code", name, m.lines["code"], "code", value=own, expected=code)
    title = v.text(name, m, "name", "")
    name_en = v.text(name, m, "name_en", "", required=False)
    points = v.number(name, m, "points", "")
    items: list[Item] = []
    entries = v.seq(name, m, "items", "") or _Seq()
    for n, (entry, line) in enumerate(zip(entries, getattr(entries, "lines", []))):
        if not isinstance(entry, _Map):
            v.add("rubric_mapping", name, line, f"items[{n + 1}]")
            continue
        item = _item(v, name, code, entry, f"items[{n + 1}].", main, seen)
        if item is not None:
            items.append(item)
    if points is not None and entries and len(items) == len(entries):
        got = sum((i.points for i in items), Decimal(0))
        if got != points:
            v.add("rubric_sum", name, m.lines["points"], "points",
                  what=f"{code} 各项目", what_en=f"{code} items", actual=got, expected=points)
    return Section(code=code, name=title or "", name_en=name_en or "", points=points or Decimal(0),
                   items=tuple(items))


def _item(v: _Validator, name: str, section: str, m: _Map, where: str, main: dict[str, Any],
          seen: set[str]) -> Item | None:
    """Validate one item mapping; None when anything about it is wrong (already reported)."""
    before = len(v.problems)
    code = v.code(name, m, where)
    prefix = f"{code}." if code else where
    v.fields(name, m, prefix, _ITEM_FIELDS, _ITEM_OPTIONAL)
    if code is not None:
        if code in seen:
            v.add("rubric_duplicate", name, m.lines["code"], prefix + "code", value=code)
        seen.add(code)
    text = v.text(name, m, "text", prefix)
    text_en = v.text(name, m, "text_en", prefix, required=False)
    kind = m.get("type")
    if "type" in m and kind not in ITEM_TYPES:
        v.add("rubric_choice", name, m.lines["type"], prefix + "type", choices="/".join(ITEM_TYPES), value=_show(kind))
    points = v.number(name, m, "points", prefix)
    deduct = None
    if kind == "count":
        deduct = _decimal(m.get("deduct"))
        if deduct is None or deduct <= 0 or (points is not None and deduct > points):
            v.add("rubric_deduct", name, m.lines.get("deduct", m.line), prefix + "deduct", value=_show(m.get("deduct")))
    elif "deduct" in m:
        v.add("rubric_deduct_extra", name, m.lines["deduct"], prefix + "deduct")
    criteria: tuple[str, ...] = ()
    if kind == "grade":
        if "criteria" not in m:
            v.add("rubric_missing", name, m.line, prefix + "criteria")
        crit = v.seq(name, m, "criteria", prefix)
        if crit is not None:
            for c, line in zip(crit, crit.lines):
                if not isinstance(c, str) or not c.strip():
                    v.add("rubric_text", name, line, prefix + "criteria", value=_show(c))
            criteria = tuple(c.strip() for c in crit if isinstance(c, str))
    elif "criteria" in m:
        crit = v.seq(name, m, "criteria", prefix)
        criteria = tuple(str(c) for c in crit or ())
    own_grades: tuple[tuple[str, Decimal], ...] = ()
    if "grades" in m:
        if kind != "grade":
            v.add("rubric_grades_extra", name, m.lines["grades"], prefix + "grades")
        else:
            own_grades = _grades(v, name, m, prefix)
    evidence = m.get("evidence", DEFAULT_EVIDENCE)
    if evidence not in EVIDENCE:
        v.add("rubric_choice", name, m.lines["evidence"], prefix + "evidence", choices="/".join(EVIDENCE),
              value=_show(evidence))
    severity = m.get("severity")
    if "severity" in m and severity not in main["fix_days"]:
        v.add("rubric_choice", name, m.lines["severity"], prefix + "severity",
              choices="/".join(main["fix_days"]) or "（fix_days 为空）", value=_show(severity))
    fix_days = m.get("fix_days")
    if "fix_days" in m and _days(fix_days) is None:
        v.add("rubric_days", name, m.lines["fix_days"], prefix + "fix_days", value=_show(fix_days))
    if len(v.problems) > before:
        return None
    if fix_days is None and severity is not None:
        fix_days = main["fix_days"][severity]
    return Item(
        code=code, section=section, text=text, text_en=text_en or "", type=kind, points=points,  # type: ignore[arg-type]
        deduct=deduct, grades=(own_grades or main["grades"]) if kind == "grade" else (), criteria=criteria,
        severity=severity, fix_days=fix_days, evidence=evidence,
    )


def _veto(v: _Validator, name: str, m: _Map | None, present: bool) -> list[VetoItem]:
    """Validate veto.yaml -> its veto items."""
    if not present:
        v.add("file_missing", name, None, None)
        return []
    if m is None:
        return []
    v.fields(name, m, "", ("veto",), ())
    out: list[VetoItem] = []
    seen: set[str] = set()
    entries = v.seq(name, m, "veto", "") or _Seq()
    for n, (entry, line) in enumerate(zip(entries, getattr(entries, "lines", []))):
        where = f"veto[{n + 1}]."
        if not isinstance(entry, _Map):
            v.add("rubric_mapping", name, line, where[:-1])
            continue
        before = len(v.problems)
        code = v.code(name, entry, where)
        prefix = f"{code}." if code else where
        v.fields(name, entry, prefix, ("code", "name", "text"), ("text_en",))
        if code is not None and code in seen:
            v.add("rubric_duplicate", name, entry.lines["code"], prefix + "code", value=code)
        seen.add(code or "")
        short = v.text(name, entry, "name", prefix)
        text = v.text(name, entry, "text", prefix)
        text_en = v.text(name, entry, "text_en", prefix, required=False)
        if len(v.problems) == before:
            out.append(VetoItem(code=code, name=short, text=text, text_en=text_en or ""))  # type: ignore[arg-type]
    return out
