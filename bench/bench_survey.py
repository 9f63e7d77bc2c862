"""Benchmark: the tablet page on a slow link, in headless Chromium against ``streamlit run
serve.py`` (the app with its own routes), with Chromium's own network emulation (DevTools
protocol ``Network.emulateNetworkConditions``).

- tap-to-score: the time from a tap on an answer to the new score on the page (the next frame),
  with no added latency and with 400 ms added to every request (goal: under 100 ms either way:
  the checklist scores in the browser and does not wait for the server);
- tap-to-saved with 400 ms latency: from the tap until the server has acknowledged it (what the
  surveyor no longer waits for; the page said ~0.3 s per tap with no latency before);
- a 12-megapixel photo on a 750 kbit/s link (both ways, 150 ms latency): the bytes sent, the
  time the browser takes to make it smaller and hash it, the upload, and choose-to-stored
  (goal: under 10 s); a photo-like picture and a worst case (pure noise, which JPEG cannot
  compress).

Builds (once, cached in ``bench/out/tablet.db``) the demo county with a round open today.
Prints median / 90th percentile / max; asserts nothing. Run:
``.venv/bin/python -m bench.bench_survey [--rebuild] [--taps N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from PIL import Image

from core import config
from core.model import Round
from survey import auth, service, store
from survey.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DB = OUT / "tablet.db"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROUND_ID = "2026-BENCH"

#: In the page: tap an item's answer; the time until the frame that shows the new score, and
#: until the server has acknowledged the change (the banner's count of waiting changes is 0).
TAP = """async ([code, label]) => {
  const root = document.querySelector('[data-testid=stBidiComponentIsolated]').shadowRoot;
  const total = root.querySelector('[data-testid=xf-total]');
  const banner = root.querySelector('[data-testid=xf-net]');
  const radios = root.querySelectorAll(`[data-testid=xf-item-${code}] [role=radio]`);
  const button = [...radios].find(b => b.textContent === label);
  const before = total.textContent;
  const start = performance.now();
  button.click();
  await new Promise(requestAnimationFrame);
  const scored = performance.now() - start;
  const changed = total.textContent !== before;
  while (banner.dataset.waiting !== '0') await new Promise(r => setTimeout(r, 5));
  return {scored, saved: performance.now() - start, changed};
}"""

#: In the page: watch an item's photo tiles and note when each status is first shown.
WATCH = """(code) => {
  const root = document.querySelector('[data-testid=stBidiComponentIsolated]').shadowRoot;
  const box = root.querySelector(`[data-testid=xf-item-${code}]`);
  window.__xfPhoto = {start: performance.now(), seen: {}};
  new MutationObserver(() => {
    for (const s of box.querySelectorAll('.tile-status')) {
      const key = s.textContent.replace(/\\d+%/, '%');
      if (!(key in window.__xfPhoto.seen)) window.__xfPhoto.seen[key] = performance.now() - window.__xfPhoto.start;
    }
  }).observe(box, {subtree: true, childList: true, characterData: true});
}"""


def build(rebuild: bool) -> Path:
    if rebuild or not DB.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DB}{suffix}").unlink(missing_ok=True)
        OUT.mkdir(parents=True, exist_ok=True)
        service.load_demo(DB, auth.operator())
    today = config.today()
    if ROUND_ID not in {r.id for r in store.rounds(DB)}:
        store.create_round(DB, Round(ROUND_ID, "平板基准", (today - dt.timedelta(days=5)).isoformat(),
                                     (today + dt.timedelta(days=60)).isoformat()))
    return DB


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "SURVEY_DB": str(db)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("streamlit did not start") from None
            time.sleep(0.2)


def _photo(path: Path, noise: bool) -> Path:
    """A 4000 × 3000 JPEG: photo-like (soft shapes, fine grain) or pure noise (the worst case)."""
    if noise:
        img = Image.effect_noise((4000, 3000), 40).convert("RGB")
    else:
        base = Image.effect_noise((160, 120), 80).convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
        grain = Image.effect_noise((4000, 3000), 6).convert("RGB")
        img = Image.blend(base, grain, 0.25)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    path.write_bytes(out.getvalue())
    return path


def _line(name: str, values: list[float], unit: str = "ms") -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
    return (f"{name:<46} n={len(values):>3}  median {statistics.median(values):8.1f} {unit}  "
            f"p90 {p90:8.1f} {unit}  max {values[-1]:8.1f} {unit}")


def _network(page, latency_ms: float, kbit_s: float | None = None) -> None:
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    throughput = -1 if kbit_s is None else kbit_s * 1000 / 8
    session.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency_ms,
                                                      "downloadThroughput": throughput, "uploadThroughput": throughput})


def _open(browser, url: str, village: str):
    page = browser.new_page(viewport={"width": 800, "height": 1280}, locale="zh-CN")
    page.goto(url + "/")
    page.get_by_label("账号").fill("surveyor")
    page.get_by_label("密码").fill("demo-survey")
    with page.expect_response(lambda r: r.url.endswith("/auth/session")):
        page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()
    page.goto(f"{url}/?village={village}")
    page.get_by_test_id("xf-total").wait_for(timeout=60_000)
    return page


def taps(browser, url: str, village: str, latency_ms: float, n: int) -> tuple[list[float], list[float]]:
    page = _open(browser, url, village)
    _network(page, latency_ms)
    checks = [i for i in load_rubric().items if i.type == "check"]
    scored, saved = [], []
    for k in range(n):
        label = "符合" if (k // len(checks)) % 2 == 0 else "不符合"  # every tap changes the score
        result = page.evaluate(TAP, [checks[k % len(checks)].code, label])
        assert result["changed"]
        scored.append(result["scored"])
        saved.append(result["saved"])
    page.close()
    return scored, saved


def upload(browser, url: str, village: str, photo: Path) -> dict:
    page = _open(browser, url, village)
    code = load_rubric().items[0].code
    box = page.get_by_test_id(f"xf-item-{code}")
    box.get_by_role("radio", name="不符合").click()
    page.get_by_test_id("xf-net").and_(page.locator("[data-waiting='0']")).wait_for(timeout=60_000)
    _network(page, 150, 750)
    page.evaluate(WATCH, code)
    with page.expect_response(lambda r: "/tablet/photo?" in r.url, timeout=120_000) as answer:
        box.locator("input[type=file]").set_input_files(str(photo))
    box.get_by_text("已上传").wait_for(timeout=120_000)
    seen = page.evaluate("() => window.__xfPhoto.seen")
    sent = answer.value.json()["received"]
    page.close()
    ready = seen.get("待上传", seen.get("上传中 %"))
    return {"bytes": sent, "ready": ready, "stored": seen["已上传"],
            "upload": seen["已上传"] - ready}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild bench/out/tablet.db")
    parser.add_argument("--taps", type=int, default=30, help="taps per latency (default 30)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print("Debian chromium is not installed (make browser-deps)")
        return 1
    from playwright.sync_api import sync_playwright

    db = build(args.rebuild)
    codes = [v.code for v in store.villages(db, township="429901100")]
    for code in codes[:6]:  # every run starts from villages not yet assessed
        store.delete_draft(db, ROUND_ID, code, "王芳")
        for photo in store.draft_photos(db, ROUND_ID, code, "王芳"):
            store.delete_photo(db, photo.id)
    proc, url = serve(db)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            plain_scored, _ = taps(browser, url, codes[0], 0, args.taps)
            slow_scored, slow_saved = taps(browser, url, codes[1], 400, args.taps)
            photos = {name: upload(browser, url, codes[2 + n], _photo(OUT / f"bench_{name}.jpg", noise))
                      for n, (name, noise) in enumerate((("photo-like", False), ("noise", True)))}
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"tablet page in headless Chromium, {len(load_rubric().items)} items, demo county")
    print(_line("tap-to-score, no added latency", plain_scored))
    print(_line("tap-to-score, 400 ms latency", slow_scored))
    print(_line("tap-to-saved (server ack), 400 ms latency", slow_saved))
    for name, f in photos.items():
        size = (OUT / f"bench_{name}.jpg").stat().st_size / 1e6
        print(f"12 MP photo, {name} ({size:.1f} MB) at 750 kbit/s + 150 ms: sent {f['bytes'] / 1024:.0f} KB; "
              f"made smaller and hashed {f['ready'] / 1000:.1f} s, uploaded and stamped {f['upload'] / 1000:.1f} s, "
              f"choose-to-stored {f['stored'] / 1000:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
