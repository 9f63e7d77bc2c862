"""Every figure of issue 8 beside its floor, measured in the same run on a synthetic province.

The province (:mod:`bench.synth`) is written as files into a temporary folder and imported
through the real pipelines (:mod:`survey.service`), then:

1. ``registry_import`` — ``service.import_villages_file`` of the CSV into a new database; floor:
   ``executemany`` of every row that import stored (villages, townships, counties, audit) into
   another new database, same schema and pragmas (WAL, ``synchronous=FULL``), one transaction;
2. ``submissions_import`` — ``service.import_submissions_file`` of every round's JSON Lines;
   floor: ``executemany`` of the rows stored (submissions, their items, audit), one
   transaction per round;
3. ``shares_flags_rankings`` — everything the dashboard needs of the last round:
   ``store.round_results`` of it, ``store.round_totals`` of the round before, every share, flag
   and ranking of :mod:`survey.targets` (``bench_targets.compute``) and the lost points of the
   gap planner's picks; floor: one hand-written SQL aggregate of the township shares
   (``bench_targets.SHARES_SQL``);
4. ``belt_membership`` — ``geo.belts.belt_membership`` of every village and road; floor: one
   shapely ``STRtree`` ``dwithin`` query (``bench_geo.bare_query``);
5. ``map_county_*`` / ``map_overview_*`` — the map of one county as the map page draws it for
   a user of that county, and the province overview (build + render to HTML: time and bytes);
   floor: the bare points (the county's villages; the townships' centres and counts) as one
   plain folium GeoJSON layer rendered to HTML: no belts, areas, popups or legend;
6. ``export_round`` / ``export_peak_rss`` — ``export.export_round`` of the last round (every
   county); peak RSS of a fresh process doing only that export; floor: one SQL query per table
   and ``csv.writer`` (the RSS floor process imports the same modules first);
7. ``trends_province`` / ``bulletin_county`` — every township's and county's share over all
   rounds, and the Word bulletin of one county (:mod:`bench.bench_rounds`, floors there);
8. ``ledger_bulk_approve`` / ``ledger_county_page`` — an approval of 500 submissions with the
   fix-it ledger entries of their findings, and one county's ledger page data once the province
   holds about five entries per village (:mod:`bench.bench_ledger`, floors there);
9. ``concurrent_save_*`` — ``store.save_submissions`` of one submission by each of 20 threads
   at once (released together by a barrier), repeated: p50 / p95 latency, errors, and lost
   (saves that returned but whose row is missing); floor: the same saves by one writer;
10. ``households_import`` / ``village_figures_county`` — the household register of the first
    county (300 households a village) imported, and every village's ten-star figures
    (:mod:`bench.bench_households`, floors there).

Timings are the best of ``scale.repeat`` runs, except the submissions import (once).
"""

from __future__ import annotations

import csv
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import folium

from bench import bench_households, bench_ledger, bench_rounds, best, peak_rss_mb, synth
from bench.bench_geo import bare_query
from bench.bench_targets import SHARES_SQL, compute
from core.model import Round, VillageResult
from geo.belts import belt_membership
from geo.maps import build_county_map, build_overview_map, result_class
from survey import auth, export, mapdata, service, store, targets
from survey.roads import load_roads
from survey.rubric import load_rubric
from survey.scoring import Score, score
from survey.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]

Log = Callable[[str], None]


@dataclass(frozen=True)
class Figure:
    """One measured figure and its floor (same unit); ``goal`` is shown to people only."""

    name: str
    label: str
    value: float | int | None
    unit: str
    floor: float | int | None
    goal: str = ""

    @property
    def ratio(self) -> float | None:
        return round(self.value / self.floor, 2) if self.value is not None and self.floor else None

    def to_json(self) -> dict[str, object]:
        return {"value": self.value, "unit": self.unit, "floor": self.floor, "ratio": self.ratio}


def _s(seconds: float) -> float:
    return round(seconds, 6)


# --- floors: plain sqlite3 ----------------------------------------------------------------------


@contextmanager
def _floor_connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection with the store's pragmas (the floor pays the same durability), closed on exit."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        for pragma in ("busy_timeout=10000", "journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        yield conn
    finally:
        conn.close()


def _rows(db: Path, sql: str, params: Iterable[object] = ()) -> tuple[list[str], list[tuple]]:
    with _floor_connect(db) as conn:
        cursor = conn.execute(sql, list(params))
        return [d[0] for d in cursor.description], cursor.fetchall()


