"""Benchmark: the provincial export of a 25,000-village province round (goal < 3 s, < 500 MB peak).

Builds (once, cached in ``bench/out/export.db``) a synthetic province through the store API:
50 counties × 20 townships × 25 villages, one round with about 90 % of the villages assessed
(2 % twice, the later one counting), scores from the real rubric, a few vetoes, rare characters
(㭎) and formula-like names, and 50 roads as demonstration belts. Then measures, on that database:

- ``export_round`` (the CSV pairs of every county: load, belts, township table, write), best of 3
  (``--repeat N``), split into load, build, CSV text and writes;
- the same with ``--encoding gbk``;
- the XLSX and GeoJSON companions of every county;
- peak memory: Python heap (tracemalloc) of one export, and the peak RSS of a fresh process that
  runs only the export (``ru_maxrss``; includes the interpreter and imported libraries).

Prints the figures; asserts nothing. Run: ``.venv/bin/python -m bench.bench_export [--rebuild]``.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

from shapely.geometry import LineString

from bench import best, cached_db, peak_rss_mb
from bench.synth import answers
from core.model import Round
from geo.io import Road
from survey import auth, export, store
from survey.registry import VillageRow
from survey.roads import save_roads
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission

OUT = Path(__file__).resolve().parent / "out"
DB = OUT / "export.db"
FILES = OUT / "export"
ROUND = "2026-B3"
COUNTIES, TOWNSHIPS, VILLAGES, ROADS = 50, 20, 25, 50
TITLES = ["无"] * 6 + ["县级", "县级", "市级", "省级"]


def build(path: Path) -> None:
    """The synthetic province, through the store API."""
    rng = random.Random(6)
    rubric = load_rubric()
    patterns = []
    for _ in range(200):
        a = answers(rubric, rng)
        veto = ("V2", "V5") if rng.random() < 0.03 else ()
        patterns.append((a, veto, score(rubric, a, veto)))
    rows = []
    for c in range(COUNTIES):
        county = f"42{c // 10 + 10:02d}{c % 10 + 1:02d}"
        lon0, lat0 = 109.5 + (c % 10) * 0.55, 29.5 + (c // 10) * 0.5
        for t in range(TOWNSHIPS):
            for v in range(VILLAGES):
                code = f"{county}{t + 100:03d}{v + 201:03d}"
                name = "㭎树村" if v == 7 else "=1+1村" if v == 8 else f"村{code[-5:]}"
                rows.append(VillageRow(code=code, name=name, township=f"镇{code[6:9]}", county=f"县{county}",
                                       lon=lon0 + rng.random() * 0.5, lat=lat0 + rng.random() * 0.45,
                                       title=rng.choice(TITLES), title_year=None, households=300, demo=False,
                                       line=len(rows) + 2))
    store.import_registry(path, rows)
    store.create_round(path, Round(ROUND, "第三次双月测评", start_date="2026-05-01"))
    scored = []
    for row in rows:
        if rng.random() > 0.9:
            continue
        for k in range(2 if rng.random() < 0.02 else 1):
            a, veto, s = rng.choice(patterns)
            sub = Submission(id=f"{ROUND}-{row.code}-{k}", village=row.code, round=ROUND, date=f"2026-05-{10 + k:02d}",
                             surveyor=rng.choice(["王芳", "李明", "张伟"]), lon=row.lon, lat=row.lat, answers=a,
                             veto=veto)
            scored.append((sub, s))
    store.save_submissions(path, scored)
    save_roads(path, [Road(f"G{300 + i}", _road(rng)) for i in range(ROADS)])


def _road(rng: random.Random) -> LineString:
    """A winding road of about 100 km: 200 steps of about 500 m."""
    lon, lat, heading = 109.5 + rng.random() * 5.5, 29.5 + rng.random() * 2.5, rng.random() * 6.3
    points = []
    for _ in range(200):
        points.append((lon, lat))
        heading += rng.uniform(-0.3, 0.3)
        lon, lat = lon + 0.005 * math.cos(heading), lat + 0.005 * math.sin(heading)
    return LineString(points)


def child() -> None:
    """Run only the export, then print this process's peak RSS in MB."""
    export.export_round(DB, auth.operator(), ROUND, FILES)
    print(peak_rss_mb())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild the synthetic database")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    cached_db(DB, build, args.rebuild)
    shutil.rmtree(FILES, ignore_errors=True)
    n = args.repeat

    t_load, _ = best(lambda: store.round_results(DB, ROUND), n)
    t_build, exports = best(lambda: export.build(DB, ROUND), n)
    t_csv, _ = best(lambda: [e.csv_pair() for e in exports], n)
    t_all, result = best(lambda: export.export_round(DB, auth.operator(), ROUND, FILES), n)
    t_gbk, gbk = best(lambda: export.export_round(DB, auth.operator(), ROUND, FILES / "gbk", encoding="gbk"), n)
    t_xlsx, _ = best(lambda: [export.write_xlsx(e, FILES) for e in exports], 1)
    t_geo, _ = best(lambda: [export.write_geojson(e, FILES) for e in exports], 1)
    size = sum(p.stat().st_size for p in result.files)
    rows = sum(len(e.villages) for e in exports)

    tracemalloc.start()
    export.export_round(DB, auth.operator(), ROUND, FILES)
    _, heap = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = float(subprocess.run([sys.executable, "-m", "bench.bench_export", "--child"], check=True,
                               capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1]).stdout)

    print(f"{len(result.files)} CSV files, {rows} village rows, {size / 1e6:.1f} MB; "
          f"GBK: {len(gbk.warnings)} warnings (rows GBK cannot hold)")
    print(f"export_round utf-8-sig (every county)   {t_all * 1000:8.1f} ms   goal < 3000 ms")
    print(f"export_round gbk                        {t_gbk * 1000:8.1f} ms")
    print(f"  store.round_results (load)            {t_load * 1000:8.1f} ms")
    print(f"  build (load, belts, both tables)      {t_build * 1000:8.1f} ms")
    print(f"  CSV text of every pair (in memory)    {t_csv * 1000:8.1f} ms")
    print(f"  atomic writes (the rest)              {(t_all - t_build - t_csv) * 1000:8.1f} ms")
    print(f"XLSX companions ({len(exports)} workbooks)        {t_xlsx * 1000:8.1f} ms")
    print(f"GeoJSON companions ({len(exports)} files)         {t_geo * 1000:8.1f} ms")
    print(f"peak Python heap during export          {heap / 2**20:8.1f} MB")
    print(f"peak RSS of a process doing the export  {rss:8.1f} MB   goal < 500 MB")


if __name__ == "__main__":
    main()
