"""Store reads across rounds: every round's counting submissions at once (trends, elimination)
and how often each rubric item was found wanting (the bulletin's most frequent problems).

:func:`history` reads the submissions of every round with one
query: at province scale (25,000 villages × 6 rounds) one scan of the table, where
:func:`survey.store.round_results` per round would be six queries of 25,000 lookups each.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from core.model import Village
from survey.store.db import connect
from survey.store.registry import _VILLAGE_SELECT, _scope
from survey.store.rounds import rounds
from survey.trends import History, Mark

#: Memory map of the read of every round (SQLite caps it at its compile-time maximum).
MMAP_BYTES = 1 << 30


def history(db_path: str | Path, county: str | None = None, townships: Iterable[str] = (),
            round_ids: Iterable[str] | None = None) -> History:
    """The villages of the registry (optionally of one county and of any of ``townships``, a
    user's scope) and their counting submission in every round (or in those of ``round_ids``;
    unknown ids are left out): in each round the one ``store.round_results`` counts — not
    returned by a reviewer, the latest to arrive (rowid), published (not part of an import
    still being written).

    One query reads every submission of the rounds (plus the registry, and again the few
    villages with more than one submission in a round, by arrival, to choose among them):
    a scan of the table is much cheaper than a window or a lookup per (round, village), which
    read the wide rows twice; and each row comes as few Python objects as it can (the round as a
    small integer; pass, total and vetoes as one text, decoded once per distinct text)."""
    towns = sorted(set(townships))
    where, params = _scope(county, None, towns)
    wanted = None if round_ids is None else set(round_ids)
    chosen = tuple(r for r in rounds(db_path) if wanted is None or r.id in wanted)
    ids = [r.id for r in chosen]
    index = ",".join("?" * len(ids))
    case = "CASE s.round_id " + " ".join(f"WHEN ? THEN {i}" for i in range(len(ids))) + " END"
    sql = f"SELECT {case}, s.village_code, s.passed || s.total || ' ' || s.veto FROM submission_rows s"
    where_sub = " WHERE s.status != 'returned' AND s.batch IS NULL"
    sub_params: list[str] = list(ids)
    if county:  # a county's villages are the codes that begin with its code (import_registry)
        where_sub += f" AND s.round_id IN ({index}) AND s.village_code >= ? AND s.village_code < ?"
        sub_params += [*ids, county, county + ":"]  # ":" sorts right after "9"
    elif wanted is not None:  # "+": one scan of the table beats an index lookup per row
        where_sub += f" AND +s.round_id IN ({index})"
        sub_params += ids
    if towns:
        where_sub += f" AND substr(s.village_code, 1, 9) IN ({','.join('?' * len(towns))})"
        sub_params += towns
    with connect(db_path) as db:
        # this connection only reads, and reads the whole table at province scale: memory-mapped
        # pages spare a copy of every page (a quarter of the scan's time)
        db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        db.execute("BEGIN")  # one snapshot for the registry and the submissions (a read: no lock)
        registry = db.execute(f"{_VILLAGE_SELECT}{where} ORDER BY v.code", params).fetchall()
        rows = db.execute(sql + where_sub, sub_params).fetchall() if ids else []
        found: list[dict[str, str]] = [{} for _ in ids]  # per round: village code -> its result
        twice: set[tuple[int, str]] = set()
        for k, code, result in rows:
            if k is None:
                continue
            by_village = found[k]
            if code in by_village:
                twice.add((k, code))
            by_village[code] = result
        if twice:  # a few villages hold more than one submission in a round: the latest to arrive
            pairs = sorted(twice)
            for start in range(0, len(pairs), 400):
                chunk = pairs[start:start + 400]
                marks = " OR ".join("(s.round_id = ? AND s.village_code = ?)" for _ in chunk)
                flat = [x for k, code in chunk for x in (ids[k], code)]
                for k, code, result in db.execute(
                        f"{sql} {where_sub} AND ({marks}) ORDER BY s.rowid", sub_params + flat):
                    found[k][code] = result  # ascending: the last one written is the latest
        db.execute("COMMIT")
    new = tuple.__new__
    villages = tuple(new(Village, (*r[:11], r[11] != 0)) for r in registry)
    shared: dict[str, Mark] = {}
    marks = {}
    for rid, by_village in zip(ids, found):
        out = {}
        for code, result in by_village.items():
            m = shared.get(result)
            if m is None:  # "1" or "0", the total, a space, the vetoes (JSON)
                total, _, veto = result[1:].partition(" ")
                m = shared[result] = new(Mark, (Decimal(total), tuple(json.loads(veto)), result[0] == "1"))
            out[code] = m
        marks[rid] = out  # the same snapshot and filters: every village here is one of ``villages``
    return History(rounds=chosen, villages=villages, marks=marks)


def finding_counts(db_path: str | Path, submission_ids: Iterable[str]) -> dict[str, int]:
    """Item code -> how many of ``submission_ids`` found it wanting (a finding: a check not met,
    a count of at least one, a grade below the best), most first, ties by code."""
    ids = list(dict.fromkeys(submission_ids))
    counts: dict[str, int] = {}
    with connect(db_path) as db:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for code, n in db.execute(
                    f"SELECT item_code, COUNT(*) FROM submission_items WHERE finding != 0 "
                    f"AND submission_id IN ({marks}) GROUP BY item_code", chunk):
                counts[code] = counts.get(code, 0) + n
    return dict(sorted(counts.items(), key=lambda x: (-x[1], x[0])))
