"""AppTest of the veto page: the office enters a record (a whole township), confirms a surveyor's
report, withdraws a record, and an administrator imports a file; bad input shows its message
and writes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from builders import best_answers, table
from scoped_db import sign_in
from streamlit.testing.v1 import AppTest

from core.model import Round
from survey import store
from survey.registry import VillageRow
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission
from ui import keys

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "vetoes.py")
COUNTY = "429901"
TOWN = COUNTY + "100"
LI, ZHANG = TOWN + "001", TOWN + "002"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "vetoes.db"
    store.import_registry(path, [
        VillageRow(code=code, name=name, township="城关镇", county="示范县", lon=113.9, lat=30.6, title="无",
                   title_year=None, households=100, demo=False, line=n + 2)
        for n, (code, name) in enumerate(((LI, "李庄村"), (ZHANG, "张家湾村")))])
    store.create_round(path, Round("R1", "第一轮"))
    rubric = load_rubric()
    answers = best_answers(rubric)
    day = (dt.date.today() - dt.timedelta(days=5)).isoformat()
    store.save_submissions(path, [(Submission(id="rep", village=LI, round="R1", date=day, surveyor="王芳",
                                              answers=answers, veto=("V3",)), score(rubric, answers, ()))])
    monkeypatch.setenv("SURVEY_DB", str(path))
    return path


def open_page(db, role="reviewer") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    sign_in(at, db, role, county=COUNTY)
    at.run()
    assert not at.exception, at.exception
    return at


def records(at):
    return table(at, "村或乡镇", "否决事项", "发生日期", "有效至", "来源部门", "状态")


def test_the_office_enters_a_record_for_a_whole_township(db):
    at = open_page(db)
    assert "12 个月内" in at.caption[0].value
    assert at.tabs[0].caption[0].value == "暂无记录"
    at.selectbox(key=keys.VETO_NEW_ITEM).set_value("V1")
    at.button(key=keys.VETO_NEW_SAVE).click().run()  # no date, no source
    assert "发生日期" in at.error[0].value and "来源部门" in at.error[0].value
    assert store.veto_rows(db) == []
    day = dt.date.today() - dt.timedelta(days=30)
    at.date_input(key=keys.VETO_NEW_DATE).set_value(day)
    at.text_input(key=keys.VETO_NEW_SOURCE).input("县纪委")
    at.text_input(key=keys.VETO_NEW_DOCUMENT).input("示纪发〔2026〕3号")
    at.button(key=keys.VETO_NEW_SAVE).click().run()
    assert not at.exception
    assert at.success[0].value.startswith("已登记：城关镇 V1，有效至 ")
    row = records(at).iloc[0]
    assert (row["村或乡镇"], row["范围"], row["否决事项"], row["来源部门"], row["状态"]) == (
        "城关镇", "全乡镇", "V1 干部严重违纪违法", "县纪委", "有效")
    assert store.submission(db, "rep")["veto"] == ["V1"]  # applied to 李庄村's assessment at once


def test_a_report_is_confirmed_with_its_date_and_source_then_withdrawn(db):
    at = open_page(db)
    reports = table(at, "村或乡镇", "否决事项", "轮次", "测评员")
    assert reports[["村或乡镇", "否决事项", "测评员"]].values.tolist() == [["李庄村", "V3 重大安全事故", "王芳"]]
    at.date_input(key=keys.VETO_REPORT_DATE).set_value(dt.date.today() - dt.timedelta(days=60))
    at.text_input(key=keys.VETO_REPORT_SOURCE).input("县应急管理局")
    at.button(key=keys.VETO_CONFIRM).click().run()
    assert not at.exception
    assert at.success[0].value == "已认定：李庄村 V3"
    assert at.tabs[1].caption[0].value == "没有待核实的报告"
    assert store.submission(db, "rep")["veto"] == ["V3"] and store.submission(db, "rep")["passed"] == 0
    at.text_input(key=keys.VETO_WITHDRAW_REASON).input("经复核，事故不在本村")
    at.button(key=keys.VETO_WITHDRAW).click().run()
    assert at.success[0].value.startswith("已撤销：李庄村 · V3")
    assert records(at)["状态"].tolist() == ["已撤销"]
    assert store.submission(db, "rep")["veto"] == [] and store.submission(db, "rep")["passed"] == 1


def test_a_report_is_rejected_only_with_a_reason(db):
    at = open_page(db)
    at.button(key=keys.VETO_REJECT).click().run()
    assert "请填写撤销或不予认定的理由" in at.error[0].value
    at.text_input(key=keys.VETO_REPORT_REASON).input("2023 年旧案")
    at.button(key=keys.VETO_REJECT).click().run()
    assert at.success[0].value == "不予认定：李庄村 V3"
    assert store.submission(db, "rep")["passed"] == 1


def test_an_administrator_imports_a_file_and_sees_every_bad_row(db):
    at = open_page(db, role="admin")
    bad = f"区划代码,否决事项,发生日期,来源部门\n{LI},V9,2026-01-01,县公安局\n{ZHANG},V2,2999-01-01,县公安局\n"
    at.file_uploader(key=keys.VETO_UPLOAD).set_value(("否决.csv", bad.encode("utf-8-sig"), "text/csv")).run()
    at.button(key=keys.VETO_IMPORT).click().run()
    assert at.error[0].value == "文件有 2 处问题，未导入任何数据："
    assert at.code[0].value.splitlines()[0].startswith("否决.csv:2: 否决事项: 未知的一票否决事项“V9”")
    assert store.veto_rows(db) == []
    day = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    good = f"区划代码,否决事项,发生日期,来源部门,文号\n{ZHANG},V2,{day},县公安局,示公〔2026〕1号\n"
    at.file_uploader(key=keys.VETO_UPLOAD).set_value(("否决.csv", good.encode("gb18030"), "text/csv")).run()
    at.button(key=keys.VETO_IMPORT).click().run()
    assert at.success[0].value == "已导入：新增 1 条，更新 0 条，未变 0 条"
    assert records(at)["村或乡镇"].tolist() == ["张家湾村"]


def test_a_reviewer_does_not_import_files(db):
    at = open_page(db)
    assert at.tabs[3].caption[0].value.startswith("导入文件由管理员操作")
    assert not at.file_uploader
