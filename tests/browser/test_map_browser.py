"""The map in real headless Chromium with every request outside 127.0.0.1 blocked: the
standalone file of ``python -m survey map`` and the map page of ``streamlit run app.py``.
Every village is drawn, a popup opens and shows a hostile name as text, no script error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared fixture of tests/
from test_map_page import PASSWORD, REVIEWER, VILLAGES, XSS, build_map_db

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


class Watch:
    """A page whose requests outside 127.0.0.1 / file:// are blocked and recorded, with its
    script errors."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1300, "height": 900})
        self.page.set_default_timeout(60_000)  # a cold first run on a busy 2-core machine
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", self._console)
        self.page.context.route("**/*", self._route)

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file://", "data:", "blob:", "http://127.0.0.1")):
            route.continue_()
            return
        self.blocked.append(url)
        route.abort()


def check_map(frame, watch: Watch) -> None:
    """Every located village drawn; a popup opens with the hostile name as text."""
    villages = frame.locator("path.xf-village")
    villages.first.wait_for()
    assert villages.count() == len(VILLAGES)
    hostile = frame.locator(".xf-legend")  # the legend is drawn too
    assert "达标 (1)" in hostile.inner_text() and "未测评 (2)" in hostile.inner_text()
    popup = frame.locator(".leaflet-popup-content")
    for _ in range(10):  # a click during Leaflet's zoom animation lands on the map pane: click again
        villages.nth(0).click(force=True)  # sorted by code: the first is the one named like an attack
        try:
            popup.wait_for(timeout=1000)
            break
        except sync_api.TimeoutError:
            continue
    popup.wait_for()
    assert popup.locator("b").first.inner_text() == XSS
    assert popup.locator("img").count() == 0
    assert "达标" in popup.inner_text() and "G107" in popup.inner_text()
    assert watch.blocked == [] and watch.errors == []


def test_standalone_map_file_opens_with_no_network(tmp_path, chromium):
    db = build_map_db(tmp_path / "map.db")
    out = tmp_path / "map.html"
    done = subprocess.run([sys.executable, "-m", "survey", "--db", str(db), "map", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    watch = Watch(chromium)
    watch.page.goto(out.as_uri())
    check_map(watch.page, watch)
    watch.page.close()


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    """``streamlit run app.py`` (the shared ``serve`` fixture) over the small map database."""
    return serve(build_map_db(tmp_path_factory.mktemp("map") / "map.db"))


def test_map_page_draws_every_village_offline(server, chromium, steps):
    watch = Watch(chromium)
    page = watch.page
    page.goto(server + "/")
    steps.sign_in(page, REVIEWER, PASSWORD)
    page.get_by_role("link", name="地图").click()
    page.wait_for_selector(IDLE)
    check_map(page.frame_locator("iframe[title='streamlit_folium.st_folium']"), watch)
    page.close()
