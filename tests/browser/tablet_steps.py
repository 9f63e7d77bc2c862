"""Steps of the tablet journeys (the checklist runs in the browser: ui/components/tablet): open a
village, answer an item the way a surveyor taps it, wait until the tablet says everything is
saved. Every wait is on a state the page shows (the banner's data-* attributes, a text), never a
fixed sleep; the waits are long (60 s) because a loaded 2-CPU machine is slow, not wrong."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from PIL import Image

from core import config
from core.model import Round
from survey import auth, service, store

expect = pytest.importorskip("playwright.sync_api").expect

WAIT_MS = 60_000
SURVEYOR = ("surveyor", "demo-survey", "王芳")  # a demo account: 城关镇 is one of its townships


def open_round(path: Path, round_id: str = "2026-T1") -> Round:
    """A round open today (the county's today), the newest, so the sidebar picks it."""
    today = config.today()
    rnd = Round(round_id, "平板测试轮次", (today - dt.timedelta(days=10)).isoformat(),
                (today + dt.timedelta(days=60)).isoformat())
    store.create_round(path, rnd)
    return rnd


def demo_with_round(path: Path, round_id: str = "2026-T1") -> Round:
    service.load_demo(path, auth.operator())
    return open_round(path, round_id)


def open_village(page, base: str, code: str) -> None:
    """The tablet page with the village ``code`` open (from the URL, as after a reload)."""
    page.goto(f"{base}/?village={code}")
    page.get_by_test_id("xf-total").wait_for(timeout=WAIT_MS)


def item(page, code: str):
    return page.get_by_test_id(f"xf-item-{code}")


def tap(page, code: str, label: str) -> None:
    item(page, code).get_by_role("radio", name=label, exact=True).click()


def answer_best(page, it) -> None:
    """The answer that earns every point, as a surveyor gives it."""
    box = item(page, it.code)
    if it.type == "check":
        box.get_by_role("radio", name="符合", exact=True).click()
    elif it.type == "count":
        box.locator("input.count").fill("0")
    else:
        for k in range(len(it.criteria)):
            box.get_by_test_id(f"xf-criterion-{it.code}-{k}").get_by_role("radio", name="符合", exact=True).click()


def net(page):
    return page.get_by_test_id("xf-net")


def wait_saved(page) -> None:
    """Until the tablet says every answer and photo is on the server."""
    banner = net(page)
    expect(banner).to_have_attribute("data-waiting", "0", timeout=WAIT_MS)
    expect(banner).to_have_attribute("data-photos", "0", timeout=WAIT_MS)
    expect(banner).to_have_attribute("data-link", "online", timeout=WAIT_MS)


def total_text(page) -> str:
    return page.get_by_test_id("xf-total").inner_text()


def jpeg_file(path: Path, width: int, height: int, noise: bool = False, exif: Image.Exif | None = None) -> Path:
    img = Image.effect_noise((width, height), 40).convert("RGB") if noise else \
        Image.new("RGB", (width, height), (70, 110, 60))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92, exif=exif or Image.Exif())
    path.write_bytes(out.getvalue())
    return path


def cdp_network(page, latency_ms: float = 0, kbit_s: float | None = None):
    """Chromium's own network emulation (DevTools protocol) for this page: added latency and,
    optionally, the bandwidth both ways."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    throughput = -1 if kbit_s is None else kbit_s * 1000 / 8
    session.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency_ms, "downloadThroughput": throughput,
        "uploadThroughput": throughput})
    return session
