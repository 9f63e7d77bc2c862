"""The Chinese UI speaks Chinese where Streamlit's own widgets do not (issue 19, item 12): the
file uploaders say in Chinese what their English box means, and every date picker shows dates
in one Chinese order (year/month/day)."""

from __future__ import annotations

from pathlib import Path

from scoped_db import ROUND, sign_in
from streamlit.testing.v1 import AppTest

from ui import keys

PAGES = Path(__file__).resolve().parents[1] / "pages"
HINT = "把文件拖到下面的框里（Drag and drop），或点框内的“Browse files”（浏览文件）选择；"


def run(db, monkeypatch, page: str, role: str = "admin") -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(str(PAGES / page), default_timeout=60)
    sign_in(at, db, role)
    at.session_state[keys.ROUND] = ROUND
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_setup_uploaders_say_in_chinese_what_their_box_means(scoped, monkeypatch):
    at = run(scoped, monkeypatch, "setup.py")
    hints = [c.value for c in at.caption if c.value.startswith(HINT)]
    assert len(hints) == 2  # the village list and the ODK/Kobo export
    assert "可上传 CSV、XLSX、XLS、GEOJSON、JSON、ZIP，每个文件不超过 50 MB" in hints[0]


def test_the_ledger_photo_uploader_says_it_in_chinese(scoped, monkeypatch):
    at = run(scoped, monkeypatch, "ledger.py")
    assert any(c.value.startswith(HINT) and "JPG、JPEG、PNG" in c.value for c in at.caption)


def test_every_date_picker_shows_year_month_day(scoped, monkeypatch):
    setup = run(scoped, monkeypatch, "setup.py")
    review = run(scoped, monkeypatch, "review.py")
    ledger = run(scoped, monkeypatch, "ledger.py")
    pickers = [*setup.date_input, *review.date_input, *ledger.date_input]
    assert {p.key for p in pickers} >= {keys.SETUP_ROUND_START, keys.SETUP_ROUND_END, keys.RV_DATES,
                                        keys.LG_OPEN_DEADLINE}
    assert {p.proto.format for p in pickers} == {"YYYY/MM/DD"}
