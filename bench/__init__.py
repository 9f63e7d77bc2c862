"""Benchmarks: ``python -m bench [--scale tiny|county|province] [--json]``.

:mod:`bench.synth` writes a seeded synthetic province as real files (villages CSV, roads GeoJSON,
one JSON Lines file of submissions per round); :mod:`bench.runner` imports them through the real
pipelines and measures each figure beside its floor, in the same run. The ``bench_*`` scripts
are deeper single-topic runs (headless-browser draw times, the tablet page's taps, the export's
companions) that share the measuring code below and in :mod:`bench.runner`.

Benchmarks assert nothing; ``tests/test_bench.py`` only runs the tiny scale once.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bench.synth import Province, Scale

T = TypeVar("T")


def best(fn: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Best wall time of ``repeat`` calls of ``fn`` (seconds) and the last call's result."""
    times: list[float] = []
    result: T
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB: ``VmHWM`` of its own memory map.
    (``ru_maxrss`` is no use in a child process: Linux carries the parent's peak over the exec.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cached_db(db: Path, build: Callable[[Path], None], rebuild: bool = False) -> dict[str, int]:
    """Build the synthetic database ``db`` with ``build`` unless it is there already (or
    ``rebuild``), print what it holds and return :func:`survey.store.stats` of it."""
    from survey import store

    db.parent.mkdir(exist_ok=True)
    if rebuild or not db.exists():
        for p in db.parent.glob(db.name + "*"):
            p.unlink()
        t0 = time.perf_counter()
        build(db)
        print(f"built {db} in {time.perf_counter() - t0:.1f} s")
    stats = store.stats(db)
    print(f"province: {stats['villages']} villages, {stats['townships']} townships, "
          f"{stats['counties']} counties, {stats['roads']} roads, {stats['rounds']} rounds, "
          f"{stats['submissions']} submissions")
    return stats


def stderr_log() -> Callable[[str], None]:
    """A progress log: each message on stderr after the seconds since this call."""
    start = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - start:7.1f} s] {message}", file=sys.stderr, flush=True)

    return log


def run_alone(argv: list[str] | None, doc: str, db_name: str,
              measure: Callable[[Path, Province, Scale, Path, Callable[[str], None]], list], *,
              rounds: bool = True) -> int:
    """The ``main`` of a single-topic benchmark run alone (``python -m bench.bench_x [--scale S]``,
    ``doc`` its help): the synthetic province of the scale (default ``county``) written to a
    temporary folder ``work``, its villages imported into ``work / db_name`` (with ``rounds``,
    every round opened and its submissions imported too), then the figures of
    ``measure(db, province, scale, work, log)`` printed as the README's table; progress on
    stderr."""
    import argparse
    import tempfile

    from bench import runner, synth
    from survey import auth, service

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--scale", choices=list(synth.SCALES), default="county")
    scale = synth.SCALES[parser.parse_args(argv).scale]
    log = stderr_log()
    with tempfile.TemporaryDirectory(prefix="xiangfeng-bench-") as tmp:
        work = Path(tmp)
        province = synth.generate(scale, work / "files")
        db = work / db_name
        operator = auth.operator()
        service.import_villages_file(db, operator, province.villages_csv)
        if rounds:
            for rnd in province.rounds:
                service.open_round(db, operator, rnd.id, rnd.name, rnd.start_date, rnd.end_date)
            for path in province.submissions:
                service.import_submissions_file(db, operator, path)
            log("imported")
        print(runner.table(measure(db, province, scale, work, log)))
    return 0
