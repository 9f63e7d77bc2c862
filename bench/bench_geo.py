"""Benchmark: demonstration-belt membership and map size / build time / draw time.

In one run:

- belt membership of 25,000 villages × 200 roads (a synthetic province of 4.5° × 4°, across two
  UTM zones; roads are winding lines of 100–400 vertices, 2 km buffers) with
  :func:`geo.belts.belt_membership`, against a bare shapely ``STRtree.query(predicate="dwithin")``
  of the same projected points and roads (the baseline the issue names; tree build included in
  both). Goal: under 0.5 s and within 1.5× of the bare query;
- the demo county (``python -m survey demo`` into ``bench/out/geo_demo.db``): map build time and
  HTML size as served by the app and as a standalone file (goal under 1 MB, under 0.5 s);
- the 25,000-village province overview: build time and HTML size (goal under 5 MB);
- time until the map is drawn in headless Chromium (every request outside the machine blocked):
  the standalone files, and the map page of ``streamlit run app.py`` (signed in) for the demo.

Prints the figures (best of 5 for timings); asserts nothing. Run:
``.venv/bin/python -m bench.bench_geo [--no-browser]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString

from bench import best
from core.model import Village, VillageResult
from geo.belts import belt_membership, belts_crs, locate
from geo.crs import to_metric
from geo.io import Road
from geo.maps import build_county_map, build_overview_map
from geo.offline import standalone_html
from survey import auth, mapdata, service

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DEMO_DB = OUT / "geo_demo.db"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def province(n_villages: int = 25_000, n_roads: int = 200, seed: int = 4) -> tuple[list[VillageResult], list[Road]]:
    """Villages in 1,250 townships of 20 (clustered around a township seat), winding roads."""
    rng = np.random.default_rng(seed)
    results = []
    per_town = 20
    for t in range(n_villages // per_town):
        seat = rng.uniform([111.0, 29.0], [115.5, 33.0])
        county = f"42{t // 12:04d}"
        town = f"{county}{100 + t % 12:03d}"
        for i in range(per_town):
            lon, lat = seat + rng.normal(0, 0.04, 2)
            v = Village(code=f"{town}{200 + i:03d}", name=f"村{t}-{i}", township_code=town, township=f"镇{t}",
                        county_code=county, county=f"县{t // 12}", lon=float(lon), lat=float(lat),
                        title=("无", "县级", "市级")[i % 3], demo=i == 0)
            k = rng.integers(0, 10)
            if k < 2:
                results.append(VillageResult(village=v, round_id="R"))
            else:
                total = Decimal(int(rng.integers(600, 1000))) / 10
                results.append(VillageResult(village=v, round_id="R", submission_id=f"s{v.code}", total=total,
                                             veto=("V1",) if k == 9 else (), passed=total >= 85 and k != 9,
                                             findings=int(rng.integers(0, 10)), date="2026-05-20"))
    roads = []
    for k in range(n_roads):
        n = int(rng.integers(100, 400))
        start = rng.uniform([111.0, 29.0], [115.5, 33.0])
        heading = rng.uniform(0, 2 * np.pi)
        angles = heading + np.cumsum(rng.normal(0, 0.15, n))
        steps = np.column_stack([np.cos(angles), np.sin(angles)]) * 0.003
        roads.append(Road(f"{'GS'[k % 2]}{100 + k}", LineString(start + np.cumsum(steps, axis=0)), 2000.0))
    return results, roads


def bare_query(villages: list[Village], roads: list[Road]) -> int:
    """The baseline: project, build the tree, one dwithin query of the whole road lines."""
    crs = belts_crs(roads)
    points = locate(villages, crs).points
    lines = to_metric(np.array([r.geometry for r in roads], dtype=object), crs)
    pairs = shapely.STRtree(points).query(lines, predicate="dwithin", distance=np.array([r.buffer_m for r in roads]))
    return pairs.shape[1]


def bench_membership(results: list[VillageResult], roads: list[Road]) -> None:
    villages = [r.village for r in results]
    t_ours, membership = best(lambda: belt_membership(villages, roads))
    t_bare, pairs = best(lambda: bare_query(villages, roads))
    members = sum(len(m) for m in membership.values())
    print(f"membership {len(villages)} villages × {len(roads)} roads: {members} memberships "
          f"(bare query finds {pairs})")
    print(f"  belt_membership                  {t_ours * 1000:8.1f} ms   goal < 500 ms")
    print(f"  bare STRtree dwithin query       {t_bare * 1000:8.1f} ms")
    print(f"  ratio                            {t_ours / t_bare:8.2f} x   goal within 1.5 x")


def bench_maps(province_results: list[VillageResult], province_roads: list[Road]) -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    if not DEMO_DB.exists():
        service.load_demo(DEMO_DB)
        auth.ensure_demo_accounts(DEMO_DB)
    data = mapdata.county_map_data(DEMO_DB, mapdata.latest_round(DEMO_DB))

    def county():
        return build_county_map(data.results, data.roads, data.membership, radiation=data.radiation)

    t_build, m = best(county)
    served = len(m.get_root().render().encode())
    t_file, page = best(lambda: standalone_html(county()).encode())
    files = {"demo county": OUT / "map_demo.html", "25k overview": OUT / "map_overview.html"}
    files["demo county"].write_bytes(page)
    print(f"demo county map ({len(data.results)} villages, {len(data.roads)} belts)")
    print(f"  build                            {t_build * 1000:8.1f} ms   goal < 500 ms")
    print(f"  HTML as served (Leaflet linked)  {served / 1024:8.1f} KB   goal < 1 MB")
    print(f"  standalone (Leaflet inlined)     {len(page) / 1024:8.1f} KB   built in {t_file * 1000:.0f} ms")

    membership = belt_membership([r.village for r in province_results], province_roads)
    t_over, m = best(lambda: build_overview_map(province_results, province_roads, membership), 3)
    served = len(m.get_root().render().encode())
    page = standalone_html(m).encode()
    files["25k overview"].write_bytes(page)
    print(f"province overview ({len(province_results)} villages, {len(province_roads)} roads)")
    print(f"  build                            {t_over * 1000:8.1f} ms")
    print(f"  HTML as served (Leaflet linked)  {served / 1024:8.1f} KB   goal < 5 MB")
    print(f"  standalone (Leaflet inlined)     {len(page) / 1024:8.1f} KB")
    return files


def _blocked_browser(p):
    browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file://", "data:", "http://127.0.0.1")) else r.abort())
    return browser, context


def bench_draw(files: dict[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser, context = _blocked_browser(p)
        for name, path in files.items():
            selector = "path.xf-village" if name == "demo county" else "path.xf-township"
            times = []
            for _ in range(3):
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_selector(selector)
                times.append(time.perf_counter() - t0)
                page.close()
            print(f"  drawn in Chromium: {name:<13} {min(times) * 1000:8.1f} ms (standalone file)")
        print(f"  drawn in Chromium: map page     {_page_draw_time(context) * 1000:8.1f} ms "
              f"(click on 地图 to every village drawn, streamlit run app.py)")
        browser.close()


def _page_draw_time(context) -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, "SURVEY_DB": str(DEMO_DB)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        page = context.new_page()
        idle = "[data-testid='stApp'][data-test-script-state='notRunning']"
        page.goto(url + "/")
        page.wait_for_selector(idle)
        account = next(a for a in auth.DEMO_ACCOUNTS if a.role == auth.REVIEWER)
        page.get_by_label("账号").fill(account.name)
        page.get_by_label("密码").fill(account.password)
        page.get_by_role("button", name="登录").click()
        link = page.get_by_role("link", name="地图")
        link.wait_for()
        t0 = time.perf_counter()
        link.click()
        frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']")
        frame.locator("path.xf-village").first.wait_for(timeout=60_000)
        return time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true", help="skip the headless Chromium timings")
    args = parser.parse_args()
    results, roads = province()
    bench_membership(results, roads)
    files = bench_maps(results, roads)
    if not args.no_browser and Path(CHROMIUM).exists():
        bench_draw(files)


if __name__ == "__main__":
    main()