def _insert(conn: sqlite3.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    marks = ",".join("?" * len(columns))
    conn.executemany(f"INSERT INTO {table} ({','.join(columns)}) VALUES ({marks})", rows)


def _copy(conn: sqlite3.Connection, tables: dict[str, tuple[list[str], list[tuple]]]) -> None:
    """``executemany`` of every table's rows in one transaction."""
    conn.execute("BEGIN")
    for table, (columns, rows) in tables.items():
        _insert(conn, table, columns, rows)
    conn.execute("COMMIT")


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _fresh(path: Path) -> Path:
    """A new migrated database at ``path`` (its old files removed)."""
    _remove(path)
    store.migrate(path)
    return path


# --- 1, 2: imports ------------------------------------------------------------------------------

_REGISTRY_TABLES = ("counties", "townships", "villages", "audit")


def registry_import(province: synth.Province, work: Path, repeat: int, log: Log) -> tuple[list[Figure], Path]:
    """Figure 1; returns the database the last import filled (the one every later figure uses)."""
    times = []
    for k in range(repeat):
        db = _fresh(work / f"registry{k}.db")
        t0 = time.perf_counter()
        summary = service.import_villages_file(db, auth.operator(), province.villages_csv)
        times.append(time.perf_counter() - t0)
        if k < repeat - 1:
            _remove(db)
    log(f"registry import: {summary.added} villages in {min(times):.2f} s")
    stored = {t: _rows(db, f"SELECT * FROM {t}") for t in _REGISTRY_TABLES}

    floor_times = []
    for _ in range(repeat):  # into a new migrated database each time, as the import
        with _floor_connect(_fresh(work / "floor_registry.db")) as conn:
            t0 = time.perf_counter()
            _copy(conn, stored)
            floor_times.append(time.perf_counter() - t0)
    t_floor = min(floor_times)
    return [Figure("registry_import", f"registry import, CSV of {province.villages:,} villages", _s(min(times)),
                   "s", _s(t_floor))], db


def submissions_import(province: synth.Province, db: Path, work: Path, log: Log) -> list[Figure]:
    """Figure 2: every round's file, once."""
    total, added = 0.0, 0
    for path in province.submissions:
        t0 = time.perf_counter()
        result = service.import_submissions_file(db, auth.operator(), path)
        took = time.perf_counter() - t0
        total += took
        added += result.added
        log(f"submissions import {path.name}: {result.added:,} in {took:.2f} s")
    floor_db = _fresh(work / "floor_submissions.db")
    with _floor_connect(floor_db) as conn:
        _copy(conn, {t: _rows(db, f"SELECT * FROM {t}")
                     for t in ("counties", "townships", "villages", "rubric_versions", "rounds")})
    t_floor = 0.0
    for rnd in province.rounds:
        ids = "SELECT id FROM submissions WHERE round_id = ?"
        rows = {
            "submission_rows": _rows(db, "SELECT * FROM submission_rows WHERE round_id = ?", [rnd.id]),
            "submission_items": _rows(db, f"SELECT * FROM submission_items WHERE submission_id IN ({ids})",
                                      [rnd.id]),
            "audit": _rows(db, f"SELECT * FROM audit WHERE entity = 'submission' AND entity_id IN ({ids})",
                           [rnd.id]),
        }
        with _floor_connect(floor_db) as conn:
            t0 = time.perf_counter()
            _copy(conn, rows)
            t_floor += time.perf_counter() - t0
        del rows
    _remove(floor_db)
    return [Figure("submissions_import", f"submissions import, {added:,} in {len(province.submissions)} files",
                   _s(total), "s", _s(t_floor))]


# --- 3: shares, flags and rankings --------------------------------------------------------------


def shares(db: Path, province: synth.Province, repeat: int, log: Log) -> list[Figure]:
    current, previous = province.rounds[-1].id, province.rounds[-2].id
    pass_mark = load_rubric().pass_mark
    policy = targets.targets_from_store(db, Decimal("70"))
    parts: dict[str, list[float]] = defaultdict(list)

    def product():  # everything the dashboard needs: the previous round and the picks' losses too
        t0 = time.perf_counter()
        results = store.round_results(db, current)
        t1 = time.perf_counter()
        before = store.round_totals(db, previous)
        t2 = time.perf_counter()
        out = compute(results, before, pass_mark, policy)
        t3 = time.perf_counter()
        losses = store.item_losses(db, targets.plan_submission_ids(out[5]))
        plans = targets.gap_planner(results, out[0], losses, pass_mark)
        t4 = time.perf_counter()
        for name, took in (("round_results", t1 - t0), ("previous round", t2 - t1), ("targets", t3 - t2),
                           ("item losses", t4 - t3)):
            parts[name].append(took)
        return results, out, plans

    def floor():
        with _floor_connect(db) as conn:
            return conn.execute(SHARES_SQL, [current]).fetchall()

    t_product, (results, out, _) = best(product, repeat)
    t_floor, aggregate = best(floor, repeat)
    log("shares: " + ", ".join(f"{k} {min(v) * 1000:.0f} ms" for k, v in parts.items()))
    if [(r.code, r.projected) for r in out[0]] != [(a[0], a[5]) for a in aggregate]:
        raise AssertionError("the township table and the SQL aggregate disagree")
    return [Figure("shares_flags_rankings", f"shares, flags, rankings of one round ({len(results):,} villages)",
                   _s(t_product), "s", _s(t_floor), "< 1 s and ≤ 2× floor")]


# --- 4: belt membership -------------------------------------------------------------------------


def membership(db: Path, repeat: int) -> list[Figure]:
    villages, roads = store.villages(db), load_roads(db)
    t_product, found = best(lambda: belt_membership(villages, roads), repeat)
    t_floor, pairs = best(lambda: bare_query(villages, roads), repeat)
    members = sum(len(m) for m in found.values())
    if members != pairs:
        raise AssertionError(f"belt_membership found {members} members, the bare query {pairs}")
    return [Figure("belt_membership", f"belt membership, {len(villages):,} villages × {len(roads)} roads",
                   _s(t_product), "s", _s(t_floor), "≤ 1.5× floor")]


# --- 5: maps ------------------------------------------------------------------------------------


def _bare_map(features: list[dict]) -> bytes:
    """The floor of a map: the same points as one plain folium GeoJSON layer, rendered to HTML."""
    m = folium.Map(location=[30.0, 112.0], zoom_start=8, tiles=None)
    folium.GeoJson({"type": "FeatureCollection", "features": features}).add_to(m)
    return m.get_root().render().encode()


def _village_points(results: list[VillageResult]) -> bytes:
    """The floor of a county map: each located village as a point with its code, name and class."""
    return _bare_map([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(v.lon, 6),
                                                                                        round(v.lat, 6)]},
                       "properties": {"c": v.code, "n": v.name, "s": result_class(r)}}
                      for r in results if (v := r.village).lon is not None and v.lat is not None])


