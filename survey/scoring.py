"""Exact scoring of one village's answers against the rubric (pure functions, Decimal only).

Points per item (interchange.md): check — all when ``true``, none when ``false``; count —
``max(0, points − n × deduct)``; grade — ``points × factor``. A village passes when its total
reaches the pass mark and no veto applies. Findings: check items not met, count items with at
least one problem, grade items below the best grade.

Grade items are answered criterion by criterion: :func:`grade_from_criteria` derives the grade
(all met = A, one short = B, two short = C, else C#), and a submission carries the numbers of the
criteria not met (``unmet``: item code -> 1-based numbers in the rubric's order), which
:func:`check_unmet` holds against the grade given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from core.errors import DataError, NotFound, Problem, problem
from survey.rubric import Item, Rubric

ZERO = Decimal(0)


class Issue(NamedTuple):
    """An answer problem not yet tied to a file: message ``key``, ``field`` and template fields."""

    key: str
    field: str
    fields: dict[str, Any]

    def at(self, file: str, line: int | None) -> Problem:
        """The located :class:`Problem` for ``file``/``line``."""
        return problem(self.key, file, line, self.field, **self.fields)


@dataclass(frozen=True)
class ItemScore:
    code: str
    section: str
    value: Any
    points: Decimal
    max: Decimal
    lost: Decimal
    finding: bool


@dataclass(frozen=True)
class Score:
    """The score of one submission. ``sections`` maps section code -> points, in rubric order."""

    items: tuple[ItemScore, ...]
    sections: dict[str, Decimal]
    total: Decimal
    veto: tuple[str, ...]
    vetoed: bool
    passed: bool
    findings: int
    reaches: bool = False  # the total reaches the pass mark (whatever the vetoes)
    unmet: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # grade item -> criteria not met


@dataclass(frozen=True)
class Partial:
    """Running totals while a surveyor answers: only answered items count.
    ``sections``/``section_max`` map section code -> points earned / possible so far."""

    sections: dict[str, Decimal]
    section_max: dict[str, Decimal]
    total: Decimal
    total_max: Decimal
    answered: int
    count: int


def valid_answer(item: Item, value: Any) -> bool:
    """True when ``value`` is a well-typed answer for ``item`` (JSON ``true`` is not ``1``)."""
    if item.type == "check":
        return type(value) is bool
    if item.type == "count":
        return type(value) is int and value >= 0
    return isinstance(value, str) and value in item.grade_names


def item_points(item: Item, value: Any) -> Decimal:
    """Points earned on ``item`` for a valid answer ``value``."""
    if item.type == "check":
        return item.points if value else ZERO
    if item.type == "count":
        return max(ZERO, item.points - value * item.deduct)
    return item.points * item.factor(value)


def grade_from_criteria(item: Item, met: Sequence[bool]) -> str:
    """The grade of grade item ``item`` from its criteria, one ``True``/``False`` (met / not
    met) per criterion in rubric order. The national rule: all N met = the best grade (A),
    N−1 = the next (B), N−2 = the next (C), fewer = the lowest (C#); in general each criterion
    missed is one grade lower, floored at the item's lowest grade. The XLSForm
    (:mod:`survey.xlsform`) computes the same in XPath; ``ValueError`` when ``met`` does not
    hold one answer per criterion or ``item`` is not a grade item."""
    if item.type != "grade" or not item.grade_names:
        raise ValueError(f"{item.code} is not a grade item")
    if len(met) != len(item.criteria) or not all(type(m) is bool for m in met):
        raise ValueError(f"{item.code} takes {len(item.criteria)} criteria as True/False, got {list(met)!r}")
    missed = sum(1 for m in met if not m)
    names = item.grade_names
    return names[min(missed, len(names) - 1)]


def met_from_unmet(item: Item, unmet: Iterable[int]) -> list[bool]:
    """The criteria of ``item`` as met (True) / not met (False), from the 1-based numbers of
    those not met."""
    missed = set(unmet)
    return [n not in missed for n in range(1, len(item.criteria) + 1)]


def unmet_from_met(met: Sequence[bool | None]) -> tuple[int, ...]:
    """The 1-based numbers of the criteria answered not met (``False``; ``None``: unanswered)."""
    return tuple(n for n, m in enumerate(met, start=1) if m is False)


def unmet_texts(rubric: Rubric, unmet: Mapping[str, Iterable[int]]) -> dict[str, list[str]]:
    """Item code -> the texts of its criteria not met (numbers the rubric does not know are
    kept as ``#n``), for the items of ``unmet`` that have any, in rubric order."""
    out: dict[str, list[str]] = {}
    for item in rubric.items:
        numbers = sorted(unmet.get(item.code, ()))
        if numbers:
            out[item.code] = [item.criteria[n - 1] if 1 <= n <= len(item.criteria) else f"#{n}" for n in numbers]
    return out


def check_unmet(rubric: Rubric, answers: Mapping[str, Any], unmet: Any) -> list[Issue]:
    """Every problem of a submission's ``unmet`` (grade item code -> the 1-based numbers of its
    criteria not met): not an object, an item that is unknown or not a grade item, numbers
    that are not distinct whole numbers within 1..N, and a grade in ``answers`` that does not
    follow from the criteria by the rule (:func:`grade_from_criteria`)."""
    if unmet is None:
        return []
    if not isinstance(unmet, Mapping):
        return [Issue("sub_field_type", "unmet", {"expected": "“项目编码: 未达到子项序号列表”对象",
                                                  "expected_en": "an object of item code: criterion numbers",
                                                  "value": _show(unmet)})]
    issues: list[Issue] = []
    for code, numbers in unmet.items():
        field = f"unmet.{code}"
        try:
            item = rubric.item(code)
        except NotFound:
            issues.append(Issue("item_unknown", field, {"value": _show(code)}))
            continue
        if item.type != "grade":
            issues.append(Issue("unmet_item", field, {"value": code}))
            continue
        n = len(item.criteria)
        if not (isinstance(numbers, list | tuple) and all(type(x) is int and 1 <= x <= n for x in numbers)
                and len(set(numbers)) == len(numbers)):
            issues.append(Issue("unmet_type", field, {"n": n, "value": _show(numbers)}))
            continue
        grade = answers.get(code) if isinstance(answers, Mapping) else None
        expected = grade_from_criteria(item, met_from_unmet(item, numbers))
        if valid_answer(item, grade) and grade != expected:
            issues.append(Issue("unmet_grade", f"answers.{code}", {"item": code, "value": grade, "n": n,
                                                                   "missed": len(numbers), "expected": expected}))
    return issues


def is_finding(item: Item, value: Any) -> bool:
    """A problem to fix: check not met, count ≥ 1, grade below the item's best grade."""
    if item.type == "check":
        return not value
    if item.type == "count":
        return value >= 1
    return value != item.grades[0][0]


def _show(value: Any) -> str:
    """A JSON value as it appears in the file, shortened for messages."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def validate_answers(rubric: Rubric, answers: Any, veto: Any) -> list[Issue]:
    """Every problem of ``answers`` (item code -> value) and ``veto`` (list of veto codes):
    unknown or unanswered items, values of the wrong kind, unknown veto codes."""
    issues: list[Issue] = []
    if not isinstance(answers, Mapping):
        issues.append(Issue("sub_field_type", "answers",
                            {"expected": "对象", "expected_en": "an object", "value": _show(answers)}))
        answers = {}
    known = rubric.item_codes
    if not known.issuperset(answers):
        for code in answers:
            if code not in known:
                issues.append(Issue("item_unknown", f"answers.{code}", {"value": code}))
    for item in rubric.items:
        if item.code not in answers:
            issues.append(Issue("item_unanswered", f"answers.{item.code}", {"value": item.code}))
            continue
        value = answers[item.code]
        kind = type(value)
        if (kind is bool or kind is int or kind is str) and (kind, value) in item.scores:
            continue  # an answer scored before (score() keeps only valid ones)
        if valid_answer(item, value):
            continue
        field, show = f"answers.{item.code}", _show(value)
        if item.type == "check":
            issues.append(Issue("answer_check", field, {"item": item.code, "value": show}))
        elif item.type == "count":
            issues.append(Issue("answer_count", field, {"item": item.code, "value": show}))
        else:
            issues.append(Issue("answer_grade", field,
                                {"item": item.code, "grades": "/".join(item.grade_names), "value": show}))
    if not isinstance(veto, list | tuple):
        issues.append(Issue("sub_field_type", "veto",
                            {"expected": "否决事项编码列表", "expected_en": "a list of veto codes",
                             "value": _show(veto)}))
        return issues
    codes = rubric.veto_codes
    for code in veto:
        if not isinstance(code, str) or code not in codes:
            issues.append(Issue("veto_unknown", "veto", {"value": _show(code)}))
    return issues


def score(rubric: Rubric, answers: Mapping[str, Any], veto: Iterable[str] = (),
          unmet: Mapping[str, Iterable[int]] | None = None) -> Score:
    """Score a complete set of answers; ``veto``: the veto codes that apply (a surveyor's
    report does not, until the office confirms it); ``unmet``: grade item -> the numbers of its
    criteria not met (their texts are kept in the score). Raises :class:`DataError` (file
    ``answers``) when they do not fit the rubric; use :func:`validate_answers` first to report
    problems nicely."""
    veto = tuple(veto)
    issues = validate_answers(rubric, answers, list(veto))
    if issues:
        raise DataError([i.at("answers", None) for i in issues])
    items = []
    sections = {s.code: ZERO for s in rubric.sections}
    for item in rubric.items:
        value = answers[item.code]
        # the score of one answer is the same every time: made once per item and distinct answer
        # (a province's import scores 25,000 villages × 30 items from a handful of answers each)
        key = (type(value), value)
        scored = item.scores.get(key)
        if scored is None:
            got = item_points(item, value)
            scored = item.scores[key] = ItemScore(
                item.code, item.section, value, got, item.points, item.points - got, is_finding(item, value))
        sections[item.section] += scored.points
        items.append(scored)
    total = sum(sections.values(), ZERO)
    applied = tuple(v.code for v in rubric.veto if v.code in veto)
    return Score(
        items=tuple(items),
        sections=sections,
        total=total,
        veto=applied,
        vetoed=bool(applied),
        passed=total >= rubric.pass_mark and not applied,
        findings=sum(i.finding for i in items),
        reaches=total >= rubric.pass_mark,
        unmet={code: tuple(texts) for code, texts in unmet_texts(rubric, unmet or {}).items()},
    )


def partial(rubric: Rubric, answers: Mapping[str, Any]) -> Partial:
    """Running totals for the tablet: unanswered (or not yet valid) items contribute nothing."""
    earned = {s.code: ZERO for s in rubric.sections}
    possible = {s.code: ZERO for s in rubric.sections}
    answered = 0
    for item in rubric.items:
        value = answers.get(item.code)
        if value is None or not valid_answer(item, value):
            continue
        answered += 1
        earned[item.section] += item_points(item, value)
        possible[item.section] += item.points
    return Partial(
        sections=earned,
        section_max=possible,
        total=sum(earned.values(), ZERO),
        total_max=sum(possible.values(), ZERO),
        answered=answered,
        count=len(rubric.items),
    )
