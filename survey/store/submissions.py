"""Stored submissions, their scored items and round results.

Scores are stored as exact decimal text (``"84.5"``) beside a REAL copy used only for sorting
and aggregate queries."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from core.errors import DataError, NotFound, problem
from core.model import FrozenMap, Village, VillageResult
from survey.store.drafts import _close
from survey.store.db import _audit_row, _bump, _dec, _insert_rows, _json, _now, _value_json, connect
from survey.store.rounds import get_round
from survey.store.registry import _scope

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.scoring import Score
    from survey.submissions import Submission


def save_submissions(
    db_path: str | Path,
    scored: Iterable[tuple[Submission, Score]],
    source: dict[str, tuple[str, int]] | None = None,
    actor: str | None = None,
    drafts: Mapping[str, tuple[str, str, str]] | None = None,
) -> tuple[int, int]:
    """Store scored submissions exactly once, all or nothing; return (added, skipped).

    A submission whose id is stored already with the same content is skipped (a resubmit after
    a dropped connection); the same id with *different* content is a conflict: nothing of the
    batch is written and :class:`DataError` names each conflict (located by ``source``:
    id -> (file, line), when given). Missing rounds are created (named by their id). A new
    submission of a village whose latest version in the round was returned supersedes it (the
    returned version is kept). Each stored submission appends an audit row (``actor``, else its
    surveyor). ``drafts`` (submission id -> (round, village, surveyor) of the tablet draft it
    came from): each such draft is closed (photos linked, draft deleted) in the same transaction,
    so a crash can never leave a submission without its photos.
    """
    from survey.submissions import canonical

    scored = list(scored)
    source = source or {}
    now = _now()
    # One write transaction from the first read: two writers saving the same id at once cannot
    # both see it as new.
    with connect(db_path) as db, db.atomic():
        ids = [s.id for s, _ in scored]
        stored: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            stored.update((r["id"], r["content"]) for r in db.query(
                f"SELECT id, content FROM submissions WHERE id IN ({marks})", chunk))
        problems, rows, items, seen = [], [], [], set()
        for sub, score in scored:
            content = canonical(sub)
            if sub.id in stored or sub.id in seen:
                if stored.get(sub.id, content) != content:
                    file, line = source.get(sub.id, ("submission", None))
                    problems.append(problem("submission_conflict", file, line, "id", value=sub.id))
                continue
            seen.add(sub.id)
            rows.append({
                "id": sub.id, "village_code": sub.village, "round_id": sub.round, "date": sub.date,
                "surveyor": sub.surveyor, "lon": sub.lon, "lat": sub.lat,
                "gps_accuracy_m": sub.gps_accuracy_m, "answers": _json(sub.answers),
                "veto": _json(list(sub.veto)), "notes": _json(sub.notes), "content": content,
                "sections": _json({k: _dec(v) for k, v in score.sections.items()}),
                "total": _dec(score.total), "total_num": float(score.total),
                "passed": int(score.passed), "findings": score.findings,
                "status": "pending", "received_at": now,
            })
            items.extend((sub.id, it.code, _value_json(it.value), _dec(it.points), _dec(it.lost),
                          float(it.lost), int(it.finding)) for it in score.items)
        if problems:
            raise DataError(problems)
        if rows:
            known = {r["id"] for r in db.query("SELECT id FROM rounds")}
            new_rounds = sorted({r["round_id"] for r in rows} - known)
            if new_rounds:
                db["rounds"].insert_all(
                    [{"id": r, "name": r, "start_date": None, "end_date": None, "created_at": now}
                     for r in new_rounds])
            _link_versions(db, rows)
            _insert_rows(db, "submissions", rows)
            db.conn.executemany(
                "INSERT INTO submission_items (submission_id, item_code, value, points, lost, lost_num, "
                "finding) VALUES (?, ?, ?, ?, ?, ?, ?)", items)
            _insert_rows(db, "audit", [_audit_row(
                actor or r["surveyor"], "submission.add", "submission", r["id"],
                r["village_code"], after={k: r[k] for k in (
                    "round_id", "date", "surveyor", "total", "passed", "supersedes")}, at=now)
                for r in rows])
            _bump(db)
        for sid, (round_id, village, surveyor) in (drafts or {}).items():
            if sid in seen or sid in stored:
                _close(db, round_id, village, surveyor, sid, actor)
    return len(rows), len(scored) - len(rows)


def submission_exists(db_path: str | Path, submission_id: str) -> bool:
    with connect(db_path) as db:
        return bool(list(db.query("SELECT 1 FROM submissions WHERE id = ?", [submission_id])))


_RESULTS_SQL = """
SELECT v.code, v.name, v.township_code, t.name AS township, v.county_code, c.name AS county,
       v.lon, v.lat, v.title, v.title_year, v.households, v.demo,
       r.id AS sid, r.date AS s_date, r.surveyor AS s_surveyor, r.lon AS s_lon, r.lat AS s_lat,
       r.gps_accuracy_m AS s_acc, r.sections AS s_sections, r.total AS s_total, r.veto AS s_veto,
       r.passed AS s_passed, r.findings AS s_findings, r.status AS s_status
