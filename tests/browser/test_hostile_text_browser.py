"""Hostile names in real Chromium: a database whose county, township, village, round name,
surveyor, note, return comment and road are Markdown images and links, HTML, Jinja and
Streamlit directives (``tests/hostile_db.py``), walked through as surveyor (tablet), reviewer
(review with the comment, dashboard, map, export) and admin (setup, accounts). On every page the
texts show literally, no request leaves for 127.0.0.2 (every request outside 127.0.0.1 is
blocked and recorded), no ``javascript:`` link and no image from data exists, nothing is bold or
coloured by a name, the map shows the name and never 1337, and no script error happens.

And the escaper against Streamlit's own renderer: ``md()`` of many payloads in every Markdown
place (body, caption, title, alert, button/checkbox label, radio, pills and segmented options,
metric label/value/delta, expander and tab labels, image caption) shows exactly the payload."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared modules of tests/
import hostile_db as h
from test_text_safety import HOSTILE

from ui.text import WORD_JOINER

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
FOLIUM = "iframe[title='streamlit_folium.st_folium']"

#: Markup a name must never become, in the page or any of its frames.
FORBIDDEN = {
    "javascript link": "a[href^='javascript:' i]",
    "link from data": "a[href*='127.0.0.2']",
    "image from data": "img[src*='127.0.0.2'], img[src='x']",
    "bold name": "strong:text-is('粗')",
    "coloured name": ".stMarkdownColoredText:text-is('红')",
}


class Watch:
    """A browser context whose requests outside 127.0.0.1 are blocked and recorded, with the
    script errors of its pages."""

    def __init__(self, chromium):
        self.context = chromium.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN")
        self.context.set_default_timeout(60_000)  # a cold first run on a busy machine
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "blob:", "about:")):
            route.continue_()
            return
        self.blocked.append(url)
        route.abort()


#: What the page shows: its text, its fields' values and its tables' cells (a table is drawn on a
#: canvas; Streamlit mirrors its cells in an accessible table), with what components draw in
#: their shadow roots (the tablet's checklist), word joiners removed.
SHOWN = """() => {
  const roots = [...document.querySelectorAll('*')].filter(e => e.shadowRoot).map(e => e.shadowRoot);
  return [document.body.innerText,
    ...roots.flatMap(r => [...r.children].map(c => c.innerText || '')),
    ...[document, ...roots].flatMap(r => [...r.querySelectorAll('input, textarea')].map(e => e.value)),
    ...[...document.querySelectorAll("[data-testid='stDataFrame'] td")].map(e => e.textContent)
  ].join('\\n').replaceAll('\\u2060', '');
}"""


def check(watch: Watch, *expected: str) -> None:
    """The page shows ``expected`` literally (waiting for widgets still loading their code),
    and nothing of the names became markup."""
    page = watch.page
    try:
        page.wait_for_function(f"texts => {{ const shown = ({SHOWN})(); "
                               "return texts.every(t => shown.includes(t)); }", arg=list(expected))
    except sync_api.TimeoutError:
        shown = page.evaluate(SHOWN)
        raise AssertionError([t for t in expected if t not in shown]) from None
    for frame in page.frames:
        for what, selector in FORBIDDEN.items():
            assert frame.locator(selector).count() == 0, (what, frame.url)
    assert watch.blocked == [] and watch.errors == []


def go(page, steps, link: str) -> None:
    steps.rerun(page, lambda: page.get_by_role("link", name=link, exact=True).click())


def choose(page, steps, label: str, option: str | re.Pattern, typed: str) -> None:
    steps.choose(page, label, option, typed)


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    return serve(h.build(tmp_path_factory.mktemp("hostile") / "hostile.db"))


def test_the_surveyor_sees_the_village_literally_on_the_tablet(server, chromium, steps):
    watch = Watch(chromium)
    page = watch.page
    page.goto(server + "/")
    steps.sign_in(page, "surveyor", h.PASSWORD)
    check(watch, h.SURVEYOR_NAME, h.COUNTY)  # the sidebar: account and scope
    page.goto(f"{server}/?town={h.TOWNSHIP_CODE}&village={h.HOSTILE_CODE}")  # signed in again
    page.get_by_role("heading", level=3).first.wait_for()
    steps.wait_idle(page)
    # the checklist (drawn by the browser), and the office's comment above it while correcting
    check(watch, f"{h.VILLAGE}（{h.TOWNSHIP}）", h.NOTE, h.ROUND_NAME, h.SURVEYOR_NAME, h.COMMENT)
    go(page, steps, "我的提交")
    check(watch, h.VILLAGE, h.COMMENT)
    watch.context.close()


def test_the_reviewer_sees_names_and_comment_literally_on_every_office_page(server, chromium, steps):
    watch = Watch(chromium)
    page = watch.page
    page.goto(server + "/")
    steps.sign_in(page, "reviewer", h.PASSWORD)
    check(watch, h.COUNTY, h.TOWNSHIP, h.SURVEYOR_NAME)  # scope, and the pending list
    choose(page, steps, "状态", "已退回", "已退回")
    choose(page, steps, "打开提交", re.compile(re.escape(h.HOSTILE_CODE)), h.HOSTILE_CODE)
    page.get_by_text("退回意见（").wait_for()
    check(watch, h.VILLAGE, h.TOWNSHIP, h.SURVEYOR_NAME, h.COMMENT, h.NOTE)

    go(page, steps, "目标达成")
    check(watch, h.ROUND_NAME, h.COUNTY, h.TOWNSHIP)

    go(page, steps, "地图")
    map_frame = page.frame_locator(FOLIUM)
    villages = map_frame.locator("path.xf-village")
    villages.first.wait_for()
    popup = map_frame.locator(".leaflet-popup-content")
    for _ in range(10):  # a click during Leaflet's zoom animation lands on the map pane
        villages.first.click(force=True)  # by code: the hostile village first
        try:
            popup.wait_for(timeout=1000)
            break
        except sync_api.TimeoutError:
            continue
    assert h.VILLAGE in popup.inner_text()
    inner = next(f for f in page.frames if f.url.startswith(server) and f.locator("path.xf-village").count())
    assert h.EVALUATED not in inner.content() and "{{ 7*191 }}" in inner.evaluate("document.body.innerText")
    check(watch, h.ROAD, h.VILLAGE)

    go(page, steps, "上报省级")
    check(watch, h.ROUND_NAME, h.TOWNSHIP)  # (the returned submission is not exported)
    watch.context.close()


def test_the_admin_sees_rounds_and_accounts_literally(server, chromium, steps):
    watch = Watch(chromium)
    page = watch.page
    page.goto(server + "/")
    steps.sign_in(page, "admin", h.PASSWORD)
    go(page, steps, "设置")
    check(watch, h.ROUND_NAME)
    go(page, steps, "账号")
    check(watch, h.SURVEYOR_NAME)
    watch.context.close()


# --- md() against Streamlit's renderer --------------------------------------------------------

ONE_LINE = [p for p in HOSTILE if "\n" not in p]
RENDER_APP = '''
import streamlit as st
from PIL import Image
from ui.text import md

payloads = {payloads!r}
multi = {multi!r}
for n, p in enumerate(payloads):
    with st.container(key=f"case_{{n}}"):
        st.markdown(md(p))
        st.caption(md(p))
        st.subheader(md(p), anchor=False)
        st.error(md(p))
        st.button(md(p), key=f"b{{n}}")
        st.checkbox(md(p), key=f"c{{n}}")
        st.radio("r", [p], format_func=md, key=f"r{{n}}")
        st.pills("p", [p], format_func=md, key=f"p{{n}}")
        st.segmented_control("s", [p], format_func=md, key=f"s{{n}}")
        st.metric(md(p), md(p), md(p))
        st.expander(md(p))
        st.tabs([md(p)])
        st.image(Image.new("RGB", (8, 8)), caption=md(p))
for n, p in enumerate(multi):
    with st.container(key=f"multi_{{n}}"):
        st.markdown(md(p))
'''


@pytest.fixture(scope="module")
def render_server(tmp_path_factory):
    """A bare Streamlit script that renders md() of every payload in every Markdown place."""
    folder = tmp_path_factory.mktemp("render")
    script = folder / "render.py"
    script.write_text(RENDER_APP.format(payloads=ONE_LINE, multi=[p for p in HOSTILE if "\n" in p]),
                      encoding="utf-8")
    from conftest import START_TIMEOUT_S, free_port

    port = free_port()
    log = (folder / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:  # the health endpoint answers once the server is up
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name}") from None
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


ICONS = r"^(keyboard_arrow_right|keyboard_arrow_down|arrow_upward|arrow_downward) "  # Material ligatures


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(WORD_JOINER, "")).strip()


def test_md_shows_exactly_the_payload_in_every_markdown_place(render_server, chromium, steps):
    watch = Watch(chromium)
    page = watch.page
    page.goto(render_server)
    page.locator(f".st-key-case_{len(ONE_LINE) - 1} [data-testid='stImage']").wait_for()
    steps.wait_idle(page)
    places = {
        "markdown": ".stMarkdown [data-testid='stMarkdownContainer']",
        "caption": "[data-testid='stCaptionContainer']",
        "subheader": "h3",
        "alert": "[data-testid='stAlertContentError']",
        "button": "[data-testid='stButton'] button",
        "checkbox": "[data-testid='stCheckbox'] label",
        "radio option": "[data-testid='stRadio'] [role='radiogroup'] label",
        "pills option": "[data-testid='stButtonGroup'] button",
        "metric label": "[data-testid='stMetricLabel']",
        "metric value": "[data-testid='stMetricValue']",
        "metric delta": "[data-testid='stMetricDelta']",
        "expander": "[data-testid='stExpander'] summary",
        "tab": "[role='tab']",
        "image caption": "[data-testid='stImageCaption']",
    }
    for n, payload in enumerate(ONE_LINE):
        case = page.locator(f".st-key-case_{n}")
        for place, selector in places.items():
            found = case.locator(selector)
            assert found.count() >= 1, (place, payload)
            for i in range(found.count()):
                shown = re.sub(ICONS, "", _flat(found.nth(i).inner_text())).strip()
                assert shown == _flat(payload), (place, payload, shown)
    for n, payload in enumerate(p for p in HOSTILE if "\n" in p):
        shown = page.locator(f".st-key-multi_{n} [data-testid='stMarkdownContainer']").inner_text()
        assert _flat(shown) == _flat(payload)
    check(watch)
    for selector in ("h1, h2, h4, ul, ol, blockquote, hr, table, code, del, em, .katex",):
        assert page.locator(f"[data-testid='stMarkdownContainer'] :is({selector})").count() == 0
    watch.context.close()
