"""Benchmark figures of the fix-it ledger (整改台账), measured by :mod:`bench.runner` on its province:

- ``ledger_bulk_approve`` — :func:`survey.review.approve` of 500 pending submissions of the last
  round at once, with the ledger entries of their findings opened in the same transaction
  (deadlines, duplicates, recurrence against the entries of the round before); best of
  ``repeat`` disjoint batches. Floor: the same writes the bare way on another batch, one
  transaction of four statements: the status UPDATE, the submissions' audit rows, one
  ``INSERT … SELECT`` of an entry per finding, their audit rows.
- ``ledger_county_page`` — :func:`survey.ledger.county_ledger` of one county (what the ledger
  page reads: the entries with their places, overdue and recurring first, counts by state and
  township) once the province holds about five entries per village (the two rounds before the
  last and the last approved whole). Floor: one hand-written SQL query of the
  county's entries with their village, township and county names.

Run alone: ``python -m bench.bench_ledger [--scale county]``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

from bench import best, run_alone

Log = Callable[[str], None]
BATCH = 500
#: Rounds before the last whose submissions are approved first: with the last round, about five
#: entries per village (a synthetic village has about two findings a round).
EARLIER_ROUNDS = 2

#: The floor of the county page: the county's entries with the names of their places.
PAGE_SQL = """
SELECT e.id, e.village_code, v.name, v.township_code, t.name, c.name, e.round_id, e.item_code, e.problem,
       e.found_on, e.deadline, e.status, e.failed_rechecks, e.recurs, e.closed_on
FROM ledger_entries e JOIN villages v ON v.code = e.village_code JOIN townships t ON t.code = v.township_code
LEFT JOIN counties c ON c.code = v.county_code
WHERE e.village_code >= ? AND e.village_code < ? ORDER BY e.village_code, e.item_code, e.id
"""


def _pending(db: Path, round_id: str) -> list[tuple[str, str]]:
    """(submission id, village code) of the round's pending submissions, by village."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT id, village_code FROM submissions WHERE round_id = ? AND status = 'pending' "
                            "ORDER BY village_code, rowid", [round_id]).fetchall()


def _floor_approve(db: Path, ids: list[str], day: str) -> int:
    """The bare writes of an approval with its entries; returns how many entries."""
    marks = ",".join("?" * len(ids))
    now = f"{day}T08:00:00+00:00"
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        for pragma in ("busy_timeout=10000", "journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(f"UPDATE submission_rows SET status = 'approved', reviewed_by = 'floor', reviewed_at = ? "
                     f"WHERE id IN ({marks})", [now, *ids])
        conn.execute(f"INSERT INTO audit (at, actor, action, entity, entity_id, village_code, before, after) "
                     f"SELECT ?, 'floor', 'review.approved', 'submission', id, village_code, "
                     f"'{{\"status\":\"pending\"}}', '{{\"status\":\"approved\"}}' FROM submission_rows "
                     f"WHERE id IN ({marks})", [now, *ids])
        first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_entries").fetchone()[0]
        conn.execute(f"INSERT INTO ledger_entries (village_code, round_id, item_code, submission_id, source, problem, "
                     f"found_on, deadline, status, opened_by, opened_at, updated_at) "
                     f"SELECT s.village_code, s.round_id, i.item_code, s.id, 'approval', i.item_code || '：' || "
                     f"COALESCE(json_extract(s.notes, '$.' || i.item_code), ''), s.date, date(?, '+7 days'), 'open', "
                     f"'floor', ?, ? FROM submission_items i JOIN submission_rows s ON s.id = i.submission_id "
                     f"WHERE i.submission_id IN ({marks}) AND i.finding = 1", [day, now, now, *ids])
        conn.execute("INSERT INTO audit (at, actor, action, entity, entity_id, village_code, before, after) "
                     "SELECT ?, 'floor', 'ledger.open', 'ledger', id, village_code, NULL, "
                     "json_object('round_id', round_id, 'item', item_code, 'deadline', deadline) "
                     "FROM ledger_entries WHERE id >= ?", [now, first])
        conn.execute("COMMIT")
        return conn.execute("SELECT COUNT(*) FROM ledger_entries WHERE id >= ?", [first]).fetchone()[0]


def _count(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]


def figures(db: Path, rounds: list[str], county: str, repeat: int, log: Log):
    from bench.runner import Figure, _s
    from survey import auth, ledger, review
    from survey.auth import User

    operator = auth.operator()
    last, earlier = rounds[-1], rounds[-1 - EARLIER_ROUNDS:-1]
    day = date(2025, 12, 28)

    # The rounds before: approved first (entries the last round's findings recur after).
    for n, rid in enumerate(earlier, 1):
        seed = [sid for sid, _ in _pending(db, rid)]
        t0 = time.perf_counter()
        for start in range(0, len(seed), 5000):
            review.approve(db, operator, seed[start:start + 5000],
                           today=day - timedelta(days=60 * (len(earlier) + 1 - n)))
        log(f"ledger: {len(seed):,} submissions of {rid} approved, {_count(db):,} entries, "
            f"{time.perf_counter() - t0:.1f} s")

    pending = [sid for sid, _ in _pending(db, last)]
    size = max(1, min(BATCH, len(pending) // (repeat + 1)))
    batches = [pending[k * size:(k + 1) * size] for k in range(repeat + 1)]
    times, opened = [], 0
    for batch in batches[:repeat]:
        n0 = _count(db)
        t0 = time.perf_counter()
        review.approve(db, operator, batch, today=day)
        times.append(time.perf_counter() - t0)
        opened = _count(db) - n0
    t0 = time.perf_counter()
    bare = _floor_approve(db, batches[repeat], day.isoformat())
    t_floor = time.perf_counter() - t0
    log(f"ledger: bulk approval of {size} opened {opened} entries (floor {bare})")

    rest = [sid for sid, _ in _pending(db, last)]
    t0 = time.perf_counter()
    for start in range(0, len(rest), 5000):
        review.approve(db, operator, rest[start:start + 5000], today=day)
    total = _count(db)
    log(f"ledger: the rest of {last} approved ({len(rest):,}), {total:,} entries, {time.perf_counter() - t0:.1f} s")

    reviewer = User("bench-reviewer", "审核员", auth.REVIEWER, county)
    t_page, page = best(lambda: ledger.county_ledger(db, reviewer, county, today=day), repeat)

    def floor():
        with closing(sqlite3.connect(db)) as conn:
            return conn.execute(PAGE_SQL, [county, county + "~"]).fetchall()

    t_page_floor, rows = best(floor, repeat)
    if len(rows) != len(page.entries):
        raise AssertionError(f"the ledger page read {len(page.entries)} entries, the bare query {len(rows)}")
    return [
        Figure("ledger_bulk_approve", f"bulk approval of {size} submissions with their {opened:,} ledger entries",
               _s(min(times)), "s", _s(t_floor), "< 2 s"),
        Figure("ledger_county_page", f"one county's ledger page data ({len(rows):,} of {total:,} entries)",
               _s(t_page), "s", _s(t_page_floor), "< 300 ms"),
    ]


def main(argv: list[str] | None = None) -> int:
    return run_alone(argv, __doc__, "ledger.db", lambda db, province, scale, work, log: figures(
        db, [r.id for r in province.rounds], province.counties[0], scale.repeat, log))


if __name__ == "__main__":
    raise SystemExit(main())
