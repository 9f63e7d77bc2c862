"""The share target rules (survey/targets.py) on small in-memory rounds."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from core.model import Round, Village, VillageResult
from survey import store
from survey.registry import VillageRow
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission
from survey.targets import (
    TargetPolicy,
    below_target,
    chart_records,
    county_summary,
    dashboard_data,
    failed_villages,
    gap_planner,
    needed,
    previous_round,
    rankings,
    reaches,
    round_change,
    share,
    title_at_risk,
    township_table,
)

D = Decimal
COUNTY = "421399"
T1, T2 = COUNTY + "101", COUNTY + "102"


def vr(code: str, title: str = "无", total: str | None = None, veto: tuple[str, ...] = (),
       pass_mark: str = "85", township: str | None = None, round_id: str = "R2") -> VillageResult:
    """A village (12-digit ``code``) with, when ``total`` is given, a submission of the round."""
    t = code[:9]
    v = Village(code=code, name=f"村{code[-3:]}", township_code=t,
                township=township if township is not None else f"镇{t[-3:]}",
                county_code=code[:6], county="示范县", lon=113.9, lat=30.6, title=title)
    if total is None:
        return VillageResult(village=v, round_id=round_id)
    passed = D(total) >= D(pass_mark) and not veto
    return VillageResult(village=v, round_id=round_id, submission_id=f"s-{round_id}-{code}",
                         total=D(total), veto=veto, passed=passed, status="pending")


def town(prefix: str, n: int, **kw) -> list[VillageResult]:
    """``n`` villages of township ``prefix`` (9 digits), all with the same attributes."""
    return [vr(f"{prefix}{i:03d}", **kw) for i in range(201, 201 + n)]


# --- exact arithmetic ---------------------------------------------------------------------------


def test_56_percent_of_25_needs_14_civilized_not_15():
    assert needed(0, 25, D("56")) == 14
    assert needed(13, 25, D("56")) == 1
    assert needed(14, 25, D("56")) == 0
    assert reaches(14, 25, D("56")) and not reaches(13, 25, D("56"))
    results = town(T1, 14, title="县级") + [vr(f"{T1}{i}") for i in range(301, 312)]
    rows = township_table(results, TargetPolicy(D("56")))
    assert (rows[0].villages, rows[0].projected, rows[0].share_projected) == (25, 14, D("56"))
    assert rows[0].reached and rows[0].needed == 0


def test_one_of_seven_is_14_point_285714_percent():
    rows = township_table(town(T1, 1, title="县级") + [vr(f"{T1}{i}") for i in range(301, 307)],
                          TargetPolicy())
    assert rows[0].share_now == rows[0].share_projected
    assert str(rows[0].share_now).startswith("14.285714285714")
    assert rows[0].needed == 3  # 4 of 7 = 57.1 % >= 50 %; 3 of 7 = 42.9 % is not


def test_target_zero_is_always_reached_and_needs_nothing():
    rows = township_table(town(T1, 5), TargetPolicy(D("0")))
    assert rows[0].reached and rows[0].needed == 0 and rows[0].share_projected == 0


def test_target_100_needs_every_village_not_counted():
    rows = township_table([*town(T1, 3, title="市级"), vr(T1 + "401", total="60")],
                          TargetPolicy(D("100")))
    assert rows[0].villages == 4 and rows[0].projected == 3
    assert not rows[0].reached and rows[0].needed == 1


def test_township_where_everything_counts_reaches_100():
    rows = township_table(town(T1, 4, title="省级"), TargetPolicy(D("100")))
    assert rows[0].share_now == rows[0].share_projected == 100
    assert rows[0].reached and rows[0].needed == 0


def test_needed_never_exceeds_villages_not_counted():
    assert needed(2, 5, D("100")) == 3
    assert needed(0, 3, D("99.9")) == 3


def test_share_of_a_unit_without_villages_is_zero():
    assert share(0, 0) == 0
    rows = township_table([], TargetPolicy(), townships={T2: ("空镇", COUNTY)})
    assert [(r.code, r.name, r.villages, r.share_now, r.share_projected, r.needed, r.reached)
            for r in rows] == [(T2, "空镇", 0, 0, 0, 0, True)]


# --- the table ----------------------------------------------------------------------------------


def test_projected_counts_passed_assessed_and_titles_of_unassessed():
    results = [
        vr(T1 + "201", title="县级"),  # not assessed, titled: counts
        vr(T1 + "202", title="无"),  # not assessed, untitled: does not count
        vr(T1 + "203", title="市级", total="70"),  # titled, failed: does not count
        vr(T1 + "204", title="无", total="90"),  # untitled, passed: counts
        vr(T1 + "205", title="县级", total="95", veto=("V2",)),  # vetoed: does not count
    ]
    [row] = township_table(results, TargetPolicy())
    assert (row.villages, row.civilized_now, row.assessed, row.passed, row.projected) == (5, 3, 3, 1, 2)
    assert (row.share_now, row.share_projected) == (D(60), D(40))
    assert not row.reached and row.needed == 1


def test_every_registry_township_appears_sorted_by_code_with_its_target():
    policy = TargetPolicy(D("50"), counties={COUNTY: D("60")}, townships={T2: D("80")})
    rows = township_table(town(T2, 2, title="县级") + town(T1, 2),
                          policy, townships={COUNTY + "103": ("未测镇", COUNTY)})
    assert [r.code for r in rows] == [T1, T2, COUNTY + "103"]
    assert [r.target for r in rows] == [D(60), D(80), D(60)]
    assert [r.name for r in rows] == ["镇101", "镇102", "未测镇"]


def test_village_with_no_township_name_is_counted_under_its_code():
    rows = township_table([vr(T1 + "201", township=""), vr(T1 + "202", township="")], TargetPolicy())
    assert [(r.code, r.name, r.villages) for r in rows] == [(T1, "", 2)]


def test_a_round_in_any_order_counts_the_same_as_sorted_by_code():
    """The tally counts a township's villages run by run: runs apart add up."""
    one = [vr(T1 + "201", title="县级"), vr(T1 + "202", total="90"), vr(T1 + "203", total="60")]
    two = [vr(T2 + "201", total="95"), vr(T2 + "202", title="市级", total="50", veto=("V2",))]
    mixed = [one[0], two[0], one[1], two[1], one[2]]
    no_code = [r._replace(village=r.village._replace(township_code="")) for r in mixed]
    for counting in (True, False):
        expected = township_table(one + two, TargetPolicy(), counting=counting)
        assert [(r.villages, r.civilized_now, r.assessed, r.passed, r.projected) for r in expected] == (
            [(3, 1, 2, 1, 2), (2, 1, 2, 1, 1)] if counting else [(3, 1, 2, 1, 1), (2, 1, 2, 1, 1)])
        assert township_table(mixed, TargetPolicy(), counting=counting) == expected
        assert township_table(no_code, TargetPolicy(), counting=counting) == expected
        assert county_summary(mixed, TargetPolicy(), counting=counting) == county_summary(
            one + two, TargetPolicy(), counting=counting)


