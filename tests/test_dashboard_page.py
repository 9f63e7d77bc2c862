"""The share target dashboard as a county officer sees it (streamlit AppTest on a small DB)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scoped_db import sign_in
from streamlit.testing.v1 import AppTest
from test_targets import C1, C2, HEKOU, build_db

from core.errors import render
from core.model import Round
from survey import store
from survey.registry import VillageRow
from ui.text import md

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "dashboard.py")


def run(db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=60)
    sign_in(at, db, "admin")
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def page(tmp_path, monkeypatch):
    db = build_db(tmp_path / "t.db")
    return run(db, monkeypatch), db


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


#: Where each table is: (tab index or None for the page above the tabs, position in it).
TABLES = {"townships": (None, 0), "below": (0, 0), "plan": (0, 1), "failed": (1, 0), "risk": (2, 0),
          "best": (3, 0), "worst": (3, 1), "drill": (4, 0), "settings": (7, 0)}


def frame(at: AppTest, name: str):
    """The DataFrame a user sees in table ``name`` (headers as shown)."""
    tab, i = TABLES[name]
    return (at.dataframe if tab is None else at.tabs[tab].dataframe)[i].value


def test_county_share_now_projected_and_target(page):
    at, _ = page
    assert metrics(at) == {
        "当前文明村占比": ("25.0%", ""),
        "本轮结果生效后占比": ("37.5%", "12.5"),
        "目标占比": ("50.0%", "还需 1 个文明村"),
        "文明乡镇占比": ("0.0%", "目标 50.0%，还需 1 个文明乡镇"),  # two townships, no title yet
    }
    assert "测评轮次 2026-B3（第三次双月测评）　变化与上一轮 2026-B1 比较" in [c.value for c in at.caption]


def test_township_table_and_below_target_with_gap_planner(page):
    at, _ = page
    towns = frame(at, "townships")
    assert towns["名称"].tolist() == ["城关镇", "河口镇"]
    assert towns["预计占比(%)"].tolist() == ["50.0", "25.0"]
    assert towns["达到目标"].tolist() == [True, False]
    assert towns["需新增"].tolist() == [0, 1]
    below = frame(at, "below")
    assert below["名称"].tolist() == ["河口镇"]
    plan = frame(at, "plan")
    assert plan["名称"].tolist() == ["辛村"] and plan["乡镇"].tolist() == ["河口镇"]
    assert plan["失分最多的项目"].iloc[0].count("−") == 3
    assert any("己村" in c.value and "一票否决" in c.value for c in at.caption)


def test_failed_villages_title_at_risk_and_rankings(page):
    at, _ = page
    assert frame(at, "failed")["名称"].tolist() == ["丙村", "丁村", "己村", "辛村"]
    risk = frame(at, "risk")
    assert risk["名称"].tolist() == ["丁村"] and risk["称号"].tolist() == ["市级"]
    best = frame(at, "best")
    assert best["名称"].tolist()[:2] == ["乙村", "戊村"] and best["名次"].tolist()[:2] == [1, 1]
    assert best["较上轮"].tolist()[0].startswith("+")  # 乙村 failed in 2026-B1


def test_drill_down_to_the_villages_of_a_township(page):
    at, _ = page
    at.selectbox(key="dash_township").set_value(HEKOU).run()
    villages = frame(at, "drill")
    assert villages["名称"].tolist() == ["戊村", "己村", "庚村", "辛村"]
    assert villages["达标"].tolist()[:2] == [True, False]


def test_setting_the_target_shows_who_and_when_and_updates_the_figures(page):
    at, db = page
    at.number_input(key="dash_set_percent").set_value(60.0)
    at.button(key="dash_set_save").click().run()
    assert [e.value for e in at.error] == [md(render("target_by", "zh"))]
    assert store.targets(db) == []
    at.number_input(key="dash_set_percent").set_value(60.0)
    at.text_input(key="dash_set_by").input("张主任")
    at.button(key="dash_set_save").click().run()
    assert not at.exception
    assert metrics(at)["目标占比"] == ("60.0%", "还需 2 个文明村")
    assert [s.value for s in at.success][-1] == "已保存：全县（测试县） 目标 60.0%"
    settings = frame(at, "settings")
    assert settings[["范围", "目标(%)", "设置人"]].values.tolist() == [["测试县", "60.0", "张主任"]]
    assert settings["设置时间"].iloc[0]


def test_county_with_no_round_yet(page):
    at, _ = page
    at.selectbox(key="dash_county").set_value(C2).run()
    assert metrics(at)["当前文明村占比"][0] == metrics(at)["本轮结果生效后占比"][0] == "100.0%"
    assert frame(at, "townships")["本轮测评"].tolist() == [0]
    assert at.selectbox(key="dash_county").value == C2 != C1


def test_no_round_yet_says_how_to_open_one(tmp_path, monkeypatch):
    db = tmp_path / "empty.db"
    store.import_registry(db, [VillageRow(code="429901100201", name="甲村", township="城关镇",
                                          county="测试县", lon=113.9, lat=30.6, title="无",
                                          title_year=None, households=None, demo=None, line=2)])
    at = run(db, monkeypatch)
    assert [i.value for i in at.info] == ["尚无测评轮次，请在“设置”页新建"]
    store.create_round(db, Round("2026-B1", "第一轮"))
    at = run(db, monkeypatch)
    assert metrics(at)["目标占比"] == ("50.0%", "还需 1 个文明村")
