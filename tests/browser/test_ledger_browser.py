"""The fix-it ledger end to end in real Chromium over the demo county: a reviewer approves a
submission (its findings open entries), the township liaison (a phone, 412×915) reports a fix
with a photo, a surveyor on the tablet (800×1280) re-checks it with a photo and it is closed."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from survey import auth, ledger, review, service

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

ROUND = "2026-B3"
TOWNSHIP = "429901100"  # 城关镇: the demo liaison's township, one of the demo surveyor's


@pytest.fixture(scope="module")
def ledger_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("ledger") / "demo.db"
    service.load_demo(path, auth.operator())
    return path


@pytest.fixture(scope="module")
def server(serve, ledger_db):
    return serve(ledger_db)


def choose(page, steps, label: str, option: str | re.Pattern, typed: str) -> None:
    steps.choose(page, label, option, typed)


def photo(tmp_path, name: str, color) -> str:
    path = tmp_path / name
    Image.new("RGB", (1600, 1200), color).save(path, "JPEG")
    return str(path)


def test_approve_then_the_liaison_fixes_with_a_photo_then_a_recheck_closes(server, ledger_db, new_page, steps,
                                                                         tmp_path):
    admin = auth.operator()
    item = review.queue(ledger_db, admin, ROUND, township=TOWNSHIP)[0]
    assert item.findings > 0

    # The county office approves the submission: its findings open entries.
    office = new_page(1280, 900)
    office.goto(server + "/")
    steps.sign_in(office, "reviewer", "demo-review")
    choose(office, steps, "打开提交", re.compile(re.escape(item.village_code)), item.village_code)
    steps.rerun(office, lambda: office.get_by_role("button", name="通过", exact=True).click())
    expect(office.get_by_text(f"已通过：{item.village}")).to_be_visible()
    opened = ledger.entries(ledger_db, admin, village=item.village_code)
    assert len(opened) == item.findings and {e.status for e in opened} == {"open"}
    steps.rerun(office, lambda: office.get_by_role("link", name="整改台账").click())
    expect(office.get_by_role("heading", name="整改台账")).to_be_visible()

    # The township liaison, on a phone: its open entries; one fixed with a photo.
    phone = new_page(412, 915)
    phone.goto(server + "/")
    steps.sign_in(phone, "liaison", "demo-liaison")
    expect(phone.get_by_role("heading", name="整改上报")).to_be_visible()
    target = opened[0]
    card = phone.locator(f".st-key-lg_entry_{target.id}")
    card.wait_for()
    card.locator("textarea").fill("已清理并落实日常保洁")
    card.locator("input[type=file]").set_input_files(photo(tmp_path, "after.jpg", (60, 140, 80)))
    expect(card.get_by_text("after.jpg")).to_be_visible()
    steps.rerun(phone, lambda: card.get_by_role("button", name="标记已整改").click())
    expect(phone.get_by_text(f"已上报整改：#{target.id}")).to_be_visible()
    assert ledger.entry(ledger_db, admin, target.id).status == "fixed"
    assert not phone.errors

    # A surveyor on the tablet re-checks it on the spot, with a photo: closed.
    tablet = new_page(800, 1280)
    tablet.goto(server + "/")
    steps.sign_in(tablet, "surveyor", "demo-survey")
    steps.rerun(tablet, lambda: tablet.get_by_role("link", name="整改复查").click())
    choose(tablet, steps, "选择村（括号内为待复查数）", re.compile(re.escape(item.village)), item.village)
    card = tablet.locator(f".st-key-lg_entry_{target.id}")
    expect(card.get_by_text("整改情况（城关镇联络员（演示））：已清理并落实日常保洁")).to_be_visible()
    expect(card.locator("img")).to_have_count(1)  # the after-photo (the import brought none before)
    card.locator("input[type=file]").set_input_files(photo(tmp_path, "recheck.jpg", (50, 90, 160)))
    expect(card.get_by_text("recheck.jpg")).to_be_visible()
    steps.rerun(tablet, lambda: card.get_by_role("button", name="通过，销号").click())
    expect(tablet.get_by_text(f"已销号：#{target.id}")).to_be_visible()
    closed = ledger.entry(ledger_db, admin, target.id)
    assert (closed.status, closed.rechecked_by) == ("closed", "王芳")
    assert [p.kind for p in ledger.entry_photos(ledger_db, admin, target.id)] == ["after", "recheck"]
    assert not tablet.errors and not office.errors