def _township_points(results: list[VillageResult]) -> bytes:
    """The floor of the overview: each township's centre with its villages, assessed, passed."""
    sums: dict[str, list] = defaultdict(lambda: [0.0, 0.0, 0, 0, 0, ""])
    for r in results:
        v = r.village
        if v.lon is None or v.lat is None:
            continue
        s = sums[v.township_code]
        s[0] += v.lon
        s[1] += v.lat
        s[2] += 1
        s[3] += r.assessed
        s[4] += bool(r.assessed and r.passed)
        s[5] = v.township
    return _bare_map([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(x / n, 5),
                                                                                        round(y / n, 5)]},
                       "properties": {"c": code, "n": name, "v": n, "a": a, "p": p}}
                      for code, (x, y, n, a, p, name) in sorted(sums.items())])


def maps(db: Path, province: synth.Province, repeat: int, log: Log) -> list[Figure]:
    t0 = time.perf_counter()
    data = mapdata.county_map_data(db, province.rounds[-1].id)
    log(f"map data (round, belts, reach of {len(data.results):,} villages): {time.perf_counter() - t0:.2f} s")
    county = province.counties[0]
    mine = mapdata.restricted(data, lambda code: code[:6] == county)

    def county_html() -> bytes:  # what the map page draws for a user of one county
        return build_county_map(mine.results, mine.roads, mine.membership,
                                radiation=mine.radiation).get_root().render().encode()

    def overview_html() -> bytes:
        return build_overview_map(data.results, data.roads, data.membership).get_root().render().encode()

    t_county, page = best(county_html, repeat)
    t_county_floor, points = best(lambda: _village_points(mine.results), repeat)
    t_over, overview = best(overview_html, repeat)
    t_over_floor, towns = best(lambda: _township_points(data.results), repeat)
    n, roads = len(mine.results), len(data.roads)
    return [
        Figure("map_county_build", f"county map build ({n:,} villages, {len(mine.roads)} roads)", _s(t_county),
               "s", _s(t_county_floor)),
        Figure("map_county_html", "county map HTML", len(page), "bytes", len(points), "< 5 MB"),
        Figure("map_overview_build", f"province overview build ({len(data.results):,} villages, {roads} roads)",
               _s(t_over), "s", _s(t_over_floor)),
        Figure("map_overview_html", "province overview HTML", len(overview), "bytes", len(towns), "< 5 MB"),
    ]


