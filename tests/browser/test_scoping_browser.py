"""Scoping in real Chromium: a surveyor of county A who opens county B's village by its URL
sees nothing of it (the same URL shows it to an administrator), and reaches no office page by
URL either. Nobody signed in sees only the login page at any address."""

from __future__ import annotations

import pytest
from conftest import wait_idle
from scoped_db import B1, PASSWORD, build

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

VB = B1 + "201"  # 丁村, 河口镇, 乙县 (county 429902)
COUNTY_B = ("丁村", "河口镇", "乙县", "429902")
VILLAGE_URL = f"/tablet?town={B1}&village={VB}"


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    return serve(build(tmp_path_factory.mktemp("scoping") / "scoped.db"))


def open_signed_in(new_page, server: str, address: str, name: str):
    """A new session at ``address``: the login page, then signed in as ``name``."""
    page = new_page(1024, 768)
    page.goto(server + address)
    wait_idle(page)
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    assert not any(word in page.inner_text("body") for word in COUNTY_B)
    page.get_by_label("账号").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()
    wait_idle(page)
    return page


def test_a_surveyor_opening_another_countys_village_by_url_sees_nothing_of_it(server, new_page):
    page = open_signed_in(new_page, server, VILLAGE_URL, "wang")
    expect(page.get_by_role("heading", name="实地测评")).to_be_visible()
    expect(page.get_by_text("王芳 · 测评员")).to_be_visible()
    text = page.inner_text("body")
    assert not [word for word in COUNTY_B if word in text]
    assert VB not in page.url
    picker = page.locator(".st-key-village input")
    picker.click()
    picker.press_sequentially("村")  # opens the list even when the tap landed as the page settled
    page.get_by_role("option").first.wait_for()
    options = page.get_by_role("option").all_inner_texts()
    assert options and not [o for o in options if any(word in o for word in COUNTY_B)]
    assert any("甲村" in o for o in options)
    assert not page.errors


def test_the_same_url_opens_the_village_for_an_administrator(server, new_page):
    page = open_signed_in(new_page, server, VILLAGE_URL, "admin")
    expect(page.get_by_text("丁村（河口镇）")).to_be_visible()


@pytest.mark.parametrize("address", ["/dashboard?dash_county=429902", "/export", "/review", "/users"])
def test_a_surveyor_reaches_no_other_countys_data_through_any_page_url(server, new_page, address):
    page = open_signed_in(new_page, server, address, "wang")
    text = page.inner_text("body")
    assert not [word for word in COUNTY_B if word in text]
    assert "账号管理" not in text and "上报省级" not in text
