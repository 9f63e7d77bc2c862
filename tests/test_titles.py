"""Titles: the history of awards and removals (授予 / 摘牌) from which the registry's title is
derived, the rules of a change (a skipped level needs a document), township titles from a
township list or from columns of the village list, the county's share of civilized townships
(exactly), and the village page that shows the history (linked from the dashboard's lists)."""

from __future__ import annotations

import datetime as dt
from decimal import Context
from decimal import Decimal as D
from pathlib import Path

import pytest
from builders import admin, reviewer, surveyor
from scoped_db import sign_in
from streamlit.testing.v1 import AppTest
from test_targets import C1, CHENG, HEKOU, build_db

from core import config
from core.errors import DataError, NotFound, UsageError
from survey import store, titles
from survey.registry import read_villages
from survey.targets import township_share
from survey.titles import Event, replay
from ui import keys

ROOT = Path(__file__).resolve().parents[1]
ADMIN = admin()
JIA, DING = CHENG + "201", CHENG + "204"  # 甲村 县级, 丁村 市级 (from the registry file)
TODAY = dt.date(2026, 6, 30)


@pytest.fixture
def db(tmp_path):
    return build_db(tmp_path / "t.db")


def ev(action, level, date, document=None):
    return Event(code="x", action=action, level=level, date=date, document=document)


# --- the rules -------------------------------------------------------------------------------------


def test_the_current_title_is_the_highest_level_held_after_the_history():
    state, wrong = replay([ev("award", "县级", "2019-03-01"), ev("award", "市级", "2021-05-01"),
                           ev("award", "省级", "2024-01-10")])
    assert (state.title, state.year, state.held, wrong) == ("省级", 2024, ("县级", "市级", "省级"), [])
    state, _ = replay([ev("award", "县级", "2019-03-01"), ev("award", "市级", "2021-05-01"),
                       ev("remove", "市级", "2025-02-01")])  # 摘牌 of the city title: the county one stays
    assert (state.title, state.year) == ("县级", 2019)
    state, _ = replay([ev("record", "市级", "2026-01-01"), ev("remove", "市级", "2026-03-01")])
    assert state.title == "无" and state.held == ()


def test_a_change_that_breaks_a_rule_is_named():
    _, wrong = replay([ev("award", "市级", "2020-01-01")])
    assert [(e.level, key, before) for e, key, before in wrong] == [("市级", "title_skip", "无")]
    _, wrong = replay([ev("award", "市级", "2020-01-01", "某市文明委〔2020〕3号")])
    assert wrong == []  # a skipped level with the document of the decision
    _, wrong = replay([ev("award", "县级", "2020-01-01"), ev("award", "县级", "2021-01-01")])
    assert [key for _, key, _ in wrong] == ["title_held"]
    _, wrong = replay([ev("remove", "省级", "2021-01-01")])
    assert [key for _, key, _ in wrong] == ["title_not_held"]


def test_the_registry_titles_are_recorded_as_the_baseline_of_the_history(db):
    history = titles.history(db, ADMIN, DING)
    assert [(e.action, e.level, e.source) for e in history] == [("record", "市级", "import-villages")]
    assert titles.history(db, ADMIN, CHENG + "202") == []  # no title, no history


def test_an_award_and_a_removal_set_the_registrys_title(db):
    day = config.today()  # after the registry's own record (made when the file was imported)
    state = titles.change(db, ADMIN, JIA, "授予", "市级", day.isoformat(), "某市文明委〔2026〕8号")
    assert (state.title, state.year) == ("市级", day.year)
    assert (store.village(db, JIA).title, store.village(db, JIA).title_year) == ("市级", day.year)
    state = titles.change(db, ADMIN, DING, "摘牌", "市级", day.isoformat(), "某市文明委〔2026〕9号")
    assert state.title == "无" and store.village(db, DING).title == "无"
    assert [(e.action, e.level, e.document) for e in titles.history(db, ADMIN, DING)] == [
        ("record", "市级", None), ("remove", "市级", "某市文明委〔2026〕9号")]
    audit = store.audit_rows(db, entity="title", limit=5)
    assert audit[0]["action"] == "title.remove" and audit[0]["before"]["title"] == "市级"