# --- 6: export ----------------------------------------------------------------------------------

#: The floor of the villages file: the counting submission of each village, one query.
EXPORT_SQL = """
WITH latest AS (
    SELECT s.*, ROW_NUMBER() OVER (PARTITION BY village_code ORDER BY date DESC, rowid DESC) AS rn
    FROM submissions s WHERE round_id = ? AND status != 'returned')
SELECT v.code, c.name, t.name, v.name, l.round_id, l.date, l.surveyor, l.sections, l.total, l.veto,
       l.passed, v.title, l.findings, COALESCE(l.lon, v.lon), COALESCE(l.lat, v.lat), l.status, l.id
FROM villages v JOIN townships t ON t.code = v.township_code LEFT JOIN counties c ON c.code = v.county_code
JOIN latest l ON l.village_code = v.code AND l.rn = 1 ORDER BY v.code
"""


def export_floor(db: Path, round_id: str, out: Path) -> list[Path]:
    """Both tables of every county: one SQL query each, written by ``csv.writer``."""
    with _floor_connect(db) as conn:
        villages = conn.execute(EXPORT_SQL, [round_id]).fetchall()
        towns = conn.execute(SHARES_SQL, [round_id]).fetchall()
    by_county: dict[str, list[list]] = defaultdict(list)
    for row in villages:
        by_county[row[0][:6]].append(row)
    town_rows: dict[str, list[list]] = defaultdict(list)
    for row in towns:
        town_rows[row[0][:6]].append(row)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for kind, header, groups in (("villages", export.VILLAGE_COLUMNS, by_county),
                                 ("townships", export.TOWNSHIP_COLUMNS, town_rows)):
        for county, rows in groups.items():
            path = out / f"{kind}_{county}_{round_id}.csv"
            with path.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\r\n")
                writer.writerow([c.header for c in header])
                writer.writerows(rows)
            files.append(path)
    return files


def child(kind: str, db: str, round_id: str, out: str) -> int:
    """``python -m bench --child KIND DB ROUND OUT``: run only the export (``export``) or its
    floor (``export-floor``, after importing the same modules) and print the peak RSS in MB."""
    import geo.belts  # noqa: F401 - the export imports it; the floor process carries it too

    if kind == "export":
        export.export_round(db, auth.operator(), round_id, out)
    else:
        export_floor(Path(db), round_id, Path(out))
    print(peak_rss_mb())
    return 0


def _peak_rss(kind: str, db: Path, round_id: str, out: Path) -> float:
    done = subprocess.run([sys.executable, "-m", "bench", "--child", kind, str(db), round_id, str(out)],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    return float(done.stdout.split()[-1])


def export_figures(db: Path, province: synth.Province, work: Path, repeat: int) -> list[Figure]:
    rid = province.rounds[-1].id
    t_product, result = best(lambda: export.export_round(db, auth.operator(), rid, work / "export"), repeat)
    t_floor, files = best(lambda: export_floor(db, rid, work / "export_floor"), repeat)
    if sorted(p.name for p in result.files) != sorted(p.name for p in files):
        raise AssertionError("the export and its floor wrote different files")
    rss = _peak_rss("export", db, rid, work / "export_child")
    rss_floor = _peak_rss("export-floor", db, rid, work / "export_floor_child")
    return [
        Figure("export_round", f"export of one round, every county ({len(result.files)} CSV files)",
               _s(t_product), "s", _s(t_floor), "< 3 s"),
        Figure("export_peak_rss", "export peak memory (RSS of a process doing only it)", round(rss, 1), "MB",
               round(rss_floor, 1)),
    ]


# --- 7: concurrent saves ------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _saves(db: Path, round_id: str, count: int, seed: int) -> list[tuple[Submission, Score]]:
    """``count`` scored submissions of different villages for ``round_id``."""
    rubric, rng = load_rubric(), random.Random(seed)
    out = []
    for v in store.villages(db)[:count]:
        given = synth.answers(rubric, rng)
        sub = Submission(id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), village=v.code,
                         round=round_id, date="2025-12-20", surveyor="并发测评员", lon=v.lon, lat=v.lat,
                         gps_accuracy_m=8.0, answers=given)
        out.append((sub, score(rubric, given, ())))
    return out


def _stored(db: Path, round_id: str) -> set[str]:
    return {r["id"] for r in store.review_rows(db, round_id=round_id)}