def test_county_summary_adds_up_its_townships_and_lists_a_county_with_no_villages():
    results = town(T1, 3, title="县级") + town(T2, 5) + [vr(T2 + "301", total="88")]
    [empty, county] = county_summary(results, TargetPolicy(D("56")), counties={"421398": "空县"})
    assert (county.code, county.name, county.villages, county.projected) == (COUNTY, "示范县", 9, 4)
    assert county.share_projected == share(4, 9) and county.needed == 2  # ceil(5.04) = 6
    assert (empty.code, empty.name, empty.villages, empty.needed) == ("421398", "空县", 0, 0)


def test_county_with_no_round_yet_counts_current_titles():
    results = town(T1, 2, title="县级") + town(T2, 2)
    rows = township_table(results, TargetPolicy())
    assert [(r.assessed, r.passed, r.projected, r.share_projected) for r in rows] == [
        (0, 0, 2, D(100)), (0, 0, 0, D(0))]
    assert below_target(rows) == [rows[1]] and rows[1].needed == 1


# --- flags --------------------------------------------------------------------------------------


def test_below_target_lists_townships_and_county_furthest_below_first():
    results = (town(T1, 4, title="县级") + town(T2, 4)
               + [vr(COUNTY + "103201", title="县级"), vr(COUNTY + "103202")])
    policy = TargetPolicy(D("60"))
    rows = township_table(results, policy)
    flagged = below_target(rows + county_summary(results, policy))
    # T2 is 60 points below; the county (5 of 10) and township 103 (1 of 2) are both 10 below:
    # equal shortfalls are ordered by code.
    assert [(r.code, r.needed) for r in flagged] == [(T2, 3), (COUNTY, 1), (COUNTY + "103", 1)]


