"""The export page as a county officer sees it (streamlit AppTest on a small database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import table
from scoped_db import sign_in
from streamlit.testing.v1 import AppTest

from core.errors import render
from core.model import Round
from survey import store
from survey.registry import VillageRow
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission
from ui import keys
from ui.text import md

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "export.py")
ROUND = "2026-B3"
VILLAGE_HEADERS = [
    "区划代码", "县", "乡镇", "村", "测评轮次", "测评日期", "测评人", "垃圾治理得分", "移风易俗得分",
    "十星级文明户得分", "总分", "一票否决", "否决事项", "测评结果", "文明村称号", "示范带", "问题数",
    "经度", "纬度", "审核状态", "提交编号",
]
TOWNSHIP_HEADERS = [
    "乡镇代码", "乡镇", "村总数", "县级及以上文明村数", "本轮测评村数", "本轮达标村数", "预计文明村数",
    "文明村占比(%)", "预计占比(%)", "目标占比(%)", "是否达到目标", "需新增文明村数",
]


def village(code, name, township, county):
    return VillageRow(code=code, name=name, township=township, county=county, lon=113.5, lat=30.5, title="无",
                      title_year=None, households=None, demo=False, line=2)


def best_answers(rubric):
    return {i.code: True if i.type == "check" else 0 if i.type == "count" else i.grade_names[0]
            for i in rubric.items}


def build_db(path: Path, **dates: str) -> Path:
    rubric = load_rubric()
    store.import_registry(path, [
        village("421302100001", "㭎树村", "城关镇", "测试县"),
        village("421302100002", '=HYPERLINK("http://evil.example","x")', "城关镇", "测试县"),
        village("421302101001", "未测村", "青石镇", "测试县"),
        village("421303100001", "邻县村", "邻镇", "邻县"),
    ])
    store.create_round(path, Round(id=ROUND, name="第三次双月测评", **dates))
    subs = [Submission(id=f"s{i}", village=code, round=ROUND, date="2026-05-20", surveyor="王芳",
                       answers=best_answers(rubric))
            for i, code in enumerate(["421302100001", "421302100002", "421303100001"])]
    store.save_submissions(path, [(s, score(rubric, s.answers, s.veto)) for s in subs])
    return path


def run(db: Path, monkeypatch, role: str | None = "admin", **scope) -> AppTest:
    """The page as ``role`` (None: nobody signed in) with ``scope`` (county, townships, name)."""
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=60)
    if role:
        sign_in(at, db, role, **scope)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def page(tmp_path, monkeypatch):
    return run(build_db(tmp_path / "t.db"), monkeypatch)


def test_preview_shows_both_tables_as_the_files_hold_them(page):
    at = page
    assert at.title[0].value == "上报省级：测评结果报送文件"
    assert "测评轮次 2026-B3（第三次双月测评）" in [c.value for c in at.caption]
    assert at.selectbox(key=keys.EXP_COUNTY).options == ["测试县（421302）", "邻县（421303）"]
    villages, towns = table(at, "区划代码", "村"), table(at, "乡镇代码")
    assert list(villages.columns) == VILLAGE_HEADERS
    assert villages["区划代码"].tolist() == ["421302100001", "421302100002"]
    assert villages["村"].tolist() == ["㭎树村", '\'=HYPERLINK("http://evil.example","x")']
    assert villages["总分"].tolist() == ["100.0", "100.0"] and villages["测评结果"].tolist() == ["达标", "达标"]
    assert list(towns.columns) == TOWNSHIP_HEADERS
    assert towns["乡镇代码"].tolist() == ["421302100", "421302101"]
    assert towns["预计占比(%)"].tolist() == ["100.0", "0.0"]
    assert [s.value for s in at.subheader] == [
        "下载", "村级测评表 " + md("villages_421302_2026-B3.csv"),
        "乡镇汇总表 " + md("townships_421302_2026-B3.csv")]  # file names are data: escaped
    # every row waits for review: the page says so, counted, and where to settle it
    assert [w.value for w in at.warning] == ["2 个村（共 2 个）的测评结果尚未审核（待审核）：报送前请先审核"]
    assert not at.success


def test_download_buttons_for_the_zip_the_workbook_and_the_points(page):
    labels = [b.proto.label for b in page.get("download_button")]
    assert labels == ["CSV 报送文件（ZIP）", "Excel 工作簿", "GeoJSON 点位"]


def test_gbk_shows_which_rows_gbk_cannot_hold(page):
    at = page.radio[0].set_value("gbk").run()
    assert not at.exception
    assert "生成文件时有 1 条提示：" in [w.value for w in at.warning]
    [code] = at.code
    assert code.value.startswith("villages_421302_2026-B3.csv:2: ") and "㭎" in code.value


def test_choosing_another_county(page):
    at = page.selectbox(key=keys.EXP_COUNTY).set_value("421303").run()
    assert table(at, "村")["村"].tolist() == ["邻县村"]
    assert table(at, "乡镇代码")["乡镇"].tolist() == ["邻镇"]


def test_a_reviewer_sees_their_county_and_townships_only(tmp_path, monkeypatch):
    db = build_db(tmp_path / "t.db")
    at = run(db, monkeypatch, "reviewer", county="421303")
    assert at.selectbox(key=keys.EXP_COUNTY).options == ["邻县（421303）"]
    assert table(at, "区划代码")["区划代码"].tolist() == ["421303100001"]
    at = run(db, monkeypatch, "reviewer", county="421302", townships=("421302101",), name="rev-town")
    # a reviewer of some townships cannot send the county's files: told why, nothing offered
    assert [e.value for e in at.error] == [md(render("export_county_only", "zh"))]
    assert not at.dataframe and not at.get("download_button")


@pytest.mark.parametrize(("role", "message"), [(None, "请先登录"), ("surveyor", "当前账号无权查看此页面")])
def test_only_reviewers_and_admins_may_export(tmp_path, monkeypatch, role, message):
    at = run(build_db(tmp_path / "t.db"), monkeypatch, role, county="421302")
    assert message in [e.value for e in (*at.warning, *at.error)]
    assert not at.get("download_button") and not at.dataframe


def test_empty_database_says_what_to_do(tmp_path, monkeypatch):
    at = run(tmp_path / "empty.db", monkeypatch, county="421302")
    assert at.info[0].value == "名录中还没有村庄，请先在“设置”页导入村庄名录"
    assert not at.get("download_button")


def _approve_all(db: Path) -> None:
    from survey import auth, review

    operator = auth.operator()
    review.approve_round(db, operator, ROUND)


def test_an_export_with_nothing_to_settle_says_it_can_be_sent(tmp_path, monkeypatch):
    db = build_db(tmp_path / "t.db")
    _approve_all(db)
    at = run(db, monkeypatch)
    assert not at.warning
    assert at.success[0].value == "没有提示，文件可以直接报送"


def test_unreviewed_rows_are_counted_with_where_to_review_them(tmp_path, monkeypatch):
    at = run(build_db(tmp_path / "t.db"), monkeypatch)
    assert at.warning[0].value == "2 个村（共 2 个）的测评结果尚未审核（待审核）：报送前请先审核"
    # (a page run on its own has no menu to link into: the link's text is shown instead)
    assert "去审核：打开“审核”页的待审核列表" in [c.value for c in at.caption]


def test_a_round_with_no_village_assessed_is_not_ready(tmp_path, monkeypatch):
    db = build_db(tmp_path / "t.db")
    store.create_round(db, Round(id="2026-B4", name="第四次"))
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=60)
    sign_in(at, db, "reviewer", county="421302")
    at.session_state[keys.ROUND] = "2026-B4"
    at.run()
    assert [w.value for w in at.warning] == ["本轮本县还没有任何村完成测评：村级测评表是空的"]
    assert "请测评员在“实地测评”页完成并提交测评" in [c.value for c in at.caption]
    assert not at.success


def test_surveys_dated_outside_the_round_are_counted(tmp_path, monkeypatch):
    db = build_db(tmp_path / "t.db", start_date="2026-05-01", end_date="2026-05-15")  # surveyed 05-20
    _approve_all(db)
    at = run(db, monkeypatch)
    assert [w.value for w in at.warning] == [
        "2 个村的测评日期不在本轮日期内（2026-05-01 至 2026-05-15）：请核实测评日期或轮次"]
    assert "去核对：在“审核”页按测评日期筛选" in [c.value for c in at.caption]