def concurrent_saves(db: Path, scale: synth.Scale, log: Log) -> list[Figure]:
    n = scale.writers * scale.saves
    sequential, parallel = Round("bench-seq", "顺序保存"), Round("bench-par", "并发保存")
    for rnd in (sequential, parallel):
        store.create_round(db, rnd)

    alone: list[float] = []
    for item in _saves(db, sequential.id, n, 1):
        t0 = time.perf_counter()
        store.save_submissions(db, [item])
        alone.append((time.perf_counter() - t0) * 1000)

    work = _saves(db, parallel.id, n, 2)
    barrier = threading.Barrier(scale.writers)
    latencies: list[float] = []
    saved: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        for k in range(scale.saves):
            item = work[w * scale.saves + k]
            barrier.wait()
            t0 = time.perf_counter()
            try:
                store.save_submissions(db, [item])
            except Exception as exc:  # counted, never hidden: the figure reports them
                with lock:
                    errors.append(exc)
                continue
            took = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(took)
                saved.append(item[0].id)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(scale.writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        log(f"concurrent saves: {len(errors)} errors: " + "; ".join(sorted({repr(e) for e in errors})))
    lost = len(set(saved) - _stored(db, parallel.id))
    lost_alone = n - len(_stored(db, sequential.id))
    label = f"one save, {scale.writers} concurrent writers ({n} saves; floor: one writer)"
    p50 = round(statistics.median(latencies), 1) if latencies else None
    p95 = round(_percentile(latencies, 0.95), 1) if latencies else None
    return [
        Figure("concurrent_save_p50", label + ", p50", p50, "ms", round(statistics.median(alone), 1)),
        Figure("concurrent_save_p95", label + ", p95", p95, "ms", round(_percentile(alone, 0.95), 1)),
        Figure("concurrent_save_errors", "concurrent saves: errors", len(errors), "count", 0, "0"),
        Figure("concurrent_save_lost", "concurrent saves: lost (returned, row missing)", lost, "count",
               lost_alone, "0"),
    ]


# --- the run ------------------------------------------------------------------------------------


def machine() -> str:
    """nproc, CPU model and Python version."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} × {model}, Python {platform.python_version()}, {platform.system()}"


def run(scale: synth.Scale, log: Log) -> list[Figure]:
    """Generate the province of ``scale`` in a temporary folder and measure every figure."""
    with tempfile.TemporaryDirectory(prefix="xiangfeng-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        province = synth.generate(scale, work / "files")
        log(f"generated {province.villages:,} villages, {province.roads} roads, {len(province.rounds)} rounds "
            f"in {time.perf_counter() - t0:.1f} s")
        figures, db = registry_import(province, work, scale.repeat, log)
        for rnd in province.rounds:
            service.open_round(db, auth.operator(), rnd.id, rnd.name, rnd.start_date, rnd.end_date)
        service.import_roads_file(db, auth.operator(), province.roads_geojson)
        figures += submissions_import(province, db, work, log)
        steps: list[tuple[str, Callable[[], list[Figure]]]] = [
            ("shares", lambda: shares(db, province, scale.repeat, log)),
            ("membership", lambda: membership(db, scale.repeat)),
            ("maps", lambda: maps(db, province, scale.repeat, log)),
            ("export", lambda: export_figures(db, province, work, scale.repeat)),
            ("trends and bulletin", lambda: bench_rounds.figures(db, province.rounds[-1].id, province.counties[0],
                                                                 scale.repeat, log)),
            ("ledger", lambda: bench_ledger.figures(db, [r.id for r in province.rounds], province.counties[0],
                                                    scale.repeat, log)),
            ("concurrent saves", lambda: concurrent_saves(db, scale, log)),
            ("households", lambda: bench_households.figures(db, province.counties[0], work, scale, log)),
        ]
        for name, step in steps:
            t0 = time.perf_counter()
            figures += step()
            log(f"{name}: measured in {time.perf_counter() - t0:.1f} s")
        return figures


def _human(value: float | int | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "bytes":
        return f"{value / 1e6:.2f} MB" if value >= 1e5 else f"{value / 1e3:.1f} KB"
    if unit == "count":
        return str(value)
    return f"{value:g} {unit}"


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table (the README's format)."""
    lines = ["| figure | value | floor | ratio | goal |", "|---|---:|---:|---:|---|"]
    for f in figures:
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}×"
        lines.append(f"| {f.label} | {_human(f.value, f.unit)} | {_human(f.floor, f.unit)} | {ratio} | {f.goal} |")
    return "\n".join(lines)