def test_failed_villages_and_title_at_risk():
    results = [vr(T1 + "201", title="县级", total="84.5"), vr(T1 + "202", total="85"),
               vr(T1 + "203", total="99", veto=("V1",)), vr(T1 + "204", title="省级", total="90"),
               vr(T1 + "205", title="全国", total="91", veto=("V3",)), vr(T1 + "206", title="县级")]
    assert [r.village.code[-3:] for r in failed_villages(results)] == ["201", "203", "205"]
    assert [r.village.code[-3:] for r in title_at_risk(results)] == ["201", "205"]


def test_gap_planner_picks_the_closest_enough_and_lists_vetoed_apart():
    results = [
        vr(T1 + "201", total="70"), vr(T1 + "202", total="84"), vr(T1 + "203", total="80"),
        vr(T1 + "204", total="84"), vr(T1 + "205", total="99", veto=("V2",)),
        vr(T1 + "206"), vr(T1 + "207", title="县级", total="60"), vr(T1 + "208", total="90"),
    ]
    rows = township_table(results, TargetPolicy())
    assert rows[0].needed == 3
    losses = {"s-R2-" + T1 + "202": [("LJ01", D("1")), ("YF02", D("0.8")), ("SX01", D("3")),
                                     ("LJ07", D("1"))]}
    [plan] = gap_planner(results, rows, losses, D("85"), top_items=2)
    assert [(c.result.village.code[-3:], c.short) for c in plan.picks] == [
        ("202", D(1)), ("204", D(1)), ("203", D(5))]
    assert plan.picks[0].losses == (("SX01", D(3)), ("LJ01", D(1)))
    assert plan.picks[1].losses == ()
    assert [c.result.village.code[-3:] for c in plan.vetoed] == ["205"]
    assert plan.unassessed == 1 and plan.uncovered == 0


def test_gap_planner_says_how_many_stay_uncovered_and_skips_townships_on_target():
    results = [*town(T1, 4), vr(T1 + "301", total="50"), *town(T2, 2, title="县级")]
    rows = township_table(results, TargetPolicy(D("80")))
    [plan] = gap_planner(results, rows, {}, D("85"))
    assert plan.row.code == T1 and plan.row.needed == 4
    assert len(plan.picks) == 1 and plan.uncovered == 3 and plan.unassessed == 4


# --- rankings -----------------------------------------------------------------------------------


def _ranks(lst):
    return [(x.rank, x.result.village.code[-3:]) for x in lst]


def test_equal_totals_share_a_rank_and_ties_at_the_cut_are_listed():
    totals = ["95", "90", "90", "88", "70", "60", "60", "50"]
    results = [vr(f"{T1}{201 + i}", total=t) for i, t in enumerate(totals)] + [vr(T1 + "300")]
    lists = rankings(results, n=2)
    town_list = lists[T1]
    assert town_list.assessed == 8
    assert _ranks(town_list.best) == [(1, "201"), (2, "202"), (2, "203")]
    assert _ranks(town_list.worst) == [(8, "208"), (6, "206"), (6, "207")]
    assert _ranks(lists[COUNTY].best) == _ranks(town_list.best)


