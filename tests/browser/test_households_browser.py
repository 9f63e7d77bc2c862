"""Ten-star households in real Chromium over the demo county: the township liaison, on a phone
(412×915), opens a village of its township, taps a household's stars in and saves the claim; the
page fits the phone's width."""

from __future__ import annotations

import re

import pytest

from survey import auth, service, store
from survey import households as hh

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

TOWNSHIP = "429901100"  # 城关镇: the demo liaison's township
STARS = ("爱党爱国", "遵纪守法", "诚实守信", "勤劳致富", "孝老爱亲", "团结友善", "清洁卫生", "移风易俗")


@pytest.fixture(scope="module")
def households_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("households") / "demo.db"
    service.load_demo(path, auth.operator())
    return path


@pytest.fixture(scope="module")
def server(serve, households_db):
    return serve(households_db)


@pytest.fixture(scope="module")
def village(households_db):
    """A village of 城关镇 with two households on its register."""
    v = next(v for v in store.villages(households_db) if v.township_code == TOWNSHIP)
    op = auth.operator()
    hh.save_household(households_db, op, v.code, "001", "张三", "一组", 4)
    hh.save_household(households_db, op, v.code, "002", "李四", "二组", 3)
    return v


def choose(page, steps, label: str, option: str | re.Pattern, typed: str) -> None:
    steps.choose(page, label, option, typed)


def test_the_liaison_taps_a_households_stars_in_on_a_phone(server, households_db, village, new_page, steps):
    phone = new_page(412, 915)
    phone.goto(server + "/")
    steps.sign_in(phone, "liaison", "demo-liaison")
    phone.goto(f"{server}/households?hh_town={TOWNSHIP}&hh_village={village.code}")  # signed in again
    steps.wait_idle(phone)
    expect(phone.get_by_role("heading", name="十星级文明户：户籍名册与评星")).to_be_visible()
    expect(phone.get_by_role("heading", name=re.compile(re.escape(village.name)))).to_be_visible()

    choose(phone, steps, "选择一户（评星、修改）", "001 · 张三（一组）", "001")
    expect(phone.get_by_role("heading", name=re.compile("评星：户 001"))).to_be_visible()
    for name in STARS:  # large taps, one star each
        steps.rerun(phone, lambda name=name: phone.get_by_role("button", name=name, exact=True).click())
    expect(phone.get_by_text("8 颗星 · 银牌")).to_be_visible()
    steps.rerun(phone, lambda: phone.get_by_role("button", name="保存星级").click())
    expect(phone.get_by_text("已保存户 001 的星级（已申报）")).to_be_visible()

    rating = next(h.rating for h in hh.register(households_db, auth.operator(), village.code) if h.number == "001")
    assert (rating.count, rating.state, rating.tier.name) == (8, hh.CLAIMED, "银牌")
    # nothing wider than the phone: no sideways scrolling of the page
    assert phone.evaluate("document.documentElement.scrollWidth") <= 412
    assert not phone.errors
