"""Trends over rounds (survey/trends.py, survey/store.trends.py) on small fixtures, and the
dashboard's trends tab."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from scoped_db import sign_in
from streamlit.testing.v1 import AppTest
from test_targets import C1, C2, CHENG, HEKOU, LIN, answers, build_db, near_and_far, vr

from core.errors import NotFound
from core.model import Round
from survey import store
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission
from survey.targets import (
    TargetPolicy,
    county_summary,
    round_change,
    share,
    township_table,
)
from survey.trends import (
    History,
    change_between,
    counting,
    counting_rounds,
    county_trends,
    share_change,
    township_trends,
    trends_data,
    village_change_records,
    village_trend,
    village_trends,
)

D = Decimal
COUNTY = "421399"
T1, T2 = COUNTY + "101", COUNTY + "102"
R1, R2, R3 = Round("R1", "一"), Round("R2", "二"), Round("R3", "三")


@dataclass(frozen=True)
class KindRound(Round):
    """A round that says whether it counts, as round kinds will (a mock round does not)."""

    counts: bool = True


def rounds_fixture() -> tuple[list[Round], dict[str, list]]:
    """Two townships over three rounds. T1: 201 县级 (passes R1, vetoed R2, not assessed R3),
    202 (fails R1, passes R2 and R3), 203 not titled never assessed; T2: 201 市级 assessed only in
    R3 (fails), 202 (80 in every round: a tie with itself)."""
    def rnd(rid, **totals):
        out = []
        for code, title in ((T1 + "201", "县级"), (T1 + "202", "无"), (T1 + "203", "无"),
                            (T2 + "201", "市级"), (T2 + "202", "无")):
            spec = totals.get("v" + code[-6:])
            if spec is None:
                out.append(vr(code, title, round_id=rid))
            else:
                total, veto = spec if isinstance(spec, tuple) else (spec, ())
                out.append(vr(code, title, total, veto, round_id=rid))
        return out

    results = {
        "R1": rnd("R1", v101201="90", v101202="70", v102202="80"),
        "R2": rnd("R2", v101201=("95", ("V1",)), v101202="88", v102202="80"),
        "R3": rnd("R3", v101202="86", v102201="60", v102202="80"),
    }
    return [R1, R2, R3], results


@pytest.fixture
def fixture():
    rounds, results = rounds_fixture()
    return rounds, results, History.from_results(rounds, results)


def test_township_and_county_rows_equal_the_target_rules_of_each_round(fixture):
    rounds, results, h = fixture
    policy = TargetPolicy(D("50"), townships={T2: D("60")})
    extra = {T2: ("镇102", COUNTY), COUNTY + "109": ("空镇", COUNTY)}  # a township with no village
    towns = township_trends(h, policy, extra)
    counties = county_trends(h, policy, {COUNTY: "示范县", "421398": "空县"}, townships=towns)
    assert counties == county_trends(h, policy, {COUNTY: "示范县", "421398": "空县"})
    for i, rnd in enumerate(rounds):
        assert [points[i].row for points in towns.values()] == township_table(results[rnd.id], policy, extra)
        assert [points[i].round for points in towns.values()] == [rnd] * 3
        assert [p[i].row for p in counties.values()] == county_summary(
            results[rnd.id], policy, {COUNTY: "示范县", "421398": "空县"})
    t1 = [(p.round.id, p.row.assessed, p.row.passed, p.row.projected, p.row.share_projected) for p in towns[T1]]
    # R2: 201 vetoed (titled, assessed, failed) -> projected falls; R3: 201 not assessed counts by title
    assert t1 == [("R1", 2, 1, 1, share(1, 3)), ("R2", 2, 1, 1, share(1, 3)), ("R3", 1, 1, 2, share(2, 3))]


def test_a_village_over_its_rounds(fixture):
    _, _, h = fixture
    assert village_trend(h, T1 + "201") == (("R1", D("90"), True, ()), ("R2", D("95"), False, ("V1",)),
                                            ("R3", None, None, ()))
    assert [p.assessed for p in village_trend(h, T2 + "201")] == [False, False, True]
    assert village_trend(h, "999999999999") == ()
    assert list(village_trends(h)) == sorted(v.code for v in h.villages)


def test_rounds_that_do_not_count_are_left_out(fixture):
    rounds, results, h = fixture
    assert [p.round_id for p in village_trend(h, T1 + "202", counts=lambda r: r.id != "R2")] == ["R1", "R3"]
    mock = [KindRound("R1", "一"), KindRound("R2", "模拟", counts=False), KindRound("R3", "三")]
    assert [r.id for r in counting_rounds(mock)] == ["R1", "R3"]  # the default reads the round's flag
    assert counting(R1) and not counting(mock[1])
    towns = township_trends(History.from_results(mock, results), TargetPolicy())
    assert [p.round.id for p in towns[T1]] == ["R1", "R3"]
    assert [r.id for r in counting_rounds(mock, until="R2")] == ["R1"]
    with pytest.raises(NotFound):
        counting_rounds(rounds, until="R9")


def test_change_between_any_two_rounds(fixture):
    _, results, h = fixture
    assert change_between(h, "R2", "R3") == round_change(results["R3"], results["R2"])
    skip = change_between(h, "R1", "R3")  # not adjacent
    assert skip[T1 + "202"].delta == D("16") and skip[T2 + "201"].delta is None
    back = change_between(h, "R3", "R1")  # either order
    assert back[T1 + "202"].delta == D("-16") and T1 + "201" in back
    towns = township_trends(h, TargetPolicy())
    [a, b] = share_change(towns, "R1", "R3")
    assert (a.code, a.delta, a.delta_projected) == (T1, share(1, 3), 1)
    assert (b.code, b.delta, b.delta_projected) == (T2, D(-50), -1)
    drops = village_change_records(h, "R1", "R2")  # largest drop first
    assert [(r["code"], r["change"]) for r in drops] == [(T2 + "202", "0.0"), (T1 + "201", "+5.0"),
                                                         (T1 + "202", "+18.0")]
    with pytest.raises(NotFound):
        change_between(h, "R1", "R9")


# --- from the store -------------------------------------------------------------------------------


def _mark_view(results):
    return {r.village.code: (r.total, r.veto, r.passed) for r in results if r.submission_id is not None}


@pytest.fixture
def db(tmp_path):
    return build_db(tmp_path / "t.db")


def test_history_reads_the_counting_submission_of_every_round_as_round_results_does(db):
    rubric = load_rubric()
    near, far = near_and_far(rubric)
    late, tie = HEKOU + "203", CHENG + "201"  # neither assessed in build_db
    plan = [("latest-date", late, "2026-05-25", 0), ("earlier-date", late, "2026-05-21", near),
            ("returned-latest", late, "2026-05-30", far),
            ("same-date-1", tie, "2026-05-21", far), ("same-date-2", tie, "2026-05-21", near)]
    for sid, code, day, worst in plan:  # one by one, in this order of arrival
        a = answers(rubric, worst)
        store.save_submissions(db, [(Submission(id=sid, village=code, round="2026-B3", date=day, surveyor="王芳",
                                                answers=a), score(rubric, a))])
    store.decide(db, ["returned-latest"], "returned", "审核员", "重测")
    h = store.trends.history(db)
    for rnd in store.rounds(db):
        assert {c: tuple(m) for c, m in h.marks[rnd.id].items()} == _mark_view(store.round_results(db, rnd.id))
    # the latest to arrive counts, never the later date a client declares
    assert h.marks["2026-B3"][late].total == score(rubric, answers(rubric, near)).total
    assert h.marks["2026-B3"][tie].total == score(rubric, answers(rubric, near)).total  # the later arrival
    # a scope: one county, some townships, some rounds
    h1 = store.trends.history(db, C1, [HEKOU], ["2026-B3"])
    assert [r.id for r in h1.rounds] == ["2026-B3"]
    assert {v.code[:9] for v in h1.villages} == {HEKOU}
    assert {c: tuple(m) for c, m in h1.marks["2026-B3"].items()} == _mark_view(
        store.round_results(db, "2026-B3", C1, townships=[HEKOU]))
    assert store.trends.history(db, C2).marks == {"2026-B1": {}, "2026-B3": {}}


def test_trends_data_of_a_county_up_to_a_round(db):
    t = trends_data(db, C1)
    assert [r.id for r in t.rounds] == ["2026-B1", "2026-B3"]
    results = {r: store.round_results(db, r, C1) for r in ("2026-B1", "2026-B3")}
    policy = TargetPolicy()
    assert [p.row for p in t.county] == [county_summary(results[r], policy, {C1: "测试县"})[0] for r in results]
    assert [p.row.name for p in t.townships[CHENG]] == ["城关镇", "城关镇"]
    assert [r.id for r in trends_data(db, C1, "2026-B1").rounds] == ["2026-B1"]
    with pytest.raises(NotFound):
        trends_data(db, "000000")
    with pytest.raises(NotFound):
        trends_data(db, C1, "2099-X")
    assert trends_data(db, C2).county[-1].row.projected == 2 and LIN in trends_data(db, C2).townships


# --- the dashboard's trends tab --------------------------------------------------------------------

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "dashboard.py")


def test_dashboard_trends_tab_compares_any_two_rounds(db, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=60)
    sign_in(at, db, "admin")
    at.run()
    assert not at.exception, at.exception
    tab = at.tabs[5]
    assert tab.label == "历轮趋势"
    assert at.selectbox(key="dash_change_from").value == "2026-B1"
    towns = tab.dataframe[0].value
    assert towns["名称"].tolist() == ["城关镇", "河口镇"]
    assert towns["之前"].tolist() == ["50.0", "0.0"] and towns["之后"].tolist() == ["50.0", "25.0"]
    villages = tab.dataframe[1].value
    assert villages["名称"].tolist() == ["乙村"] and villages["变化"].iloc[0].startswith("+")
    at.selectbox(key="dash_trend_village").set_value(HEKOU + "203").run()  # never assessed
    assert "该村在这些轮次中未参加测评" in [c.value for c in at.tabs[5].caption]
