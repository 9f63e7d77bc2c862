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
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

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
