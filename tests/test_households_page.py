"""AppTest of the ten-star households page (the township liaison on a phone, the office) and of
the register's figures beside the ten-star section on the tablet. Widgets are found by key,
tables by their headers."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from builders import table
from scoped_db import A1, A2, ROUND, sign_in
from streamlit.testing.v1 import AppTest

from core import config
from survey import auth, store
from survey import households as hh
from survey.stars import load_stars
from ui import keys
from ui.text import md

ROOT = Path(__file__).resolve().parents[1]
PAGE, TABLET = str(ROOT / "pages" / "households.py"), str(ROOT / "pages" / "tablet.py")
JIA, YI, BING = A1 + "201", A1 + "202", A2 + "201"
ALL = [f"S{n:02d}" for n in range(1, 11)]
PROGRESS = ("乡镇", "村", "名册户数", "参评户", "参评率(%)", "达到门槛")
REGISTER = ("户号", "户主", "村民小组", "人口", "星数", "等级", "状态")


@pytest.fixture
def db(scoped, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(scoped))
    return scoped


def period() -> str:
    return load_stars().period_of(config.today())


def page(db, role="liaison", village=None, **account) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    sign_in(at, db, role, townships=(A1,) if role == "liaison" else (), **account)
    if village:
        at.query_params[keys.HH_VILLAGE] = village
    at.run()
    assert not at.exception
    return at


def click(at, key: str) -> AppTest:
    at.button(key=key).click()
    at.run()
    assert not at.exception
    return at


def test_a_liaison_sees_the_progress_of_their_townships_villages_and_opens_one(db):
    at = page(db)
    progress = table(at, *PROGRESS)
    assert progress["村"].tolist() == ["甲村", "乙村"]  # A1 only: 丙村 is another township's
    at.selectbox(key=keys.HH_VILLAGE).set_value(JIA)
    at.run()
    assert at.query_params[keys.HH_VILLAGE] == JIA  # a reload reopens it
    assert at.header[0].value == f"甲村（城关镇）· {period()}年度"
    assert "本村还没有名册" in at.info[0].value


def test_the_office_sees_every_village_of_the_county(db):
    at = page(db, "reviewer")
    assert table(at, *PROGRESS)["村"].tolist() == ["甲村", "乙村", "丙村"]


def test_a_surveyor_may_not_open_the_page(db):
    at = AppTest.from_file(PAGE, default_timeout=30)
    sign_in(at, db, "surveyor")
    at.run()
    assert at.error[0].value == "当前账号无权查看此页面"


def upload(at, name: str, data: bytes) -> AppTest:
    at.file_uploader(key=keys.HH_UPLOAD).set_value((name, data, "text/csv"))
    at.run()
    return click(at, keys.HH_IMPORT)


def test_import_the_villages_list_in_gbk_and_see_it(db):
    at = upload(page(db, village=JIA), "甲村名册.csv",
                "户号,户主,村民小组,家庭人口\n001,张三,一组,4\n002,李四,二组,3\n".encode("gbk"))
    assert "新增 2 户" in at.success[0].value
    shown = table(at, *REGISTER)
    assert shown[["户号", "户主", "村民小组"]].values.tolist() == [["001", "张三", "一组"], ["002", "李四", "二组"]]
    assert table(at, *PROGRESS).set_index("村").loc["甲村", "名册户数"] == 2


def test_a_wrong_file_lists_every_line_and_writes_nothing(db):
    at = upload(page(db, village=JIA), "坏.csv", "户号,户主,家庭人口\n001,张三,0\n001,李四,2\n".encode())
    assert "2 处问题" in at.error[0].value
    listing = at.code[0].value
    assert "坏.csv:2: 家庭人口: " in listing and "坏.csv:3: 户号: " in listing
    assert "家庭人口应为" in listing and "must be a whole number" not in listing  # the page's language only
    assert store.household_rows(db, JIA) == []


def test_rate_a_household_by_taps_and_take_the_village_through_the_procedure(db):
    liaison = auth.add_user(db, "lia", auth.LIAISON, "429901", "right-password-1", (A1,), "联络员",
                             by=auth.operator())
    hh.save_household(db, liaison, JIA, "001", "张三", "一组", 4)
    hh.save_household(db, liaison, JIA, "002", "李四", "一组", 3)
    at = page(db, village=JIA, name="lia")
    at.selectbox(key=keys.HH_HOUSEHOLD).set_value("001")
    at.run()
    assert at.subheader[2].value == f"评星：户 001（{period()}年度）"
    stars = at.pills(key=f"{keys.HH_STARS}_{period()}_001")
    stars.set_value(ALL[:8])
    at.run()
    assert "8 颗星 · 银牌" in [m.value for m in at.markdown]
    click(at, keys.HH_RATE)
    assert at.success[0].value == "已保存户 001 的星级（已申报）"
    assert table(at, *REGISTER).set_index("户号").loc["001", "等级"] == "银牌"
    # a disqualified household given a title: refused, in words
    at.selectbox(key=f"{keys.HH_DISQUALIFIER}_{period()}_001").set_value("D2")
    at.run()
    click(at, keys.HH_RATE)
    assert "不能评为文明户" in at.error[0].value
    assert [r["disqualifier"] for r in store.rating_rows(db, JIA)] == [None]
    at.selectbox(key=f"{keys.HH_DISQUALIFIER}_{period()}_001").set_value(None)
    at.run()
    for step in (hh.DISCUSSED, hh.REVIEWED):
        click(at, f"{keys.HH_MOVE}_{step}")
        assert "已有 1 户进入" in at.success[0].value
    today = config.today()
    at.date_input(key=keys.HH_NOTICE_START).set_value(today - timedelta(days=10))
    at.date_input(key=keys.HH_NOTICE_END).set_value(today - timedelta(days=6))
    at.run()
    click(at, f"{keys.HH_MOVE}_{hh.NOTICE}")  # 5 days: too short
    assert "短于本县规定的 7 天" in at.error[0].value
    at.date_input(key=keys.HH_NOTICE_END).set_value(today - timedelta(days=2))
    at.run()
    click(at, f"{keys.HH_MOVE}_{hh.NOTICE}")
    assert at.button(key=keys.HH_RATE).disabled  # the stars are posted: fixed
    assert at.get("download_button")[0].proto.label == "下载公示名单"
    click(at, f"{keys.HH_MOVE}_{hh.AWARDED}")
    assert "已授牌" in at.success[0].value
    [rating] = store.rating_rows(db, JIA)
    assert (rating["state"], rating["star_count"], rating["notice_end"]) == (
        hh.AWARDED, 8, (today - timedelta(days=2)).isoformat())


def test_add_and_take_off_a_household(db):
    at = page(db, village=YI)
    at.selectbox(key=keys.HH_HOUSEHOLD).set_value("")
    at.run()
    at.text_input(key=f"{keys.HH_NUMBER}_").input("007")
    at.text_input(key=f"{keys.HH_HEAD}_").input("周七")
    at.button(key=f"FormSubmitter:{keys.HH_FORM}_-保存户籍信息").click()
    at.run()
    assert at.success[0].value == "已添加户 007"
    assert at.selectbox(key=keys.HH_HOUSEHOLD).value == "007"
    at.checkbox(key=f"{keys.HH_REMOVE_CONFIRM}_007").check()
    at.run()
    click(at, f"{keys.HH_REMOVE}_007")
    assert at.success[0].value == "已将户 007 移出名册"
    assert store.household_rows(db, YI) == []


# --- the tablet ----------------------------------------------------------------------------------


def test_the_tablet_shows_the_registers_figures_and_the_spot_check_beside_the_ten_star_items(db):
    op = auth.operator()
    for k in range(1, 13):
        hh.save_household(db, op, JIA, f"{k:03d}", f"户主{k}", "一组", 3)
    for k in range(1, 11):  # 10 of 12 rated, 3 with all ten stars
        hh.rate(db, op, JIA, f"{k:03d}", period(), ALL if k <= 3 else ALL[:6])
    for step in (hh.DISCUSSED, hh.REVIEWED):
        hh.move(db, op, JIA, period(), step)
    hh.move(db, op, JIA, period(), hh.NOTICE, start="2026-05-01", end="2026-05-07")
    hh.move(db, op, JIA, period(), hh.AWARDED, today=date(2026, 5, 8))
    at = AppTest.from_file(TABLET, default_timeout=30)
    sign_in(at, db, "surveyor", name="wang")
    at.session_state[keys.ROUND] = ROUND
    at.query_params[keys.SV_VILLAGE] = JIA
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"名册户数": "12", "参评率": "83.3%（10/12）", "十星户占比": "30.0%（3/10）",
                       "结果公示": "已公示 10 户"}
    assert "达到 80% 门槛" in [c.value for c in at.caption]
    assert any(c.value.startswith("抽查 10 户") and "XJ09" in c.value for c in at.caption)
    spot = table(at, "户号", "户主", "星数", "等级")
    assert len(spot) == 10 and set(spot["等级"]) <= {"金牌", "铜牌"}
    assert f"**十星级文明户名册数据（{period()}年度，供核实）**" in [m.value for m in at.markdown]
    # and the same figures as lines under the ten-star section of the checklist itself
    checklist = json.loads(at.get("bidi_component")[0].proto.json)
    assert checklist["asides"]["tenstar"] == [
        "名册 12 户 · 参评率 83.3%（10/12） · 十星户占比 30.0%（3/10） · 结果公示：已公示 10 户",
        "抽查名单（10 户）在页面上方“十星级文明户名册数据”中，不符的户数记入 XJ09"]


def test_a_village_without_a_register_says_so_on_the_tablet(db):
    at = AppTest.from_file(TABLET, default_timeout=30)
    sign_in(at, db, "surveyor", name="wang")
    at.session_state[keys.ROUND] = ROUND
    at.query_params[keys.SV_VILLAGE] = YI
    at.run()
    assert not at.exception
    assert any("本村还没有户籍名册" in c.value for c in at.caption)
    assert not at.metric


# --- text from data is only text -----------------------------------------------------------------


def test_hostile_heads_groups_village_and_star_names_stay_text(tmp_path, monkeypatch):
    import hostile_db as h
    from test_hostile_text_pages import assert_no_markdown_from_data, shown

    from survey import stars as star_module

    db = h.build(tmp_path / "hostile.db")
    monkeypatch.setenv("SURVEY_DB", str(db))
    text = star_module.DEFAULT_FILE.read_text(encoding="utf-8")
    star, tier = h.hostile("星"), h.hostile("牌")
    hostile_set = tmp_path / "stars.yaml"
    hostile_set.write_text(text.replace("name: 爱党爱国", f"name: {star!r}").replace("name: 金牌", f"name: {tier!r}"),
                           encoding="utf-8")
    monkeypatch.setattr(star_module, "DEFAULT_FILE", hostile_set)
    head, group = h.hostile("户主"), h.hostile("组")
    admin = auth.get_user(db, "admin")
    hh.save_household(db, admin, h.HOSTILE_CODE, "001", head, group, 3)
    hh.rate(db, admin, h.HOSTILE_CODE, "001", "2026", ALL)
    for step in (hh.DISCUSSED, hh.REVIEWED):
        hh.move(db, admin, h.HOSTILE_CODE, "2026", step)
    hh.move(db, admin, h.HOSTILE_CODE, "2026", hh.NOTICE, start="2026-05-01", end="2026-05-07")
    hh.move(db, admin, h.HOSTILE_CODE, "2026", hh.AWARDED, today=date(2026, 5, 8))

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[keys.AUTH_USER] = "admin"
    at.session_state[keys.HH_PERIOD] = "2026"
    at.query_params[keys.HH_VILLAGE] = h.HOSTILE_CODE
    at.session_state[keys.HH_HOUSEHOLD] = "001"
    at.run()
    assert not at.exception
    sources = assert_no_markdown_from_data(at)
    assert shown(sources, h.VILLAGE) and shown(sources, h.TOWNSHIP)
    assert md(star) in at.pills(key=f"{keys.HH_STARS}_2026_001").options  # a Markdown place: escaped
    assert table(at, *REGISTER).iloc[0][["户主", "村民小组", "等级"]].tolist() == [head, group, tier]  # plain
    assert at.selectbox(key=keys.HH_HOUSEHOLD).format_func("001") == f"001 · {head}（{group}）"

    tablet = AppTest.from_file(TABLET, default_timeout=60)
    tablet.session_state[keys.AUTH_USER] = "surveyor"
    tablet.session_state[keys.ROUND] = h.ROUND
    tablet.session_state[keys.SV_VILLAGE] = h.HOSTILE_CODE
    tablet.run()
    assert not tablet.exception
    assert_no_markdown_from_data(tablet)
    assert table(tablet, "户号", "户主").iloc[0][["户主", "等级"]].tolist() == [head, tier]
    assert any(md(tier) in c.value for c in tablet.caption)  # the tiers line
