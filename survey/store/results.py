"""Reading stored submissions: one round's results (the counting submission of every village),
one submission whole, its lost points, a round's progress. Only published rows count: a large
import being written shows nowhere until it is published at once."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from itertools import repeat
from operator import ne
from pathlib import Path
from typing import Any

from core.bulk import collector_paused
from core.errors import NotFound
from core.model import FrozenMap, Village, VillageResult
from survey.store.db import connect
from survey.store.registry import _scope
from survey.store.rounds import get_round


def stored_ids(db_path: str | Path, ids: Iterable[str]) -> set[str]:
    """The ids of ``ids`` stored already (published, or staged by an import being written)."""
    ids = list(ids)
    found: set[str] = set()
    with connect(db_path) as db:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            found.update(r[0] for r in db.execute(
                f"SELECT id FROM submission_rows WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
    return found


def submission_exists(db_path: str | Path, submission_id: str) -> bool:
    with connect(db_path) as db:
        return bool(list(db.query("SELECT 1 FROM submissions WHERE id = ?", [submission_id])))


#: Memory map of a round's read (as :data:`survey.store.trends.MMAP_BYTES`).
MMAP_BYTES = 1 << 30

_RESULTS_SQL = """
SELECT v.code, v.name, v.township_code, v.county_code,
       v.lon, v.lat, v.title, v.title_year, v.households, v.demo,
       r.id AS sid, r.date AS s_date, r.surveyor AS s_surveyor, r.lon AS s_lon, r.lat AS s_lat,
       r.gps_accuracy_m AS s_acc, r.sections AS s_sections, r.total AS s_total, r.veto AS s_veto,
       r.passed AS s_passed, r.findings AS s_findings, r.status AS s_status
-- a village counts only with its township row (the inner join); the township's and county's
-- names come from their own small tables, read in the same transaction (one name object per
-- township, not one decoded text per village)
FROM villages v JOIN townships t ON t.code = v.township_code
-- the counting submission: a correlated lookup on (round_id, village_code) is an index probe
-- per village; a window over the whole round joined back scanned the round once per village.
-- Joined by rowid, not by id: no second index probe per village.
-- (the table, not the view: a view has no rowid; unpublished rows of a running import skipped)
LEFT JOIN submission_rows r ON r.rowid = (
    SELECT s.rowid FROM submission_rows s
    WHERE s.round_id = ? AND s.village_code = v.code AND s.status != 'returned' AND s.batch IS NULL
    ORDER BY s.rowid DESC LIMIT 1)