def test_vetoed_village_ranks_below_any_unvetoed_one():
    results = [vr(T1 + "201", total="99", veto=("V1",)), vr(T1 + "202", total="40"),
               vr(T1 + "203", total="86")]
    lst = rankings(results, n=1)[T1]
    assert _ranks(lst.best) == [(1, "203")]
    assert _ranks(lst.worst) == [(3, "201")]


def test_small_township_is_not_on_both_lists():
    results = [vr(T1 + "201", total="90"), vr(T1 + "202", total="80")]
    lst = rankings(results, n=5)[T1]
    assert _ranks(lst.best) == [(1, "201"), (2, "202")] and lst.worst == ()


def test_rankings_are_per_township_and_county():
    results = [vr(T1 + "201", total="90"), vr(T2 + "201", total="95"), vr(T2 + "202", total="30")]
    lists = rankings(results, n=1)
    assert sorted(lists) == [COUNTY, T1, T2]
    assert [(x.rank, x.result.village.code) for x in lists[COUNTY].best] == [(1, T2 + "201")]
    assert _ranks(lists[COUNTY].worst) == [(3, "202")]
    assert lists[T2].name == "镇102"


def test_round_change_per_village():
    before = [vr(T1 + "201", total="80", round_id="R1"), vr(T1 + "202", total="90", round_id="R1"),
              vr(T1 + "203", round_id="R1")]
    now = [vr(T1 + "201", total="86.5"), vr(T1 + "202", total="84"), vr(T1 + "203", total="70"),
           vr(T1 + "204")]
    change = round_change(now, before)
    assert sorted(change) == [T1 + "201", T1 + "202", T1 + "203"]
    assert change[T1 + "201"].delta == D("6.5") and change[T1 + "201"].passed
    assert change[T1 + "201"].previous_passed is False
    assert change[T1 + "202"].delta == D(-6)
    assert change[T1 + "203"].delta is None and change[T1 + "203"].previous_total is None


def test_chart_puts_the_township_furthest_below_target_first():
    results = (town(T1, 4, title="县级") + town(T2, 4)
               + [vr(COUNTY + "103201", title="县级"), vr(COUNTY + "103202")])
    records = chart_records(township_table(results, TargetPolicy(D("60"))))
    assert [(r["code"], r["gap"], r["reached"]) for r in records] == [
        (T2, 60.0, False), (COUNTY + "103", 10.0, False), (T1, -40.0, True)]


def test_previous_round_follows_the_store_order():
    rounds = [Round("2026-B1", "一"), Round("2026-B2", "二"), Round("2026-B3", "三")]
    assert previous_round(rounds, "2026-B3").id == "2026-B2"
    assert previous_round(rounds, "2026-B1") is None


@pytest.mark.parametrize("target, projected, villages, expect", [
    ("50", 0, 1, 1), ("50", 1, 2, 0), ("33.3", 0, 3, 1), ("33.4", 0, 3, 2), ("95", 18, 20, 1),
])
def test_needed_is_the_smallest_lift(target, projected, villages, expect):
    n = needed(projected, villages, D(target))
    assert n == expect
    assert reaches(projected + n, villages, D(target))
    assert n == 0 or not reaches(projected + n - 1, villages, D(target))


# --- from the store: dashboard_data and `python -m survey flags` --------------------------------

ROOT = Path(__file__).resolve().parents[1]
C1, C2 = "429901", "429902"
CHENG, HEKOU, LIN = C1 + "100", C1 + "101", C2 + "100"
#: The townships table of provincial-export.md, columns 1–12, in order.
SPEC_HEADERS = ["乡镇代码", "乡镇", "村总数", "县级及以上文明村数", "本轮测评村数", "本轮达标村数",
                "预计文明村数", "文明村占比(%)", "预计占比(%)", "目标占比(%)", "是否达到目标",
                "需新增文明村数"]


def answers(rubric, worst: int = 0) -> dict:
    """Every item answered at its best, except the first ``worst`` items at their worst."""
    out = {}
    for i, item in enumerate(rubric.items):
        bad = i < worst
        if item.type == "check":
            out[item.code] = not bad
        elif item.type == "count":
            out[item.code] = 50 if bad else 0
        else:
            out[item.code] = item.grade_names[-1 if bad else 0]
    return out


