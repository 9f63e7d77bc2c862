"""AppTest of the setup page: upload a village list, open a round, read the rubric."""

from pathlib import Path

import pytest
from scoped_db import sign_in
from streamlit.testing.v1 import AppTest

from core import config
from survey import store
from ui import keys

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "setup.py")
GOOD = ("区划代码,村名,乡镇,经度,纬度\n"
        "429901001001,李庄村,城关镇,113.91,30.61\n"
        "429901001002,张家湾村,城关镇,113.92,30.62\n").encode("gb18030")
BAD = ("区划代码,村名,乡镇,经度,纬度\n"
       "4299010010,李庄村,城关镇,113.91,30.61\n"
       "429901001002,张家湾村,城关镇,113.92,99\n").encode("utf-8-sig")


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "setup.db"
    monkeypatch.setenv("SURVEY_DB", str(path))
    return path


def run_page():
    at = AppTest.from_file(PAGE, default_timeout=30)
    sign_in(at, config.db_path(), "admin")
    at.run()
    assert not at.exception
    return at


def upload(at, name, data):
    at.file_uploader(key=keys.SETUP_UPLOAD).set_value((name, data, "text/csv"))
    at.run()
    at.button(key=keys.SETUP_IMPORT).click()
    at.run()
    assert not at.exception
    return at


def test_upload_gbk_csv_imports_and_summarises(db):
    at = upload(run_page(), "名录.csv", GOOD)
    assert "新增 2 个村" in at.success[0].value
    assert [v.name for v in store.villages(db)] == ["李庄村", "张家湾村"]
    assert "2 个村" in at.caption[-1].value or any("2 个村" in c.value for c in at.caption)


def test_upload_with_errors_lists_every_line_and_writes_nothing(db):
    at = upload(run_page(), "坏.csv", BAD)
    assert "2 处问题" in at.error[0].value
    listing = at.code[0].value
    assert "坏.csv:2: " in listing and "坏.csv:3: " in listing
    assert store.villages(db) == []


def test_open_round_and_see_it_listed(db):
    at = run_page()
    at.text_input(key=keys.SETUP_ROUND_ID).input("2026-B4")
    at.text_input(key=keys.SETUP_ROUND_NAME).input("第四次双月测评")
    at.button(key=keys.SETUP_ROUND_CREATE).click()
    at.run()
    assert not at.exception
    assert "2026-B4" in at.success[0].value
    assert [r.id for r in store.rounds(db)] == ["2026-B4"]
    assert store.get_round(db, "2026-B4").name == "第四次双月测评"


def test_bad_round_id_is_refused_in_plain_words(db):
    at = run_page()
    at.text_input(key=keys.SETUP_ROUND_ID).input("第四轮 /x")
    at.button(key=keys.SETUP_ROUND_CREATE).click()
    at.run()
    assert "轮次编号" in at.error[0].value
    assert store.rounds(db) == []


def test_rubric_is_readable_by_section(db):
    at = run_page()
    labels = [e.label for e in at.expander]
    assert any(label.startswith("垃圾治理") for label in labels)
    assert any(label.startswith("移风易俗") for label in labels)
    assert any(label.startswith("十星级文明户") for label in labels)
    assert "一票否决事项" in labels
