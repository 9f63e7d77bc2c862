"""Every page runs under app.py's navigation, also when several sessions load pages at once
right after a server start (``ui.nav.through_router``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scoped_db import sign_in
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

from core.model import Round
from survey import store
from ui import keys
from ui.text import plain

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def at(tmp_path, monkeypatch) -> AppTest:
    db = tmp_path / "t.db"
    store.create_round(db, Round("2026-B3", "第三次双月测评"))
    monkeypatch.setenv("SURVEY_DB", str(db))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in(app, db, "reviewer")
    return app.run()


def _legacy_run_after_another_session_routed(monkeypatch) -> None:
    """This session's run starts in Streamlit's legacy ``pages/`` mode (the page file on its
    own), and another session's ``st.navigation`` switches the mode off before this page asks:
    the process-wide flag says "routed", this run is not."""
    legacy = script_runner._mpa_v1

    def raced(main_script_path: str) -> None:
        PagesManager.uses_pages_directory = False  # another session's app.py, meanwhile
        legacy(main_script_path)

    monkeypatch.setattr(script_runner, "_mpa_v1", raced)


def test_a_page_loaded_on_its_own_reruns_through_the_router(at):
    at.switch_page(str(ROOT / "pages" / "review.py")).run()
    assert not at.exception
    assert at.selectbox(key=keys.ROUND).value == "2026-B3"  # app.py's sidebar: the round chosen
    assert plain("no_round") not in [i.value for i in at.info]


def test_a_page_loaded_while_another_session_switched_the_mode_off_still_goes_through_the_router(
        at, monkeypatch):
    _legacy_run_after_another_session_routed(monkeypatch)
    at.switch_page(str(ROOT / "pages" / "review.py")).run()
    assert not at.exception
    assert at.selectbox(key=keys.ROUND).value == "2026-B3"  # app.py ran: its sidebar, the round
    assert plain("no_round") not in [i.value for i in at.info]
    assert [t.value for t in at.title] == ["审核测评结果"]
