"""Shared fixtures of the real-browser journeys (``pytest -m browser``).

- ``demo_db``: the demo county loaded into a database in tmp (with its trial accounts).
- ``serve(db)``: ``streamlit run serve.py`` (the app with its own routes, as ``make run``) on a
  free port with ``SURVEY_DB=db``; returns the base URL. Servers stop at the end of the session.
  ``demo_server`` is ``serve(demo_db)``.
- ``chromium``: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright; no browser
  download. ``new_page(width, height, **context options)`` opens a page in a fresh context.
- ``steps``: ``steps.wait_idle(page)`` waits for the app's own script-state attribute;
  ``steps.rerun(page, action)`` does ``action`` and waits until the rerun it causes has
  finished (never a fixed sleep); ``steps.sign_in(page, name, password)`` signs in.
  The same functions can be imported (``from conftest import wait_idle``), but a fixture is
  safer: tests/ holds more than one module named conftest.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SIDEBAR_OPEN = "() => document.querySelector(\"[data-testid='stSidebar']\").getBoundingClientRect().left >= 0"
START_TIMEOUT_S = 90
#: How long any wait for a state may last before the test fails (Playwright's default is 5 s).
#: CI is a busy 2-core machine where Chromium, the app server and the tests share the cores: a
#: widget's code can still be loading 5 s after a reload. Every wait still ends the moment its
#: state holds; this is a cap, never a sleep.
STATE_TIMEOUT_MS = 45_000
sync_api.expect.set_options(timeout=STATE_TIMEOUT_MS)

# Counts finished script runs (fragment runs too) by watching the app's script-state attribute.
_WATCH_RUNS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.__xfRuns = 0;
  if (!window.__xfWatch) {
    window.__xfWatch = new MutationObserver(records => {
      for (const r of records) if (r.oldValue === 'running') window.__xfRuns += 1;
    });
    window.__xfWatch.observe(app, {attributes: true, attributeOldValue: true,
                                   attributeFilter: ['data-test-script-state']});
  }
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Signed in (the sign-out button shows), or the tap was lost: the app idle again on the login
#: form with its fields emptied and no message.
_SIGNED_IN_OR_FORM_BACK = """() => {
  const out = [...document.querySelectorAll('button')].some(b => b.innerText.includes('退出登录'));
  if (out) return true;
  const app = document.querySelector("[data-testid='stApp']");
  const name = document.querySelector("input[aria-label='账号']");
  return app && app.dataset.testScriptState === 'notRunning' && name && name.value === ''
    && !document.querySelector("[data-testid='stAlert'] [data-testid='stAlertContentError']")
    && !document.querySelector("[data-testid='stAlertContentError']");
}"""


class Steps:
    """Waiting on the app itself, the way a person waits for the page to settle."""

    @staticmethod
    def wait_idle(page) -> None:
        """Wait until the app is not running a script."""
        page.wait_for_selector(IDLE)

    @classmethod
    def rerun(cls, page, action: Callable[[], object]) -> None:
        """Do ``action`` (a tap, a fill...) and wait until the script run it causes is over."""
        cls.wait_idle(page)
        page.evaluate(_WATCH_RUNS)
        action()
        page.wait_for_function("() => window.__xfRuns > 0")
        cls.wait_idle(page)

    @classmethod
    def choose(cls, page, label: str, option, typed: str) -> None:
        """Pick ``option`` (text or pattern) in the select box ``label`` as a person does on a
        busy tablet: tap it and type ``typed`` (which opens its list, narrowed to the matches),
        then take the first match (Enter) and wait for the run it causes. A bare tap may land while the page
        is still settling and leave the list shut (focused, ``aria-expanded`` false); typing
        opens it then."""
        cls.wait_idle(page)
        box = page.get_by_label(label)
        box.click()
        box.press_sequentially(typed)
        # the list re-renders as each key narrows it: wait for the wanted option, then take the
        # first match with Enter (typing focuses it), as a person does on a keyboard
        page.get_by_role("option", name=option).first.wait_for()
        cls.rerun(page, lambda: box.press("Enter"))

    @staticmethod
    def open_sidebar(page) -> None:
        """Open the sidebar if it is collapsed, as a person taps its arrow (the app starts with
        it collapsed on a portrait tablet; Streamlit remembers the choice in the browser)."""
        expand = page.get_by_test_id("stExpandSidebarButton")
        if expand.is_visible():
            expand.click()
        page.wait_for_function(SIDEBAR_OPEN)

    @classmethod
    def sign_in(cls, page, name: str, password: str, open_sidebar: bool = True) -> None:
        """Sign in on the login page (the first page of a new session), and wait until the
        server has answered the browser's one-time code with the session cookie (so that a
        reload or a new address right after is signed in too). On a portrait tablet (wider
        than 768 px, where Streamlit itself keeps the sidebar open) the app starts with the
        sidebar collapsed: it is opened, as the journeys use it, unless ``open_sidebar`` is
        False."""
        with page.expect_response(lambda r: r.url.endswith("/auth/session")
                                  and r.request.method == "POST") as answer:
            for _ in range(3):  # a tap the page lost (it settles back on the empty form): tap again
                cls.wait_idle(page)
                page.get_by_label("账号").fill(name)
                page.get_by_label("密码").fill(password)
                page.get_by_role("button", name="登录").click()
                page.wait_for_function(_SIGNED_IN_OR_FORM_BACK, polling=100)
                if page.get_by_role("button", name="退出登录").count():
                    break
            page.get_by_role("button", name="退出登录").wait_for()
        assert answer.value.status == 204
        cls.wait_idle(page)
        if open_sidebar and (page.viewport_size or {}).get("width", 0) > 768:
            cls.open_sidebar(page)


#: The same as plain functions, for modules of this folder that import them.
wait_idle, rerun, sign_in = Steps.wait_idle, Steps.rerun, Steps.sign_in


@pytest.fixture(scope="session")
def steps() -> type[Steps]:
    return Steps


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo county (registry, roads, round 2026-B3, submissions, trial accounts) in tmp."""
    from survey import auth, service

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    service.load_demo(path, auth.operator())
    return path


