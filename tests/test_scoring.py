"""Exact scoring: item points, findings, section sums, pass/fail at the mark, veto, partial totals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import DataError
from survey.rubric import load_rubric, parse_rubric
from survey.scoring import partial, score, validate_answers

MAIN = """\
pass_mark: 85
total: 100
sections: [alpha, beta]
grades: {A: 1.0, B: 0.8, C: 0.6, "C#": 0.0}
"""
ALPHA = """\
code: alpha
name: 甲
points: 60
items:
  - {code: A01, text: 有垃圾桶, type: check, points: 10}
  - {code: A02, text: 暴露垃圾点, type: count, points: 5, deduct: 0.5}
  - {code: A03, text: 门前三包, type: grade, points: 5, criteria: [清洁, 有序, 绿化]}
  - {code: A04, text: 保洁员, type: check, points: 39.9}
  - {code: A05, text: 保洁记录, type: check, points: 0.1}
"""
BETA = """\
code: beta
name: 乙
points: 40
items:
  - {code: B01, text: 红黑榜, type: check, points: 40}
"""
VETO = """\
veto:
  - {code: V1, name: 重大刑事案件, text: 发生重大刑事案件}
  - {code: V2, name: 重大群体性事件, text: 发生重大群体性事件}
"""


@pytest.fixture(scope="module")
def rubric():
    return parse_rubric({"rubric.yaml": MAIN, "alpha.yaml": ALPHA, "beta.yaml": BETA, "veto.yaml": VETO})


def full(**override):
    answers = {"A01": True, "A02": 0, "A03": "A", "A04": True, "A05": True, "B01": True}
    answers.update(override)
    return answers


def test_perfect_answers_score_100_and_pass(rubric):
    s = score(rubric, full())
    assert s.total == Decimal(100)
    assert s.sections == {"alpha": Decimal(60), "beta": Decimal(40)}
    assert list(s.sections) == ["alpha", "beta"]
    assert s.passed and not s.vetoed and s.findings == 0


def test_item_rules(rubric):
    s = score(rubric, full(A01=False, A02=3, A03="B"))
    by_code = {i.code: i for i in s.items}
    assert by_code["A01"].points == 0 and by_code["A01"].lost == 10 and by_code["A01"].finding
    assert by_code["A02"].points == Decimal("3.5") and by_code["A02"].lost == Decimal("1.5")
    assert by_code["A03"].points == Decimal("4") and by_code["A03"].max == 5
    assert by_code["A04"].points == Decimal("39.9") and not by_code["A04"].finding
    assert s.findings == 3
    assert [i.section for i in s.items] == ["alpha"] * 5 + ["beta"]


def test_count_is_floored_at_zero(rubric):
    s = score(rubric, full(A02=25))
    assert {i.code: i.points for i in s.items}["A02"] == 0
    assert s.total == Decimal(95)


def test_grades_convert_with_factors(rubric):
    points = {g: {i.code: i.points for i in score(rubric, full(A03=g)).items}["A03"] for g in ("A", "B", "C", "C#")}
    assert points == {"A": 5, "B": 4, "C": 3, "C#": 0}


def test_84_5_fails_and_85_passes_exactly(rubric):
    s = score(rubric, full(A01=False, A02=1, A03="C#"))  # 100 − 10 − 0.5 − 5 = 84.5
    assert s.total == Decimal("84.5") and not s.passed
    s = score(rubric, full(A01=False, A03="C#"))  # 85.0
    assert s.total == Decimal(85) and s.passed


def test_tenth_points_have_no_float_drift(rubric):
    s = score(rubric, full(A04=False))
    assert s.total == Decimal("60.1")
    assert s.sections["alpha"] == Decimal("20.1")
    # Sums of 0.1 stay exact: the section is exactly 60 when everything is met.
    assert score(rubric, full()).sections["alpha"] == Decimal("60")


def test_veto_blocks_passing_whatever_the_score(rubric):
    s = score(rubric, full(), ["V2", "V1"])
    assert s.total == 100 and s.vetoed and not s.passed
    assert s.veto == ("V1", "V2")


def test_score_rejects_invalid_answers(rubric):
    with pytest.raises(DataError) as err:
        score(rubric, full(A01=1))
    assert "A01" in str(err.value)


def test_validate_answers_lists_every_problem(rubric):
    answers = {"A01": 1, "A02": 2.5, "A03": "D", "A04": True, "B01": False, "Z99": True}
    issues = validate_answers(rubric, answers, ["V1", "V9"])
    got = {(i.key, i.field) for i in issues}
    assert got == {
        ("answer_check", "answers.A01"),
        ("answer_count", "answers.A02"),
        ("answer_grade", "answers.A03"),
        ("item_unanswered", "answers.A05"),
        ("item_unknown", "answers.Z99"),
        ("veto_unknown", "veto"),
    }
    located = [str(i.at("x.jsonl", 4)) for i in issues]
    assert any(p.startswith("x.jsonl:4: answers.A03:") and "A/B/C/C#" in p for p in located)


@pytest.mark.parametrize("value", [True, -1, 2.5, 2.0, "2", None])
def test_count_answers_must_be_non_negative_integers(rubric, value):
    assert [i.key for i in validate_answers(rubric, full(A02=value), [])] == ["answer_count"]


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_check_answers_must_be_booleans(rubric, value):
    assert [i.key for i in validate_answers(rubric, full(A01=value), [])] == ["answer_check"]


def test_answers_and_veto_must_have_the_right_shape(rubric):
    keys = [(i.key, i.field) for i in validate_answers(rubric, ["A01"], "V1")]
    assert ("sub_field_type", "answers") in keys and ("sub_field_type", "veto") in keys


def test_partial_counts_only_answered_items(rubric):
    p = partial(rubric, {"A02": 2, "A03": "B", "A01": "yes"})
    assert p.sections == {"alpha": Decimal(8), "beta": Decimal(0)}
    assert p.section_max == {"alpha": Decimal(10), "beta": Decimal(0)}
    assert p.total == 8 and p.total_max == 10
    assert p.answered == 2 and p.count == 6
    done = partial(rubric, full())
    assert done.total == score(rubric, full()).total and done.answered == done.count


def test_shipped_rubric_scores_the_spec_example():
    rubric = load_rubric()
    answers = {i.code: (True if i.type == "check" else 0 if i.type == "count" else "A") for i in rubric.items}
    answers.update({"LJ01": True, "LJ07": 3, "YF02": "B"})
    s = score(rubric, answers)
    assert s.total == Decimal(100) - Decimal("1.5") - Decimal("0.8")
    assert s.findings == 2 and s.passed


# --- grade items answered by criteria --------------------------------------------------------------


@pytest.mark.parametrize("n, missed, grade", [
    (3, 0, "A"), (3, 1, "B"), (3, 2, "C"), (3, 3, "C#"),
    (4, 0, "A"), (4, 1, "B"), (4, 2, "C"), (4, 3, "C#"), (4, 4, "C#"),
    (5, 0, "A"), (5, 1, "B"), (5, 2, "C"), (5, 3, "C#"), (5, 4, "C#"), (5, 5, "C#"),
])
def test_the_grade_follows_from_the_criteria_at_every_count_not_met(n, missed, grade):
    """All met = A, one short = B, two short = C, else C#, whichever criteria are missed."""
    from itertools import combinations

    from survey.rubric import Item
    from survey.scoring import grade_from_criteria

    item = Item(code="G", section="s", text="t", text_en="", type="grade", points=Decimal(5),
                grades=(("A", Decimal(1)), ("B", Decimal("0.8")), ("C", Decimal("0.6")), ("C#", Decimal(0))),
                criteria=tuple(f"c{i}" for i in range(n)))
    for which in combinations(range(n), missed):
        assert grade_from_criteria(item, [i not in which for i in range(n)]) == grade
    with pytest.raises(ValueError):
        grade_from_criteria(item, [True] * (n - 1))