def near_and_far(rubric) -> tuple[int, int]:
    """How many worst answers fail a village just below the pass mark, and well below it."""
    near = next(k for k in range(len(rubric.items))
                if score(rubric, answers(rubric, k)).total < rubric.pass_mark)
    return near, near + 6


def build_db(path: Path) -> Path:
    """Two counties. 测试县: 城关镇 (A 县级 not assessed, B passes, C fails just below, D 市级
    fails far below: title at risk) and 河口镇 (E passes, F vetoed, G not assessed, H fails just
    below). 邻县: 邻镇 with two 县级 villages and no submission at all. Round 2026-B1 before
    2026-B3: B failed far below in B1."""
    def village(code, name, township, county, title="无"):
        return VillageRow(code=code, name=name, township=township, county=county, lon=113.9, lat=30.6,
                          title=title, title_year=None, households=100, demo=False, line=2)

    store.import_registry(path, [
        village(CHENG + "201", "甲村", "城关镇", "测试县", "县级"),
        village(CHENG + "202", "乙村", "城关镇", "测试县"),
        village(CHENG + "203", "丙村", "城关镇", "测试县"),
        village(CHENG + "204", "丁村", "城关镇", "测试县", "市级"),
        village(HEKOU + "201", "戊村", "河口镇", "测试县"),
        village(HEKOU + "202", "己村", "河口镇", "测试县"),
        village(HEKOU + "203", "庚村", "河口镇", "测试县"),
        village(HEKOU + "204", "辛村", "河口镇", "测试县"),
        village(LIN + "201", "邻一村", "邻镇", "邻县", "县级"),
        village(LIN + "202", "邻二村", "邻镇", "邻县", "县级"),
    ])
    store.create_round(path, Round("2026-B1", "第一次双月测评", start_date="2026-01-10"))
    store.create_round(path, Round("2026-B3", "第三次双月测评", start_date="2026-05-10"))
    rubric = load_rubric()
    near, far = near_and_far(rubric)
    plan = [("2026-B1", CHENG + "202", far, ()),
            ("2026-B3", CHENG + "202", 0, ()), ("2026-B3", CHENG + "203", near, ()),
            ("2026-B3", CHENG + "204", far, ()), ("2026-B3", HEKOU + "201", 0, ()),
            ("2026-B3", HEKOU + "202", 0, ("V1",)), ("2026-B3", HEKOU + "204", near, ())]
    scored = []
    for i, (rnd, code, worst, veto) in enumerate(plan):
        a = answers(rubric, worst)
        sub = Submission(id=f"sub-{i}", village=code, round=rnd, date=rnd[:4] + "-05-20", surveyor="王芳",
                         answers=a, veto=veto)
        scored.append((sub, score(rubric, a, veto)))
    store.save_submissions(path, scored)
    return path


@pytest.fixture
def db(tmp_path):
    return build_db(tmp_path / "t.db")


def test_dashboard_data_from_the_store(db):
    rubric = load_rubric()
    near, far = near_and_far(rubric)
    d = dashboard_data(db, "2026-B3", C1)
    assert d.previous.id == "2026-B1"
    c = d.county
    assert (c.villages, c.civilized_now, c.projected) == (8, 2, 3)
    assert (c.share_now, c.share_projected) == (D("25"), D("37.5"))
    assert (c.target, c.reached, c.needed) == (D(50), False, 1)
    assert [(r.name, r.reached, r.needed) for r in d.townships] == [("城关镇", True, 0), ("河口镇", False, 1)]
    assert [r.name for r in d.below] == ["河口镇"]
    assert [r.village.name for r in d.failed] == ["丙村", "丁村", "己村", "辛村"]
    assert [r.village.name for r in d.at_risk] == ["丁村"]
    [plan] = d.plans
    assert [c.result.village.name for c in plan.picks] == ["辛村"]
    assert [c.result.village.name for c in plan.vetoed] == ["己村"]
    near_total = score(rubric, answers(rubric, near)).total
    assert plan.picks[0].short == rubric.pass_mark - near_total
    # the items it lost most points on, from the stored item scores, most lost first
    lost = sorted(((i.code, i.lost) for i in score(rubric, answers(rubric, near)).items if i.lost > 0),
                  key=lambda x: (-x[1], x[0]))[:3]
    assert list(plan.picks[0].losses) == lost
    change = d.changes[CHENG + "202"]
    assert change.delta == score(rubric, answers(rubric, 0)).total - score(rubric, answers(rubric, far)).total
    assert change.previous_passed is False and change.passed is True
    assert [x.result.village.name for x in d.ranks[C1].best[:2]] == ["乙村", "戊村"]  # both 100: shared rank
    assert [x.rank for x in d.ranks[C1].best[:2]] == [1, 1]