@pytest.fixture(scope="session")
def serve(tmp_path_factory) -> Iterator[Callable[[Path], str]]:
    """``serve(db) -> base URL``: the app's server (serve.py) over ``db`` on a free port."""
    procs: list[subprocess.Popen] = []

    def start(db: Path) -> str:
        port = free_port()
        log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
        SERVER_LOGS.append(log_path)
        log = log_path.open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"),
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, "SURVEY_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # the health endpoint answers once the server is up
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        return url
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start; see {log.name}") from None
                time.sleep(0.2)

    yield start
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def demo_server(serve, demo_db) -> str:
    return serve(demo_db)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser-deps)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


#: The logs of the servers started by ``serve`` (newest last), for the failure notes.
SERVER_LOGS: list[Path] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed journey's report gets what its pages showed (address, script state, visible
    text) and the end of the newest server's log, so that a CI log explains itself."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or call.when != "call":
        return
    opener = getattr(item, "funcargs", {}).get("new_page")
    notes = [_failure_note(page) for context in getattr(opener, "contexts", []) for page in context.pages]
    if notes:
        report.sections.append(("pages at failure", "\n".join(notes)))
    if SERVER_LOGS:
        tail = SERVER_LOGS[-1].read_bytes()[-3000:].decode("utf-8", "replace")
        report.sections.append((f"end of {SERVER_LOGS[-1]}", tail))


def _failure_note(page) -> str:
    """What the page showed when a journey failed: its address, the app's script state and
    its visible text (shortened), for a CI log that explains itself."""
    try:
        state = page.evaluate("document.querySelector(\"[data-testid='stApp']\")?.dataset.testScriptState")
        text = page.evaluate("document.body ? document.body.innerText : ''")
    except Exception as exc:  # a page already closed or crashed
        return f"{page.url}: page unreadable ({exc})"
    text = " ".join(text.split())
    return f"{page.url} (script state {state}): {text[:1500]}"


@pytest.fixture
def new_page(chromium):
    """``new_page(width, height, **context options)``: a page in its own browser context
    (Chinese locale), with page errors collected in ``page.errors``; closed after the test.
    When the test fails, each page's address, script state and visible text are added to its
    report (a section "pages at failure")."""
    contexts = []

    def open_page(width: int = 1024, height: int = 768, **options):
        context = chromium.new_context(viewport={"width": width, "height": height},
                                       locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(STATE_TIMEOUT_MS)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    open_page.contexts = contexts
    yield open_page
    for context in contexts:
        context.close()
