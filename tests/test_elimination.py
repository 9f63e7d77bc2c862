"""Elimination by share (survey/elimination.py): who is listed for title review, on small
fixtures with ties; and the dashboard's title-review tab."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from scoped_db import sign_in
from streamlit.testing.v1 import AppTest
from test_targets import build_db, vr

from core.model import Round
from survey.elimination import quota, review_list, review_records, window_rounds
from survey.trends import History

D = Decimal
T = "421399101"


@dataclass(frozen=True)
class KindRound(Round):
    counts: bool = True


def history(rounds: list[Round], table: dict[str, tuple[str, list]]) -> History:
    """``table``: village suffix -> (title, one entry per round: None (not assessed), a total, or
    (total, veto codes))."""
    results = {}
    for i, rnd in enumerate(rounds):
        out = []
        for suffix, (title, marks) in table.items():
            m = marks[i]
            if m is None:
                out.append(vr(T + suffix, title, round_id=rnd.id))
            else:
                total, veto = m if isinstance(m, tuple) else (m, ())
                out.append(vr(T + suffix, title, total, veto, round_id=rnd.id))
        results[rnd.id] = out
    return History.from_results(rounds, results)


ROUNDS = [Round(f"R{i}", f"第{i}轮") for i in range(1, 5)]


@pytest.mark.parametrize(("share", "ranked", "expect"), [
    ("10", 25, 3),  # 2.5 rounds up
    ("10", 30, 3),  # exactly 3
    ("10", 9, 1),  # 0.9 rounds up to 1
    ("10", 1, 1),  # at least 1 when any titled village is ranked
    ("10", 0, 0),
    ("0", 40, 0),  # a share of 0 lists none
    ("12.5", 16, 2),  # exact: 2.0, not 3
    ("12.5", 17, 3),
    ("100", 7, 7),
    ("33.3", 3, 1),  # 0.999 rounds up to 1
    ("33.4", 3, 2),  # 1.002 rounds up to 2
])
def test_quota_rounds_up_exactly(share, ranked, expect):
    assert quota(D(share), ranked) == expect


def test_lowest_average_over_the_window_with_ties_at_the_cut_all_listed():
    h = history(ROUNDS, {
        "201": ("县级", [99, 70, 80, 90]),  # window R2-R4: average 80
        "202": ("县级", [50, 80, 80, 80]),  # 80: tied with 201
        "203": ("市级", [60, 90, 90, 90]),  # 90
        "204": ("县级", [90, 95, 95, 95]),  # 95
        "205": ("无", [10, 10, 10, 10]),  # not titled: never ranked
        "206": ("省级", [None, None, 75.5, None]),  # assessed once in the window: ranked on it
        "207": ("县级", [40, None, None, None]),  # titled, assessed only before the window: unranked
    } | {f"2{i}": ("县级", [99, 99, 99, 99]) for i in range(10, 23)})  # 13 more titled at 99
    r = review_list(h, n=3, share=D("10"))
    assert [x.id for x in r.window] == ["R2", "R3", "R4"]
    assert (r.titled, r.ranked, r.quota) == (19, 18, 2)  # 10 % of 18 = 1.8 -> 2
    # 206 (75.5) lowest; then 201 and 202 tied at 80 at the cut: both listed, sharing rank 2
    assert [(e.rank, e.village.code[-3:], e.average) for e in r.entries] == [
        (1, "206", D("75.5")), (2, "201", D(80)), (2, "202", D(80))]
    assert [e.assessed for e in r.entries] == [1, 3, 3]
    assert [p.total for p in r.entries[0].points] == [None, D("75.5"), None]
    assert [v.code[-3:] for v in r.unranked] == ["207"]
    assert r.entries[1].standing.average == Fraction(80)


def test_a_vetoed_round_ranks_below_any_score():
    h = history(ROUNDS[:3], {
        "201": ("县级", [99, (98, ("V2",)), 99]),  # high scores but one veto
        "202": ("县级", [40, 40, 40]),  # the lowest scores, no veto
        "203": ("县级", [(90, ("V1",)), (90, ("V3",)), 95]),  # two vetoes: below one veto
        "204": ("县级", [85, 85, 85]),
    })
    r = review_list(h, n=3, share=D("75"))  # 3 of 4
    assert [(e.rank, e.village.code[-3:], e.vetoed) for e in r.entries] == [(1, "203", 2), (2, "201", 1),
                                                                            (3, "202", 0)]
    rows = review_records(r, {"V1": ("重大刑事案件", "a major criminal case")})
    assert rows[0]["scores"] == "R1 90.0（否决：重大刑事案件）；R2 90.0（否决：V3）；R3 95.0"
    assert rows[0]["rounds_assessed"] == "3/3" and rows[0]["average"] == "91.7"
    assert review_records(r, {}, en=True)[1]["scores"].startswith("R1 99.0；R2 98.0 (vetoed: V2)")


def test_equal_standings_share_a_rank_and_all_come_in_on_a_tie():
    h = history(ROUNDS[:1], {f"2{i:02d}": ("县级", [80]) for i in range(10)})  # ten villages all 80
    r = review_list(h, n=3)
    assert r.quota == 1 and len(r.entries) == 10 and {e.rank for e in r.entries} == {1}
    assert [e.village.code for e in r.entries] == sorted(e.village.code for e in r.entries)


def test_the_window_skips_rounds_that_do_not_count_or_hold_no_assessment():
    rounds = [KindRound("R1", "一"), KindRound("R2", "模拟", counts=False), KindRound("R3", "三"),
              KindRound("R4", "四")]
    h = history(rounds, {"201": ("县级", [70, 10, 95, None]), "202": ("县级", [80, 99, 80, None])})
    assert [x.id for x in window_rounds(h, 3)] == ["R1", "R3"]  # R2 a mock, R4 assessed nobody
    r = review_list(h, n=2, share=D("50"))
    # 201 averages 82.5 on R1 and R3 (the mock's 10 does not count), 202 averages 80
    assert [(e.village.code[-3:], e.average) for e in r.entries] == [("202", D(80))] and r.ranked == 2
    assert review_list(h, n=2, share=D("50"), until="R1").entries[0].village.code[-3:] == "201"
    assert review_list(h, n=0).window == () and review_list(h, n=0).entries == ()


def test_nothing_to_rank_on():
    h = history(ROUNDS[:2], {"201": ("县级", [None, None]), "202": ("无", [70, None])})
    r = review_list(h)
    assert r.window[0].id == "R1" and r.entries == () and [v.code[-3:] for v in r.unranked] == ["201"]
    assert review_list(History((), (), {})).entries == ()


# --- the dashboard's title-review tab ------------------------------------------------------------

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "dashboard.py")


def test_dashboard_lists_the_villages_for_title_review(tmp_path, monkeypatch):
    db = build_db(tmp_path / "t.db")
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=60)
    sign_in(at, db, "admin")
    at.run()
    assert not at.exception, at.exception
    tab = at.tabs[6]
    assert tab.label == "摘牌复核"
    table = tab.dataframe[0].value
    # titled villages of 测试县: 甲村 (县级, never assessed: unranked) and 丁村 (市级, failed far below)
    assert table["名称"].tolist() == ["丁村"] and table["倒数名次"].tolist() == [1]
    assert table["参加轮次"].tolist() == ["1/2"]
    assert any("另有 1 个文明村" in c.value for c in tab.caption)
    at.number_input(key="dash_review_share").set_value(0.0).run()
    assert len(at.tabs[6].dataframe) == 0 and "没有" in [c.value for c in at.tabs[6].caption]