def test_targets_set_in_the_store_apply_with_who_and_when(db):
    store.set_target(db, C1, D("60"), "张主任")
    store.set_target(db, C1, D("25"), "李干事", township=HEKOU)
    d = dashboard_data(db, "2026-B3", C1)
    assert [(r.name, r.target, r.reached, r.needed) for r in d.townships] == [
        ("城关镇", D(60), False, 1), ("河口镇", D(25), True, 0)]
    assert d.county.target == D(60) and d.county.needed == 2
    assert [(s.name, s.percent, s.by) for s in d.settings] == [("测试县", D(60), "张主任"), ("河口镇", D(25), "李干事")]
    assert all(s.at for s in d.settings)


def test_county_with_no_round_yet_shows_current_titles(db):
    d = dashboard_data(db, "2026-B3", C2)
    assert (d.county.share_now, d.county.share_projected, d.county.assessed) == (D(100), D(100), 0)
    assert d.failed == [] and d.plans == [] and d.changes == {}


def test_first_round_has_no_previous(db):
    d = dashboard_data(db, "2026-B1", C1)
    assert d.previous is None and d.changes[CHENG + "202"].delta is None


def flags(*args, db):
    env = {k: v for k, v in os.environ.items() if k != "SURVEY_DB"}
    return subprocess.run([sys.executable, "-m", "survey", "--db", str(db), "flags", *args],
                          cwd=ROOT, env=env, capture_output=True, timeout=120)


def test_flags_writes_the_spec_township_table_of_every_county_to_stdout(db):
    r = flags("--round", "2026-B3", db=db)
    assert r.returncode == 0, r.stderr.decode()
    text = r.stdout.decode("utf-8")
    assert not text.startswith("\ufeff")  # stdout: no BOM
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == SPEC_HEADERS
    assert rows[1:] == [
        [CHENG, "城关镇", "4", "2", "3", "1", "2", "50.0", "50.0", "50.0", "是", "0"],
        [HEKOU, "河口镇", "4", "0", "3", "1", "1", "0.0", "25.0", "50.0", "否", "1"],
        [LIN, "邻镇", "2", "2", "0", "0", "2", "100.0", "100.0", "50.0", "是", "0"],
    ]


def test_flags_target_override_and_out_file_with_bom(db, tmp_path):
    store.set_target(db, C1, D("20"), "张主任")
    out = tmp_path / "flags.csv"
    r = flags("--round", "2026-B3", "--target", "55", "--out", str(out), db=db)
    assert r.returncode == 0 and r.stdout == b""
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == SPEC_HEADERS
    assert [(x[0], x[9], x[10], x[11]) for x in rows[1:]] == [
        (CHENG, "55.0", "否", "1"), (HEKOU, "55.0", "否", "2"), (LIN, "55.0", "是", "0")]


def test_flags_unknown_round_is_a_data_error(db):
    r = flags("--round", "2099-X", db=db)
    assert r.returncode == 1 and r.stdout == b""
    assert "2099-X" in r.stderr.decode() and "2026-B3" in r.stderr.decode()


def test_flags_target_out_of_range_is_a_usage_error(db):
    r = flags("--round", "2026-B3", "--target", "120", db=db)
    assert r.returncode == 2