def test_a_change_that_skips_a_level_without_a_document_is_refused_and_nothing_is_written(db):
    version = store.data_version(db)
    with pytest.raises(DataError) as err:
        titles.change(db, ADMIN, CHENG + "202", "授予", "省级", "2026-05-01", today=TODAY)
    [p] = err.value.problems
    assert str(p).startswith(f"称号 乙村（{CHENG}202）: level: 2026-05-01："
                             "从“无”直接授予“省级”跨越了级别，须填写命名文件的文号")
    assert store.village(db, CHENG + "202").title == "无" and titles.history(db, ADMIN, CHENG + "202") == []
    assert store.data_version(db) == version
    with pytest.raises(DataError) as err:
        titles.change(db, ADMIN, DING, "摘牌", "县级", "2026-05-01", today=TODAY)
    assert [p.key for p in err.value.problems] == ["title_not_held"]
    with pytest.raises(DataError) as err:
        titles.change(db, ADMIN, JIA, "晋升", "特级", "2026-13-01", today=TODAY)
    assert [p.key for p in err.value.problems] == ["title_action", "title_level", "title_date"]
    with pytest.raises(DataError):
        titles.change(db, ADMIN, JIA, "授予", "市级", "2026-07-01", "x", today=TODAY)  # after today


def test_titles_are_kept_by_the_office_of_the_place(db):
    with pytest.raises(UsageError):
        titles.change(db, surveyor(county=C1), JIA, "授予", "市级", "2026-05-01", "x", today=TODAY)
    with pytest.raises(NotFound):
        titles.change(db, reviewer(county="420102"), JIA, "授予", "市级", "2026-05-01", "x", today=TODAY)
    with pytest.raises(NotFound):
        titles.place(db, ADMIN, C1 + "999")


# --- townships -------------------------------------------------------------------------------------

TOWNS = f"""乡镇代码,乡镇名称,文明乡镇称号,称号年份
{CHENG},城关镇,县级,2023
{HEKOU},河口镇,,
{C1}300,新区街道,市级,2025
"""


