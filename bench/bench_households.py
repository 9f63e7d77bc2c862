"""Benchmark figures of the ten-star households issue, measured by :mod:`bench.runner` on the first
county of its province (250 villages at the county and province scales):

- ``households_import`` — ``survey.households.import_file`` of the county's register (300
  households a village: 75,000 rows, a GBK CSV as old county files are) into a database holding
  the county's villages; floor: ``executemany`` of every row that import stored (households,
  audit) into another such database, same schema and pragmas, one transaction. Goal < 5 s.
- ``village_figures_county`` — ``survey.households.county_figures``: every village's figures
  (participation, tiers, ten-star rate, notice) for the office's progress table, once ~90 % of
  the households are rated (:func:`rate_county`);
  floor: one hand-written SQL aggregate of the same counts (:data:`FIGURES_SQL`). The two must
  agree on every village's households, rated, ten-star and posted counts. Goal < 200 ms.

Run alone: ``python -m bench.bench_households [--scale county]``.
"""

from __future__ import annotations

import csv
import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from bench import best, run_alone, synth

#: Households per village by scale (the issue's county: 250 villages × 300 households).
PER_VILLAGE = {"tiny": 10, "county": 300, "province": 300}
PERIOD = "2026"
STARS = [f"S{n:02d}" for n in range(1, 11)]

#: The floor of the figures: each village's households, rated, awarded ten-star households.
FIGURES_SQL = """
SELECT h.village_code, COUNT(*) AS households, COUNT(r.state) AS rated,
       SUM(r.state = 'awarded' AND r.star_count = 10 AND r.disqualifier IS NULL) AS ten_star,
       SUM(r.state IN ('notice', 'awarded')) AS noticed
FROM households h LEFT JOIN household_ratings r
  ON r.village_code = h.village_code AND r.household = h.number AND r.period = ?
WHERE h.village_code BETWEEN ? AND ? AND h.removed = 0
GROUP BY h.village_code ORDER BY h.village_code
"""

Log = Callable[[str], None]


def write_register(path: Path, villages: list[str], per_village: int, seed: int = 8) -> int:
    """A county's register as a GBK CSV (interchange.md headers): ``per_village`` households in
    each village, in groups of about 40, with fictional heads. Returns the rows written."""
    rng = random.Random(seed)
    with path.open("w", encoding="gbk", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["区划代码", "户号", "户主", "村民小组", "家庭人口"])
        for code in villages:
            for k in range(1, per_village + 1):
                out.writerow([code, f"{k:03d}", rng.choice(synth.SURNAMES) + rng.choice(synth.GIVEN)
                              + rng.choice(synth.GIVEN), f"{(k - 1) // 40 + 1}组", rng.randint(1, 7)])
    return len(villages) * per_village


def _registry_db(source: Path, county: str, path: Path) -> Path:
    """A new database holding ``county``'s villages of ``source`` (nothing else)."""
    from bench.runner import _fresh
    from survey import store
    from survey.registry import VillageRow

    _fresh(path)
    store.import_registry(path, [
        VillageRow(v.code, v.name, v.township, v.county, v.lon, v.lat, v.title, v.title_year, v.households,
                   v.demo, n) for n, v in enumerate(store.villages(source, county=county), 2)])
    return path