"""


def round_results(db_path: str | Path, round_id: str, county: str | None = None,
                  township: str | None = None, townships: Iterable[str] = ()) -> list[VillageResult]:
    """Every village of the registry (optionally of one county / township) with its counting
    submission of ``round_id``: the latest to arrive (never by the date a client declares) not returned by a
    reviewer. Sorted by code; ``townships`` (any of) narrows to a user's scope.
    :class:`NotFound` for an unknown round."""
    get_round(db_path, round_id)
    where, params = _scope(county, township, townships)
    with collector_paused():  # 50,000 tuples and more: see core.bulk
        return _results(db_path, round_id, where, params)


def _results(db_path: str | Path, round_id: str, where: str, params: list[str]) -> list[VillageResult]:
    with connect(db_path) as db:
        db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")  # 25,000 wide rows: no copy of each page
        db.execute("BEGIN")  # one read snapshot for the names and the rows
        try:
            towns = dict(db.execute("SELECT code, name FROM townships").fetchall())
            counties = dict(db.execute("SELECT code, name FROM counties").fetchall())
            rows = db.execute(_RESULTS_SQL + where + " ORDER BY v.code", [round_id, *params]).fetchall()
        finally:
            db.execute("COMMIT")
    # Province scale: 25,000 rows. Records are named tuples built by position (tuple.__new__,
    # as their ``_make`` does) by C-level maps over the columns, without a Python step per
    # record; the few distinct score texts (sections, totals, vetoes) are decoded once each and
    # the read-only sections shared. A village not assessed has NULL in every submission
    # column (the LEFT JOIN), which the lookups turn into VillageResult's defaults.
    (code, name, town_code, county_code, lon, lat, title, title_year, households, demo, sid, date, surveyor,
     s_lon, s_lat, accuracy, s_sections, total, veto, passed, findings, status) = zip(*rows) if rows else [()] * 22
    defaults = VillageResult._field_defaults
    sections = {x: defaults["sections"] if x is None else FrozenMap((k, Decimal(n)) for k, n in json.loads(x).items())
                for x in set(s_sections)}
    totals = {x: None if x is None else Decimal(x) for x in set(total)}
    vetoes = {x: defaults["veto"] if x is None else tuple(json.loads(x)) for x in set(veto)}
    passes = {x: None if x is None else x != 0 for x in set(passed)}
    new = tuple.__new__
    villages = map(new, repeat(Village), zip(
        code, name, town_code, map(towns.__getitem__, town_code), county_code, map(counties.get, county_code),
        lon, lat, title, title_year, households, map(ne, demo, repeat(0))))
    return list(map(new, repeat(VillageResult), zip(
        villages, repeat(round_id), sid, date, surveyor, s_lon, s_lat, accuracy,
        map(sections.__getitem__, s_sections), map(totals.__getitem__, total), map(vetoes.__getitem__, veto),
        map(passes.__getitem__, passed), findings, status)))


def round_totals(db_path: str | Path, round_id: str, county: str | None = None,
                 townships: Iterable[str] = ()) -> dict[str, tuple[Decimal, bool]]:
    """Village code -> (total, passed) of its counting submission of ``round_id`` (the one
    :func:`round_results` counts: the latest to arrive, not returned, published), for the
    villages assessed; optionally of one county and of any of ``townships``. What the dashboard
    compares a round with, read from one index (``submission_rows_counting``) without the wide
    rows. :class:`NotFound` for an unknown round."""
    get_round(db_path, round_id)
    sql = ("SELECT village_code, MAX(rowid), total, passed FROM submission_rows INDEXED BY submission_rows_counting "
           "WHERE round_id = ? AND status != 'returned' AND batch IS NULL")
    params: list[str] = [round_id]
    if county:  # a county's villages are the codes that begin with its code
        sql += " AND village_code >= ? AND village_code < ?"
        params += [county, county + ":"]  # ":" sorts right after "9"
    towns = sorted(set(townships))
    if towns:
        sql += f" AND substr(village_code, 1, 9) IN ({','.join('?' * len(towns))})"
        params += towns
    with connect(db_path) as db, collector_paused():
        # the row of MAX(rowid) gives total and passed (SQLite's bare columns of a min/max query)
        rows = db.execute(sql + " GROUP BY village_code", params).fetchall()
        # by C-level maps over the columns; each distinct total text decoded once
        codes, _, total, passed = zip(*rows) if rows else [()] * 4
        totals = {x: Decimal(x) for x in set(total)}
        return dict(zip(codes, zip(map(totals.__getitem__, total), map(ne, passed, repeat(0)))))


def item_losses(db_path: str | Path, submission_ids: Iterable[str]) -> dict[str, list[tuple[str, Decimal]]]:
    """Submission id -> the items that lost points, most points lost first."""
    ids = list(submission_ids)
    out: dict[str, list[tuple[str, Decimal]]] = {i: [] for i in ids}
    with connect(db_path) as db:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for r in db.query(
                f"SELECT submission_id, item_code, lost FROM submission_items "
                f"WHERE submission_id IN ({marks}) AND lost_num > 0 "
                f"ORDER BY submission_id, lost_num DESC, item_code", chunk):
                out[r["submission_id"]].append((r["item_code"], Decimal(r["lost"])))
    return out


def submission(db_path: str | Path, submission_id: str) -> dict[str, Any]:
    """One stored submission with its answers, vetoes, notes and scores (decoded): ``veto``
    the vetoes that apply (its own and the office's records in force on its date), ``reported``
    those its surveyor reported (suspected until confirmed), ``unmet`` grade item code -> the
    texts of its criteria not met (the finding's text), and ``unmet_numbers`` grade item code
    -> their 1-based numbers as submitted (every item answered by criteria)."""
    with connect(db_path) as db:
        rows = list(db.query("SELECT * FROM submissions WHERE id = ?", [submission_id]))
    if not rows:
        raise NotFound("submission_unknown", value=submission_id)
    row = rows[0]
    for key in ("answers", "veto", "notes", "sections", "reported", "veto_own", "unmet"):
        row[key] = json.loads(row[key])
    row["unmet_numbers"] = json.loads(row["content"]).get("unmet", {})
    row["total"] = Decimal(row["total"])
    row["sections"] = {k: Decimal(v) for k, v in row["sections"].items()}
    return row


def round_progress(db_path: str | Path, round_id: str, surveyor: str | None = None) -> dict[str, str]:
    """Village code -> 'submitted' or 'draft' for one round (villages with neither are absent)."""
    with connect(db_path) as db:
        out = {}
        draft_sql = "SELECT village_code FROM drafts WHERE round_id = ?"
        params = [round_id]
        if surveyor is not None:
            draft_sql += " AND surveyor = ?"
            params.append(surveyor)
        for r in db.query(draft_sql, params):
            out[r["village_code"]] = "draft"
        for r in db.query("SELECT DISTINCT village_code FROM submissions WHERE round_id = ? "
                          "AND status != 'returned'", [round_id]):
            out[r["village_code"]] = "submitted"
        return out


def submission_contents(db_path: str | Path, round_id: str, county: str | None = None) -> list[tuple[str, str]]:
    """(village code, the submission as received: canonical interchange JSON) of every published
    submission of ``round_id`` (of one county), by village code then arrival."""
    sql = "SELECT village_code, content FROM submissions WHERE round_id = ?"
    params = [round_id]
    if county:
        sql += " AND village_code >= ? AND village_code < ?"
        params += [county, county + ":"]
    with connect(db_path) as db:
        return [(r[0], r[1]) for r in db.execute(sql + " ORDER BY village_code, rowid", params)]