def write(tmp_path: Path, text: str, name: str = "towns.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_a_township_list_sets_the_townships_and_their_titles_once(db, tmp_path):
    path = write(tmp_path, TOWNS)
    assert titles.import_townships_file(db, ADMIN, path) == store.ImportSummary(1, 1, 1)
    rows = {r["code"]: (r["name"], r["title"], r["title_year"]) for r in store.township_rows(db, C1)}
    assert rows == {CHENG: ("城关镇", "县级", 2023), HEKOU: ("河口镇", "无", None),
                    C1 + "300": ("新区街道", "市级", 2025)}
    assert [(e.action, e.level, e.year) for e in titles.history(db, ADMIN, CHENG)] == [("record", "县级", 2023)]
    version = store.data_version(db)
    assert titles.import_townships_file(db, ADMIN, path) == store.ImportSummary(0, 0, 3)  # idempotent
    assert store.data_version(db) == version


def test_a_bad_township_list_is_refused_row_by_row(db, tmp_path):
    bad = f"""区划代码,乡镇,称号,命名年份
{CHENG},城关镇,特级,2023
4299011,短码镇,,
429988100,外县镇,,
{HEKOU},河口镇,县级,23
{HEKOU},河口镇,,
{C1}301,,,
"""
    with pytest.raises(DataError) as err:
        titles.import_townships_file(db, ADMIN, write(tmp_path, bad))
    assert [(p.line, p.field, p.key) for p in err.value.problems] == [
        (2, "称号", "title_unknown"), (3, "区划代码", "township_code"), (4, "区划代码", "township_county_unknown"),
        (5, "命名年份", "year"), (6, "区划代码", "code_duplicate"), (7, "乡镇", "field_required")]
    assert {r["code"] for r in store.township_rows(db)} == {CHENG, HEKOU, "429902100"}  # nothing written


def test_the_village_list_may_carry_the_townships_titles(db, tmp_path):
    text = ("区划代码,村名,乡镇,经度,纬度,文明乡镇称号,乡镇称号年份\n"
            f"{CHENG}201,甲村,城关镇,113.9,30.6,省级,2022\n"
            f"{CHENG}202,乙村,城关镇,113.9,30.6,省级,2022\n")
    from survey import service

    service.import_villages_file(db, ADMIN, write(tmp_path, text, "villages.csv"))
    assert {r["code"]: r["title"] for r in store.township_rows(db, C1)}[CHENG] == "省级"
    conflict = text.replace("202,乙村,城关镇,113.9,30.6,省级", "202,乙村,城关镇,113.9,30.6,县级")
    with pytest.raises(DataError) as err:
        read_villages(write(tmp_path, conflict, "conflict.csv"))
    [p] = err.value.problems
    assert (p.line, p.field, p.key) == (3, "文明乡镇称号", "township_title_conflict")


@pytest.mark.parametrize("held, n, target, share, reached, needed", [
    (1, 3, "50", Context(prec=40).divide(D(100), D(3)), False, 1),  # 33.33…% to 40 digits, as the villages' shares
    (14, 25, "56", D(56), True, 0),  # 56 % of 25 is 14, not 15
    (13, 25, "56", D(52), False, 1),
    (0, 0, "50", D(0), True, 0),
    (2, 8, "37.5", D("25"), False, 1),
])
def test_the_share_of_civilized_townships_is_exact(held, n, target, share, reached, needed):
    levels = ["县级"] * held + ["无"] * (n - held)
    s = township_share(levels, frozenset({"县级", "市级", "省级", "全国"}), D(target))
    assert (s.townships, s.civilized, s.share, s.reached, s.needed) == (n, held, share, reached, needed)
    assert township_share(["县级"], frozenset({"市级", "省级", "全国"}), D(50)).civilized == 0  # 市级 and up only


def test_the_dashboard_has_the_townships_share_with_its_own_target(db, tmp_path):
    from survey import settings
    from survey.targets import dashboard_data

    titles.import_townships_file(db, ADMIN, write(tmp_path, TOWNS))
    settings.change(db, ADMIN, C1, "township_target", "60", "县委 2026 年 1 号文")
    ts = dashboard_data(db, "2026-B3", C1).township_share
    assert (ts.townships, ts.civilized, ts.share, ts.target, ts.reached, ts.needed) == (
        3, 2, Context(prec=40).divide(D(200), D(3)), D(60), True, 0)


# --- the village page ------------------------------------------------------------------------------

VILLAGE_PAGE = str(ROOT / "pages" / "village.py")


def open_page(db, monkeypatch, code=None, role="admin") -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(VILLAGE_PAGE, default_timeout=30)
    sign_in(at, db, role, county=C1)
    if code:
        at.query_params["code"] = code
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_village_page_shows_the_history_and_records_a_change(db, monkeypatch):
    from builders import table

    at = open_page(db, monkeypatch, DING, role="reviewer")
    assert at.subheader[0].value.startswith("丁村（")
    assert at.metric[0].value == "市级"
    assert table(at, "日期", "变动", "级别")["变动"].tolist() == ["名录登记"]
    at.selectbox(key=keys.PLACE_ACTION).set_value("remove")
    at.selectbox(key=keys.PLACE_LEVEL).set_value("县级")
    at.button(key=keys.PLACE_SAVE).click().run()
    assert "未持有“县级”称号，不能摘牌" in at.error[0].value
    at.selectbox(key=keys.PLACE_LEVEL).set_value("市级")
    at.text_input(key=keys.PLACE_DOCUMENT).input("某市文明委〔2026〕9号")
    at.button(key=keys.PLACE_SAVE).click().run()
    assert at.success[0].value == "已登记，现有称号：无"
    assert table(at, "日期", "变动", "级别")["变动"].tolist() == ["名录登记", "摘牌"]
    assert store.village(db, DING).title == "无"


def test_the_title_at_risk_list_links_to_the_village_page(db, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / "dashboard.py"), default_timeout=60)
    sign_in(at, db, "admin")
    at.run()
    risk = at.tabs[2].dataframe[0].value
    assert risk["名称"].tolist() == ["丁村"] and risk["档案"].tolist() == [f"village?code={DING}"]
    review = at.tabs[6].dataframe[0].value
    assert all(link == f"village?code={code}" for code, link in zip(review["编码"], review["档案"]))
