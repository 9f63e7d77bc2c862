"""The county's ten-star set as data: the shipped file, every problem of a wrong one located,
periods, and the tier and rate arithmetic (exact)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from core.errors import DataError, UsageError
from survey.rubric import load_rubric
from survey.stars import DEFAULT_FILE, load_stars, meets, parse_stars, percent, rate

GOOD = DEFAULT_FILE.read_text(encoding="utf-8")


def problems(text: str, rubric=None) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(DataError) as caught:
        parse_stars(text, "stars.yaml", rubric if rubric is not None else load_rubric())
    return [(p.line, p.field, p.key) for p in caught.value.problems]


def line_of(text: str, fragment: str, nth: int = 0) -> int:
    """The line of the ``nth`` (0: first) occurrence of ``fragment`` outside comments."""
    return [n for n, line in enumerate(text.splitlines(), 1)
            if fragment in line and not line.lstrip().startswith("#")][nth]


def test_the_shipped_set_is_the_common_modern_one_with_the_default_rules():
    s = load_stars()
    assert [x.name for x in s.stars] == ["爱党爱国", "遵纪守法", "诚实守信", "勤劳致富", "孝老爱亲", "团结友善",
                                         "清洁卫生", "移风易俗", "勤俭节约", "热心公益"]
    assert [(t.name, t.low, t.high) for t in s.tiers] == [("铜牌", 5, 7), ("银牌", 8, 9), ("金牌", 10, 10)]
    assert s.period == "year" and s.participation == Decimal(80) and s.notice_days == 7
    assert (s.spot_households, s.spot_item) == (10, "XJ09")
    assert [d.name for d in s.disqualifiers] == ["家庭成员违法犯罪", "参与赌博", "参与邪教或非法宗教活动", "家庭暴力"]
    assert s.ten_star_target is None


def test_nine_stars_two_with_one_code_and_one_name_are_each_located():
    text = GOOD.replace("  - code: S10\n    name: 热心公益\n    name_en: Public spirit\n"
                        "    criteria: 积极参加志愿服务和村里的公益事业\n", "")
    text = text.replace("code: S09", "code: S08").replace("name: 勤俭节约", "name: 爱党爱国")
    assert sorted(problems(text)) == sorted([
        (line_of(text, "code: S01"), "stars", "stars_count"),  # where the list begins
        (line_of(text, "code: S08", 1), "stars.S08.code", "rubric_duplicate"),
        (line_of(text, "name: 爱党爱国", 1), "stars.S08.name", "stars_name_duplicate"),
    ])


def test_tiers_out_of_range_overlapping_or_out_of_order_are_refused():
    text = GOOD.replace("    min: 8\n    max: 9", "    min: 7\n    max: 9").replace("    min: 10\n    max: 10",
                                                                                   "    min: 10\n    max: 11")
    found = problems(text)
    assert (line_of(text, "min: 7"), "tiers.silver.min", "tier_overlap") in found
    assert (line_of(text, "min: 10"), "tiers.gold.min", "tier_range") in found


def test_rules_out_of_bounds_are_located():
    text = (GOOD.replace("participation: 80", "participation: 180").replace("notice_days: 7", "notice_days: 0")
            .replace("period: year", "period: monthly").replace("  households: 10", "  households: ten"))
    found = problems(text)
    assert (line_of(text, "participation:"), "participation", "stars_percent") in found
    assert (line_of(text, "notice_days:"), "notice_days", "stars_whole") in found
    assert (line_of(text, "period:"), "period", "rubric_choice") in found
    assert (line_of(text, "households: ten"), "spot_check.households", "stars_whole") in found


@pytest.mark.parametrize("item", ["XJ02", "LJ07", "XJ99"])  # a check item, another section's count item, none
def test_the_spot_check_must_be_a_count_item_of_the_ten_star_section(item):
    text = GOOD.replace("item: XJ09", f"item: {item}")
    assert problems(text) == [(line_of(text, f"item: {item}"), "spot_check.item", "stars_spot_item")]


def test_unknown_and_missing_fields_and_yaml_aliases():
    text = GOOD.replace("notice_days: 7\n", "notice_dayz: 7\n")
    found = problems(text)
    assert (line_of(text, "notice_dayz"), "notice_dayz", "rubric_unknown") in found
    assert (1, "notice_days", "rubric_missing") in found or any(k == "rubric_missing" for *_, k in found)
    aliased = GOOD.replace("period: year", "period: &p year\nobjections2: *p")
    assert [k for *_, k in problems(aliased)] == ["yaml_alias"]


def test_a_county_target_for_the_ten_star_rate_is_optional():
    s = parse_stars(GOOD + "ten_star_target: 30.5\n", "stars.yaml", load_rubric())
    assert s.ten_star_target == Decimal("30.5")


def test_loading_a_wrong_file_reports_it_by_its_path(tmp_path):
    bad = tmp_path / "stars.yaml"
    bad.write_text(GOOD.replace("notice_days: 7", "notice_days: -1"), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_stars(bad)
    assert str(caught.value).startswith(f"{bad}:{line_of(bad.read_text(), 'notice_days')}: notice_days: ")


# --- tiers and periods ---------------------------------------------------------------------------


@pytest.mark.parametrize("n, tier", [(0, None), (4, None), (5, "铜牌"), (7, "铜牌"), (8, "银牌"), (9, "银牌"),
                                     (10, "金牌")])
def test_tier_of_a_number_of_stars(n, tier):
    found = load_stars().tier(n)
    assert (found.name if found else None) == tier


def test_a_disqualified_household_has_no_tier():
    assert load_stars().tier(10, disqualified=True) is None


@pytest.mark.parametrize("kind, day, period, label", [
    ("year", date(2026, 5, 20), "2026", "2026年度"),
    ("half", date(2026, 7, 1), "2026H2", "2026年下半年"),
    ("quarter", date(2026, 5, 20), "2026Q2", "2026年第2季度"),
    ("two_years", date(2027, 3, 1), "2026-2027", "2026—2027年度"),
])
def test_periods_of_each_kind(kind, day, period, label):
    s = parse_stars(GOOD.replace("period: year", f"period: {kind}"), "stars.yaml", load_rubric())
    assert s.period_of(day) == period
    assert s.check_period(period) == period
    assert s.period_label(period) == label


@pytest.mark.parametrize("text", ["26", "2026Q2", "二〇二六", ""])
def test_a_period_of_another_form_is_refused(text):
    with pytest.raises(UsageError) as caught:
        load_stars().check_period(text)
    assert caught.value.key == "period_format"


def test_two_year_periods_start_in_even_years():
    s = parse_stars(GOOD.replace("period: year", "period: two_years"), "stars.yaml", load_rubric())
    with pytest.raises(UsageError):
        s.check_period("2025-2026")


# --- rates: exact ------------------------------------------------------------------------------


def test_the_threshold_is_judged_exactly():
    assert meets(240, 300, Decimal(80))  # exactly 80 %
    assert not meets(239, 300, Decimal(80))  # 79.67 %
    assert not meets(2, 3, Decimal("66.7"))  # 66.666… % is below 66.7 although it shows as 66.7
    assert meets(2, 3, Decimal("66.6"))
    assert not meets(0, 0, Decimal(80))  # no register: not met
    assert rate(1, 3) == Fraction(1, 3) and rate(1, 0) is None


@pytest.mark.parametrize("part, whole, shown", [(1, 8, "12.5"), (1, 3, "33.3"), (2, 3, "66.7"), (5, 16, "31.3"),
                                                (1, 16, "6.3"), (300, 300, "100.0"), (0, 7, "0.0")])
def test_percentages_are_shown_rounded_half_up_from_the_exact_value(part, whole, shown):
    assert str(percent(part, whole)) == shown
    assert percent(1, 0) is None
