"""A page the role may not open, reached by its address, says so in the app's own words (not
Streamlit's English "Page not found"), and leaves the menu as the role knows it."""

from __future__ import annotations

import pytest
from scoped_db import PASSWORD, build

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    return serve(build(tmp_path_factory.mktemp("forbidden") / "scoped.db"))


@pytest.mark.parametrize(("name", "address", "menu"), [
    ("wang", "/dashboard", "实地测评"), ("wang", "/users", "实地测评"), ("rev-a", "/setup", "审核")])
def test_a_forbidden_address_shows_the_apps_own_message(server, new_page, steps, name, address, menu):
    page = new_page(1024, 768)
    page.goto(server + "/")
    steps.sign_in(page, name, PASSWORD)
    page.goto(server + address)  # a new session: signed in again by the cookie
    steps.wait_idle(page)
    expect(page.get_by_text("当前账号无权查看此页面")).to_be_visible()
    assert "Page not found" not in page.inner_text("body")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name=menu).first).to_be_visible()
    # the forbidden page is not offered in the menu
    assert "账号管理" not in nav.inner_text() and "设置" not in nav.inner_text()
    assert not page.errors