FROM villages v JOIN townships t ON t.code = v.township_code
LEFT JOIN counties c ON c.code = v.county_code
-- the counting submission: a correlated lookup on (round_id, village_code) is an index probe
-- per village; a window over the whole round joined back scanned the round once per village.
-- Joined by rowid, not by id: no second index probe per village.
LEFT JOIN submissions r ON r.rowid = (
    SELECT s.rowid FROM submissions s
    WHERE s.round_id = ? AND s.village_code = v.code AND s.status != 'returned'
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
    with connect(db_path) as db:
        rows = db.execute(_RESULTS_SQL + where + " ORDER BY v.code", [round_id, *params]).fetchall()
    # Province scale: 25,000 rows. Records are named tuples built by position (tuple.__new__,
    # as their ``_make`` does, without a Python call per record), and the few distinct score
    # texts (sections, totals, vetoes) are decoded once each; the read-only sections are shared.
    new = tuple.__new__
    sections: dict[str, FrozenMap] = {}
    totals: dict[str, Decimal] = {}
    vetoes: dict[str, tuple[str, ...]] = {"[]": ()}
    unassessed = VillageResult(None, round_id)[1:]  # type: ignore[arg-type]  # the defaults, in order
    out = []
    append = out.append
    for (code, name, town_code, town, county_code, county, lon, lat, title, title_year, households,
         demo, sid, date, surveyor, s_lon, s_lat, accuracy, s_sections, total, veto, passed, findings,
         status) in rows:
        v = new(Village, (code, name, town_code, town, county_code, county, lon, lat, title, title_year,
                          households, demo != 0))
        if sid is None:
            append(new(VillageResult, (v, *unassessed)))
            continue
        s = sections.get(s_sections)
        if s is None:
            s = sections[s_sections] = FrozenMap((k, Decimal(x)) for k, x in json.loads(s_sections).items())
        t = totals.get(total)
        if t is None:
            t = totals[total] = Decimal(total)
        vt = vetoes.get(veto)
        if vt is None:
            vt = vetoes[veto] = tuple(json.loads(veto))
        append(new(VillageResult, (v, round_id, sid, date, surveyor, s_lon, s_lat, accuracy, s, t, vt,
                                   passed != 0, findings, status)))
    return out


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
    """One stored submission with its answers, veto, notes and scores (decoded)."""
    with connect(db_path) as db:
        rows = list(db.query("SELECT * FROM submissions WHERE id = ?", [submission_id]))
    if not rows:
        raise NotFound("submission_unknown", value=submission_id)
    row = rows[0]
    for key in ("answers", "veto", "notes", "sections"):
        row[key] = json.loads(row[key])
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


def _link_versions(db: Database, rows: list[dict[str, Any]]) -> None:
    """Set ``supersedes`` of new submission rows: the latest returned version of the same round
    and village that no other version supersedes yet (one query per round of the batch)."""
    waiting: dict[tuple[str, str], list[str]] = {}
    for round_id in sorted({r["round_id"] for r in rows}):
        for x in db.query(
            "SELECT s.id, s.village_code FROM submissions s WHERE s.round_id = ? AND "
            "s.status = 'returned' AND NOT EXISTS (SELECT 1 FROM submissions n WHERE "
            "n.supersedes = s.id) ORDER BY s.rowid DESC", [round_id]):
            waiting.setdefault((round_id, x["village_code"]), []).append(x["id"])
    for r in rows:
        versions = waiting.get((r["round_id"], r["village_code"]))
        r["supersedes"] = versions.pop(0) if versions else None