def import_figure(db: Path, county: str, work: Path, scale: synth.Scale, log: Log):
    """Figure 1; returns the database the last import filled."""
    from bench.runner import Figure, _copy, _floor_connect, _remove, _rows, _s
    from survey import auth
    from survey import households as hh

    template = _registry_db(db, county, work / "households_template.db")
    villages = [r[0] for r in _rows(template, "SELECT code FROM villages ORDER BY code")[1]]
    register = work / "households.csv"
    rows = write_register(register, villages, PER_VILLAGE[scale.name])
    times = []
    for k in range(scale.repeat):
        target = work / f"households{k}.db"
        _remove(target)
        shutil.copyfile(template, target)
        t0 = time.perf_counter()
        summary = hh.import_file(target, auth.operator(), register)
        times.append(time.perf_counter() - t0)
        if k < scale.repeat - 1:
            _remove(target)
    if summary.added != rows:
        raise AssertionError(f"the import added {summary.added} households of {rows}")
    stored = {"households": _rows(target, "SELECT * FROM households"),
              "audit": _rows(target, "SELECT * FROM audit WHERE entity = 'household'")}
    floor_times = []
    for _ in range(scale.repeat):
        floor_db = work / "floor_households.db"
        _remove(floor_db)
        shutil.copyfile(template, floor_db)
        with _floor_connect(floor_db) as conn:
            t0 = time.perf_counter()
            _copy(conn, stored)
            floor_times.append(time.perf_counter() - t0)
    log(f"households import: {rows:,} rows ({register.stat().st_size / 1e6:.1f} MB) in {min(times):.2f} s")
    return [Figure("households_import", f"household register import, {len(villages)} villages × "
                   f"{PER_VILLAGE[scale.name]} households (GBK CSV)", _s(min(times)), "s", _s(min(floor_times)),
                   "< 5 s")], target


def rate_county(db: Path, county: str, seed: int = 9) -> int:
    """Rate ~90 % of every village's households (4–10 stars, a few disqualified), written as the
    village's awarded results after a notice: one transaction per village through the store's
    rating writer (``rate`` and ``move`` do the same one household or one step at a time).
    Returns how many were rated."""
    from survey import auth, store
    from survey import households as hh

    rng, actor, rated = random.Random(seed), auth.operator().name, 0
    for v in store.villages(db, county=county):
        chosen = [h["number"] for h in store.household_rows(db, v.code) if rng.random() < 0.9]
        records = []
        for n in chosen:
            k = rng.choice((4, 5, 6, 7, 8, 9, 10, 10))
            records.append({"household": n, "stars": STARS[:k], "star_count": k,
                            "disqualifier": "D2" if k < 5 and rng.random() < 0.1 else None,
                            "state": hh.AWARDED, "notice_start": "2026-05-01", "notice_end": "2026-05-07"})
        store.change_ratings(db, v.code, PERIOD, chosen, lambda _current, records=records: records, actor=actor)
        rated += len(chosen)
    return rated


def figures_figure(db: Path, county: str, scale: synth.Scale, log: Log):
    from bench.runner import Figure, _s
    from survey import auth
    from survey import households as hh

    t0 = time.perf_counter()
    rated = rate_county(db, county)
    log(f"rated {rated:,} households in {time.perf_counter() - t0:.1f} s")

    def floor():
        with closing(sqlite3.connect(db)) as conn:
            return conn.execute(FIGURES_SQL, [PERIOD, county + "000000", county + "999999"]).fetchall()

    t_product, rows = best(lambda: hh.county_figures(db, auth.operator(), county, PERIOD), scale.repeat * 3)
    t_floor, aggregate = best(floor, scale.repeat * 3)
    got = [(p.village.code, p.figures.households, p.figures.rated, p.figures.ten_star, p.figures.noticed)
           for p in rows if p.figures.households]
    if got != [tuple(a) for a in aggregate]:
        raise AssertionError("the village figures and the SQL aggregate disagree")
    return [Figure("village_figures_county", f"village figures of a county ({len(rows)} villages, "
                   f"{sum(p.figures.households for p in rows):,} households)", _s(t_product), "s", _s(t_floor),
                   "< 200 ms")]


def figures(db: Path, county: str, work: Path, scale: synth.Scale, log: Log):
    found, filled = import_figure(db, county, work, scale, log)
    return found + figures_figure(filled, county, scale, log)


def main(argv: list[str] | None = None) -> int:
    return run_alone(argv, __doc__, "registry.db", lambda db, province, scale, work, log: figures(
        db, province.counties[0], work, scale, log), rounds=False)


if __name__ == "__main__":
    raise SystemExit(main())