def test_an_item_with_its_own_factors_scores_with_them_and_floors_at_its_lowest_grade():
    own = ALPHA.replace("criteria: [清洁, 有序, 绿化]}",
                        "criteria: [清洁, 有序, 绿化], grades: {优: 1.0, 良: 0.5, 差: 0.1}}")
    rubric = parse_rubric({"rubric.yaml": MAIN, "alpha.yaml": own, "beta.yaml": BETA, "veto.yaml": VETO})
    from survey.scoring import grade_from_criteria

    item = rubric.item("A03")
    assert item.grades == (("优", Decimal(1)), ("良", Decimal("0.5")), ("差", Decimal("0.1")))
    assert [grade_from_criteria(item, [m >= k for m in range(3)]) for k in range(4)] == ["优", "良", "差", "差"]
    answers = {"A01": True, "A02": 0, "A03": "良", "A04": True, "A05": True, "B01": True}
    assert score(rubric, answers).sections["alpha"] == Decimal("57.5")  # 10 + 5 + 5 × 0.5 + 39.9 + 0.1
    doc = rubric.to_json()
    assert doc["sections"][0]["items"][2]["grades"] == {"优": 1, "良": 0.5, "差": 0.1}


def test_unmet_criteria_are_checked_against_the_grade_and_kept_as_text():
    from survey.scoring import check_unmet

    rubric = parse_rubric({"rubric.yaml": MAIN, "alpha.yaml": ALPHA, "beta.yaml": BETA, "veto.yaml": VETO})
    answers = {"A01": True, "A02": 0, "A03": "B", "A04": True, "A05": True, "B01": True}
    assert check_unmet(rubric, answers, {"A03": [2]}) == []
    assert check_unmet(rubric, answers, None) == []  # an older file: the letter alone
    wrong = check_unmet(rubric, answers, {"A03": [1, 3], "A01": [1], "Z9": [], "B01": "x"})
    assert [(i.key, i.field) for i in wrong] == [("unmet_grade", "answers.A03"), ("unmet_item", "unmet.A01"),
                                                 ("item_unknown", "unmet.Z9"), ("unmet_item", "unmet.B01")]
    assert [i.key for i in check_unmet(rubric, answers, {"A03": [0]})] == ["unmet_type"]
    assert [i.key for i in check_unmet(rubric, answers, {"A03": [2, 2]})] == ["unmet_type"]
    assert [i.key for i in check_unmet(rubric, answers, {"A03": [True]})] == ["unmet_type"]
    assert [i.key for i in check_unmet(rubric, answers, ["A03"])] == ["sub_field_type"]
    result = score(rubric, answers, (), {"A03": [2]})
    assert result.unmet == {"A03": ("有序",)} and result.reaches and result.passed
