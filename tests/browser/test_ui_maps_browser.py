"""Issue 19 in real Chromium: a village's page from its popup and back to the same map (item 9),
a portrait tablet's sidebar and touch targets (item 14), an online base layer that cannot load
its tiles says so (item 17). Requests outside 127.0.0.1 are blocked, as on a county LAN."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared fixtures of tests/
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_map_browser import Watch
from test_map_page import HEKOU, PASSWORD, REVIEWER, build_map_db

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser
FRAME = "iframe[title='streamlit_folium.st_folium']"


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    return serve(build_map_db(tmp_path_factory.mktemp("uimaps") / "map.db"))


def open_popup(frame, village):
    """Click ``village`` (a circle marker) until its popup is open (a click during Leaflet's
    zoom animation lands on the map pane)."""
    popup = frame.locator(".leaflet-popup-content")
    for _ in range(10):
        village.click(force=True)
        try:
            popup.wait_for(timeout=1000)
            return popup
        except sync_api.TimeoutError:
            continue
    popup.wait_for()
    return popup


def test_a_village_popup_opens_its_page_and_leads_back_to_the_same_map(server, chromium, steps):
    watch = Watch(chromium)
    page = watch.page
    page.goto(f"{server}/map?scope={HEKOU}")  # the map of one township (the address keeps it)
    steps.sign_in(page, REVIEWER, PASSWORD)
    frame = page.frame_locator(FRAME)
    villages = frame.locator("path.xf-village")
    villages.first.wait_for()
    assert villages.count() == 2  # 丁村 and 戊村 of 河口镇
    popup = open_popup(frame, frame.locator("path.xf-vetoed"))
    assert "丁村" in popup.inner_text()
    popup.get_by_role("link", name="查看测评详情、照片和记录").click()
    page.wait_for_url("**/map?*village=429901101201*")
    steps.wait_idle(page)
    sync_api.expect(page.get_by_role("heading", name="丁村（河口镇 · 429901101201）")).to_be_visible()
    sync_api.expect(page.get_by_text("测评轮次 2026-B3 的提交")).to_be_visible()
    steps.rerun(page, lambda: page.get_by_role("button", name="返回地图").click())
    sync_api.expect(page.get_by_role("heading", name="地图：测评结果与文明示范带")).to_be_visible()
    assert "village=" not in page.url and f"scope={HEKOU}" in page.url
    frame = page.frame_locator(FRAME)
    frame.locator("path.xf-village").first.wait_for()
    assert frame.locator("path.xf-village").count() == 2  # the same township as before
    # (Streamlit opened at a page's own address first probes <page>/_stcore/…: its 404s are no fault)
    assert watch.blocked == [] and [e for e in watch.errors if "/map/_stcore/" not in e] == []
    page.close()


def test_an_online_base_layer_without_internet_says_so_in_the_map(server, chromium, steps):
    watch = Watch(chromium)  # every tile request leaves 127.0.0.1: blocked, as with no internet
    page = watch.page
    page.goto(f"{server}/map?base=osm")
    steps.sign_in(page, REVIEWER, PASSWORD)
    notice = page.frame_locator(FRAME).locator(".xf-tile-notice")
    sync_api.expect(notice).to_be_visible()
    assert "OpenStreetMap" in notice.inner_text() and "需要联网" in notice.inner_text()
    assert watch.blocked and all("tile.openstreetmap.org" in url for url in watch.blocked)
    page.close()


def heights(page, selector: str) -> list[float]:
    boxes = [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]
    return [b["height"] for b in boxes if b and b["height"] > 0]


@pytest.mark.parametrize("width, height, collapsed", [(800, 1280, True), (1366, 768, False)])
def test_a_portrait_tablet_starts_with_the_sidebar_collapsed(server, new_page, steps, width, height, collapsed):
    page = new_page(width, height)
    page.goto(f"{server}/map")
    steps.sign_in(page, REVIEWER, PASSWORD, open_sidebar=False)
    sidebar = page.locator("[data-testid='stSidebar']")
    if collapsed:  # collapsed: moved out of sight
        page.wait_for_function("() => document.querySelector(\"[data-testid='stSidebar']\")"
                               ".getBoundingClientRect().right <= 0")
    else:
        steps.wait_idle(page)
        assert sidebar.bounding_box()["width"] > 200
    steps.open_sidebar(page)  # one tap opens it
    assert sidebar.bounding_box()["x"] >= 0 and sidebar.bounding_box()["width"] > 200
    assert page.errors == []


def test_pickers_buttons_and_expanders_are_44_px_tall_and_the_round_name_is_whole(server, new_page, steps):
    page = new_page(1366, 768)
    page.goto(f"{server}/map")
    steps.sign_in(page, REVIEWER, PASSWORD)
    page.get_by_role("heading", name="地图：测评结果与文明示范带").wait_for()
    page.locator(".stButton button").first.wait_for()  # the sidebar's sign-out
    steps.wait_idle(page)
    pickers = heights(page, "[data-testid='stSelectbox'] [role='group']")
    buttons = heights(page, ".stButton button")
    inputs = heights(page, "[data-testid='stTextInput'] input")
    assert pickers and buttons and inputs
    assert min(pickers + buttons + inputs) >= 44, (pickers, buttons, inputs)
    page.get_by_role("link", name="审核").click()  # a page with an expander (bulk approval)
    page.get_by_role("heading", name="审核测评结果").wait_for()
    page.locator("[data-testid='stExpander'] summary").first.wait_for()
    steps.wait_idle(page)
    expanders = heights(page, "[data-testid='stExpander'] summary")
    assert expanders and min(expanders) >= 44, expanders
    name = page.locator("[data-testid='stSidebar'] [data-testid='stCaptionContainer']").filter(
        has_text="第三次双月测评")
    sync_api.expect(name).to_be_visible()
    assert name.evaluate("e => e.scrollWidth <= e.clientWidth")
