"""Every page that shows a name from data, run (AppTest) over a database whose county, township,
village, round name, surveyor, note, return comment and road are hostile Markdown/HTML/template
text (``tests/hostile_db.py``): each Markdown element that shows one holds its escaped form
(``ui.text.md``), none holds a payload as Markdown, and the plain-text places (tables, select
boxes) hold the text as it is. What the browser makes of it: tests/browser/test_hostile_text_browser.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import hostile_db as h
import pytest
from streamlit.testing.v1 import AppTest

from ui import keys
from ui.text import md

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def _template(tmp_path_factory) -> Path:
    return h.build(tmp_path_factory.mktemp("hostile") / "template.db")


@pytest.fixture
def db(_template, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "hostile.db"
    shutil.copyfile(_template, path)
    monkeypatch.setenv("SURVEY_DB", str(path))
    return path


def run(script: str, user: str, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=60)
    at.session_state[keys.AUTH_USER] = user
    at.session_state[keys.ROUND] = h.ROUND
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def markdown_sources(at: AppTest) -> list[str]:
    """The Markdown source of everything Streamlit renders as Markdown on the page."""
    found: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "success", "info",
                 "warning", "error", "toast"):
        found += [e.value for e in getattr(at, kind)]
    for m in at.metric:
        found += [m.label, m.value, m.proto.delta]
    found += [e.label for e in at.expander] + [e.label for e in at.tabs]
    for kind in ("button", "checkbox", "radio", "selectbox", "multiselect", "text_input",
                 "text_area", "number_input", "date_input", "toggle"):
        for widget in getattr(at, kind):
            found += [widget.label, widget.help or ""]
    for radio in at.radio:
        found += list(radio.options)
    return found


def assert_no_markdown_from_data(at: AppTest) -> list[str]:
    sources = markdown_sources(at)
    for source in sources:
        for payload in h.PAYLOADS:
            assert payload not in source, (payload, source)
        assert h.EVALUATED not in source
    return sources


def shown(sources: list[str], text: str) -> bool:
    """Whether some Markdown element shows ``text`` (as its escaped form)."""
    return any(md(text) in source for source in sources)


def test_the_tablet_page_heads_the_village_with_its_escaped_name(db):
    at = run("pages/tablet.py", "surveyor", **{keys.SV_VILLAGE: h.HOSTILE_CODE})
    sources = assert_no_markdown_from_data(at)
    [heading] = [s.value for s in at.subheader if h.VILLAGE[:1] in s.value]
    assert heading == md(h.VILLAGE) + "（" + md(h.TOWNSHIP) + "）"
    assert shown(sources, h.VILLAGE) and shown(sources, h.TOWNSHIP)
    assert at.text_input(key=keys.SV_SURVEYOR).value == h.SURVEYOR_NAME  # an input: plain text
    # the draft's note goes to the checklist as data (the browser shows it with textContent)
    [checklist] = at.get("bidi_component")
    assert h.NOTE in json.loads(checklist.proto.json)["draft"]["notes"].values()
    assert at.selectbox(key=keys.SV_TOWN).format_func(h.TOWNSHIP_CODE) == h.TOWNSHIP


def test_the_review_page_shows_the_submission_and_its_comment_escaped(db):
    at = run("pages/review.py", "reviewer", **{keys.RV_STATUS: "returned", keys.RV_SELECTED: h.RETURNED})
    sources = assert_no_markdown_from_data(at)
    [heading] = [s.value for s in at.subheader]
    for text in (h.VILLAGE, h.TOWNSHIP, h.SURVEYOR_NAME):
        assert md(text) in heading
    assert any(md(h.COMMENT) in w.value for w in at.warning)
    assert shown(sources, h.COMMENT)
    listed = next(d.value for d in at.dataframe if "区划代码" in d.value.columns)  # the list: plain cells
    assert listed.iloc[0].tolist()[:5] == [h.HOSTILE_CODE, h.VILLAGE, h.TOWNSHIP, "2026-05-20", h.SURVEYOR_NAME]
    answers = next(d.value for d in at.dataframe if "备注" in d.value.columns)
    assert h.NOTE in answers["备注"].tolist()


def test_the_surveyors_own_submissions_show_the_comment_escaped(db):
    at = run("pages/review.py", "surveyor")
    sources = assert_no_markdown_from_data(at)
    assert shown(sources, h.COMMENT) and shown(sources, h.VILLAGE)


def test_the_dashboard_shows_round_and_places_escaped_and_plain_where_plain(db):
    at = run("pages/dashboard.py", "reviewer")
    sources = assert_no_markdown_from_data(at)
    assert shown(sources, h.ROUND_NAME)
    assert at.selectbox(key=keys.DASH_COUNTY).format_func(h.COUNTY_CODE) == f"{h.COUNTY}（{h.COUNTY_CODE}）"
    assert at.selectbox(key=keys.DASH_SET_SCOPE).format_func("") == f"全县（{h.COUNTY}）"
    assert any(h.TOWNSHIP in d.value.to_string() for d in at.dataframe)


def test_the_map_page_keeps_names_out_of_markdown(db):
    at = run("pages/map.py", "reviewer")
    assert_no_markdown_from_data(at)
    assert at.selectbox(key=keys.MAP_SCOPE).format_func(h.TOWNSHIP_CODE) == h.TOWNSHIP
    tables = " ".join(d.value.to_string() for d in at.dataframe)
    assert h.ROAD in tables and h.VILLAGE in tables


def test_the_export_page_shows_the_round_name_escaped(db):
    at = run("pages/export.py", "reviewer")
    sources = assert_no_markdown_from_data(at)
    assert shown(sources, h.ROUND_NAME)


def test_the_setup_page_lists_the_round_as_plain_text(db):
    at = run("pages/setup.py", "admin")
    assert_no_markdown_from_data(at)
    assert h.ROUND_NAME in at.dataframe[0].value.to_string()


def test_the_users_page_lists_names_plainly_and_escapes_an_error_quoting_input(db):
    at = run("pages/users.py", "admin", **{keys.US_PICK: "surveyor"})
    assert_no_markdown_from_data(at)
    assert h.SURVEYOR_NAME in at.dataframe[0].value["显示名"].tolist()
    at.text_input(key=f"{keys.US_SCOPE_TOWNSHIPS}_surveyor").input(h.PAYLOADS[0])
    next(b for b in at.button if b.label == "保存角色与范围").click()
    at.run()
    [error] = at.error
    assert md(h.PAYLOADS[0]) in error.value  # the message quotes the input: escaped
    assert_no_markdown_from_data(at)


def test_the_sidebar_signs_the_account_and_scope_escaped(db):
    at = run("app.py", "surveyor")
    sources = assert_no_markdown_from_data(at)
    assert md(h.SURVEYOR_NAME) + " · 测评员" in [c.value for c in at.sidebar.caption]
    assert shown(sources, h.COUNTY)
    rounds = at.sidebar.selectbox(key=keys.ROUND)
    assert rounds.format_func(h.ROUND) == f"{h.ROUND} · {h.ROUND_NAME}"  # an option: plain text
