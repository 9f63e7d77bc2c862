"""The fix-it ledger's pages (AppTest): the county office's ledger (counts, townships, entries,
a village's photos, the downloads, an entry by hand), the township liaison's fixes, the re-check,
and the open and overdue fixes beside each township's share on the dashboard."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import docx
import pytest
from builders import table
from ledger_db import V1, V3, with_findings
from scoped_db import A1, ROUND, user
from streamlit.testing.v1 import AppTest

from core import config
from survey import ledger
from ui import keys

PAGES = Path(__file__).resolve().parents[1] / "pages"


@pytest.fixture
def db(scoped, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(scoped))
    return with_findings(scoped)


def page_as(page: str, name: str, **state) -> AppTest:
    at = AppTest.from_file(str(PAGES / page), default_timeout=60)
    at.session_state[keys.AUTH_USER] = name
    at.session_state[keys.ROUND] = ROUND
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def images(at: AppTest) -> int:
    return sum(len(e.proto.imgs) for e in at.get("image"))


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# --- the county office -------------------------------------------------------------------------


def test_the_ledger_page_shows_counts_townships_entries_overdue_first(db):
    at = page_as("ledger.py", "rev-a")
    assert at.title[0].value == "整改台账"
    assert [metric(at, k) for k in ("条目合计", "待整改", "已整改", "已销号", "逾期")] == ["5", "5", "0", "0", "5"]
    towns = table(at, "乡镇", "待整改", "逾期")
    assert towns["乡镇"].tolist() == ["城关镇", "青石镇"] and towns["待整改"].tolist() == [4, 1]
    rows = table(at, "编号", "问题", "整改期限")
    assert len(rows) == 5 and set(rows["状态"]) == {"待整改"} and set(rows["逾期"]) == {"是"}
    assert rows["整改期限"].tolist() == sorted(rows["整改期限"].tolist())  # all overdue: by deadline
    at.selectbox(key=keys.LG_TOWNSHIP).set_value(A1).run()
    assert len(table(at, "编号", "问题")) == 4
    at.selectbox(key=keys.LG_ITEM).set_value("LJ07").run()
    assert table(at, "编号", "问题")["项目编码"].tolist() == ["LJ07"]
    at.selectbox(key=keys.LG_STATUS).set_value("closed").run()
    assert at.info[0].value == "没有符合条件的台账条目"


def test_a_village_shows_its_entries_with_before_and_after_photos_side_by_side(db):
    liu = user(db, "liu")
    lj03 = next(e for e in ledger.worklist(db, liu) if e.item_code == "LJ03")
    from ledger_db import jpeg

    ledger.report_fix(db, liu, lj03.id, "已清运", [(jpeg(), "after.jpg")])
    at = page_as("ledger.py", "rev-a")
    at.selectbox(key=keys.LG_VILLAGE).set_value(V1).run()
    assert not at.exception
    assert images(at) == 3  # LJ03 before and after, LJ07 before
    texts = [m.value for m in at.markdown]
    assert any("整改情况（刘联络）：已清运" in x for x in texts)
    assert "**整改前**" in texts and "**整改后**" in texts


def test_the_ledger_page_offers_the_ledger_and_the_notice(db):
    at = page_as("ledger.py", "rev-a")
    labels = {b.proto.label for b in at.get("download_button")}
    assert labels == {"下载台账（Excel）", "下载台账（CSV）", "下载督办单（Word）"}
    assert at.selectbox(key=keys.LG_NOTICE_TOWN).options == ["城关镇", "青石镇"]
    data = ledger.notice_docx(db, user(db, "rev-a"), A1)
    assert docx.Document(io.BytesIO(data)).paragraphs[0].text == "甲县文明村镇创建问题整改督办单"


def test_an_officer_opens_an_entry_by_hand_and_a_past_deadline_is_refused(db):
    at = page_as("ledger.py", "rev-a")
    at.selectbox(key=keys.LG_OPEN_VILLAGE).set_value(V3)
    at.text_area(key=keys.LG_OPEN_TEXT).input("群众投诉：河道漂浮垃圾")
    at.date_input(key=keys.LG_OPEN_DEADLINE).set_value(config.today() - timedelta(days=1))
    at.button(key=keys.LG_OPEN_SUBMIT).click().run()
    assert at.error and "早于今天" in at.error[0].value
    assert len(ledger.entries(db, user(db, "rev-a"), village=V3)) == 1
    assert at.text_area(key=keys.LG_OPEN_TEXT).value == "群众投诉：河道漂浮垃圾"  # kept to correct
    at.date_input(key=keys.LG_OPEN_DEADLINE).set_value(config.today() + timedelta(days=3))
    at.button(key=keys.LG_OPEN_SUBMIT).click().run()
    assert not at.exception and not at.error
    [opened] = [e for e in ledger.entries(db, user(db, "rev-a"), village=V3) if e.source == "manual"]
    assert at.success[0].value == f"已建档：#{opened.id}"
    assert opened.problem == "群众投诉：河道漂浮垃圾"
    assert at.text_area(key=keys.LG_OPEN_TEXT).value == ""  # emptied for the next


def test_a_reviewer_of_some_townships_sees_their_entries_only(db):
    at = page_as("ledger.py", "rev-a2")
    assert table(at, "编号", "问题")["村"].tolist() == ["丙村"]


# --- the township liaison ----------------------------------------------------------------------


def test_the_liaison_sees_only_its_open_entries_and_marks_one_fixed(db):
    at = page_as("fixes.py", "liu")
    assert at.title[0].value == "整改上报"
    mine = ledger.worklist(db, user(db, "liu"))
    assert at.caption[1].value == f"待整改 {len(mine)} 个，其中逾期 {len(mine)} 个"
    shown = {k for k in at.session_state if k.startswith(keys.FX_TEXT)}
    assert shown == {f"{keys.FX_TEXT}_{e.id}" for e in mine}
    assert not any(e.village_code == V3 for e in mine)
    yf01 = next(e for e in mine if e.item_code == "YF01")
    lj07 = next(e for e in mine if e.item_code == "LJ07")
    # a photo is the evidence of LJ07: no after-photo, no fix
    at.text_area(key=f"{keys.FX_TEXT}_{lj07.id}").input("已清理")
    at.button(key=f"{keys.FX_SUBMIT}_{lj07.id}").click().run()
    assert at.error[0].value.startswith("该问题以照片为证据")
    assert ledger.entry(db, user(db, "liu"), lj07.id).status == "open"
    at.button(key=f"{keys.FX_SUBMIT}_{yf01.id}").click().run()  # no description
    assert at.error[0].value.startswith("请填写整改情况")
    at.text_area(key=f"{keys.FX_TEXT}_{yf01.id}").input("已重新张贴村规民约")
    at.button(key=f"{keys.FX_SUBMIT}_{yf01.id}").click().run()
    assert not at.exception
    assert at.success[0].value == f"已上报整改：#{yf01.id} 甲村"
    assert ledger.entry(db, user(db, "liu"), yf01.id).status == "fixed"
    assert at.caption[1].value == f"待整改 {len(mine) - 1} 个，其中逾期 {len(mine) - 1} 个"  # gone from the list


def test_a_liaison_with_nothing_to_fix_is_told_so(db):
    for e in ledger.worklist(db, user(db, "zhao")):
        ledger.report_fix(db, user(db, "zhao"), e.id, "已清运")
    at = page_as("fixes.py", "zhao")
    assert at.success[0].value == "没有待整改的问题"


# --- the re-check ------------------------------------------------------------------------------


def test_a_surveyor_rechecks_village_by_village_passed_closes_not_passed_reopens(db):
    liu = user(db, "liu")
    for e in ledger.worklist(db, liu):
        if e.item_code in ("YF01", "LJ02"):
            ledger.report_fix(db, liu, e.id, f"{e.item_code} 已整改")
    at = page_as("recheck.py", "wang")
    assert at.title[0].value == "整改复查"
    assert at.selectbox(key=keys.RC_VILLAGE).options == ["甲村（城关镇）· 2"]
    at.selectbox(key=keys.RC_VILLAGE).set_value(V1).run()
    fixed = {e.item_code: e for e in ledger.to_recheck(db, user(db, "wang"), V1)}
    assert images(at) == 0 and any("YF01 已整改" in m.value for m in at.markdown)
    at.button(key=f"{keys.RC_PASS}_{fixed['YF01'].id}").click().run()
    assert at.success[0].value == f"已销号：#{fixed['YF01'].id} 甲村"
    at.button(key=f"{keys.RC_FAIL}_{fixed['LJ02'].id}").click().run()
    assert at.error[0].value.startswith("复查未通过时请写明")
    at.text_area(key=f"{keys.RC_NOTE}_{fixed['LJ02'].id}").input("仍有农户无分类桶")
    at.button(key=f"{keys.RC_FAIL}_{fixed['LJ02'].id}").click().run()
    assert at.success[0].value == f"复查未通过，已重新限期整改：#{fixed['LJ02'].id} 甲村"
    assert at.success[1].value == "没有待复查的问题"
    rev = user(db, "rev-a")
    assert ledger.entry(db, rev, fixed["YF01"].id).status == "closed"
    reopened = ledger.entry(db, rev, fixed["LJ02"].id)
    assert (reopened.status, reopened.failed_rechecks) == ("open", 1)
    assert reopened.deadline == (config.today() + timedelta(days=30)).isoformat()


def test_a_surveyor_rechecks_only_the_villages_of_their_townships(db):
    for e in ledger.worklist(db, user(db, "zhao")):
        ledger.report_fix(db, user(db, "zhao"), e.id, "已清运")
    at = page_as("recheck.py", "wang")  # 城关镇 only: 丙村 (青石镇) is not theirs
    assert at.success[0].value == "没有待复查的问题"
    at = page_as("recheck.py", "li")
    assert at.selectbox(key=keys.RC_VILLAGE).options == ["丙村（青石镇）· 1"]


# --- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_shows_open_and_overdue_fixes_beside_each_share(db):
    at = page_as("dashboard.py", "rev-a")
    towns = table(at, "预计占比(%)", "待整改", "逾期")
    assert dict(zip(towns["名称"], zip(towns["待整改"], towns["逾期"]))) == {"城关镇": (4, 4), "青石镇": (1, 1)}


# --- text from data is only text ---------------------------------------------------------------


def test_names_notes_and_fixes_from_data_are_text_on_every_ledger_page(tmp_path, monkeypatch):
    import hostile_db as h
    from test_hostile_text_pages import assert_no_markdown_from_data, shown

    from survey import auth, review, store
    from survey.rubric import load_rubric
    from survey.scoring import score
    from survey.submissions import Submission

    db = h.build(tmp_path / "hostile.db")
    monkeypatch.setenv("SURVEY_DB", str(db))
    liaison, fix = h.hostile("联"), h.hostile("修")
    auth.add_user(db, "liaison", auth.LIAISON, h.COUNTY_CODE, h.PASSWORD, [h.TOWNSHIP_CODE], liaison,
                  by=auth.operator())
    rubric = load_rubric()
    answers = h._answers(rubric, fail_first=True)
    sub = Submission(id="sub-again", village=h.HOSTILE_CODE, round=h.ROUND, date="2026-05-21", surveyor=h.SURVEYOR_NAME,
                     answers=answers, notes={rubric.items[0].code: h.NOTE})
    store.save_submissions(db, [(sub, score(rubric, answers, ()))])
    review.approve(db, auth.get_user(db, "reviewer"), ["sub-again", h.PENDING])
    mine = {e.village_code: e for e in ledger.worklist(db, auth.get_user(db, "liaison"))}
    ledger.report_fix(db, auth.get_user(db, "liaison"), mine[h.HOSTILE_CODE].id, fix)

    at = page_as("ledger.py", "reviewer", **{keys.LG_VILLAGE: h.HOSTILE_CODE})
    sources = assert_no_markdown_from_data(at)
    for text in (h.VILLAGE, h.TOWNSHIP, h.NOTE, fix, liaison):
        assert shown(sources, text), text
    assert h.NOTE in " ".join(table(at, "编号", "问题")["问题"])  # a table cell: plain text
    assert at.selectbox(key=keys.LG_TOWNSHIP).format_func(h.TOWNSHIP_CODE) == h.TOWNSHIP
    at = page_as("fixes.py", "liaison")
    assert shown(assert_no_markdown_from_data(at), h.NOTE)
    at = page_as("recheck.py", "surveyor", **{keys.RC_VILLAGE: h.HOSTILE_CODE})
    sources = assert_no_markdown_from_data(at)
    assert shown(sources, fix) and shown(sources, h.VILLAGE)
    assert at.selectbox(key=keys.RC_VILLAGE).format_func(h.HOSTILE_CODE) == f"{h.VILLAGE}（{h.TOWNSHIP}）· 1"
