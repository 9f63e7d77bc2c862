"""The village registry: counties, townships and villages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.bulk import collector_paused
from core.constants import county_of, township_of
from core.errors import NotFound
from core.model import Village
from survey.store.db import _actor, _audit_row, _bump, _insert_rows, _json, _now, connect

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.registry import VillageRow


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int


_VILLAGE_FIELDS = ("name", "township_code", "county_code", "lon", "lat", "title", "title_year",
                   "households", "demo")


def import_registry(db_path: str | Path, rows: Iterable[VillageRow],
                    actor: str | None = None, day: str | None = None) -> ImportSummary:
    """Add or update villages (with their townships and counties) from validated rows, in one
    transaction. Fields a file did not carry (``None`` in the row) keep their stored value. A
    title (a village's, or a township's from the township-title columns) that differs from the
    registry's is recorded in the title history as the file's statement (dated ``day``, default
    today UTC), so the registry's title stays the history's."""
    from survey.store.titles import _record_titles

    rows = list(rows)
    now = _now()
    day = day or now[:10]
    who = _actor(actor)
    with connect(db_path) as db, db.atomic(), collector_paused():  # 25,000 records: see core.bulk
        existing = {r["code"]: r for r in db.query(
            "SELECT code, name, township_code, county_code, lon, lat, title, title_year, "
            "households, demo FROM villages")}
        towns = {r["code"]: r["name"] for r in db.query("SELECT code, name FROM townships")}
        town_titles = {r["code"]: (r["title"], r["title_year"]) for r in db.query(
            "SELECT code, title, title_year FROM townships")}
        new_town_titles: dict[str, tuple[str, int | None]] = {}
        counties = {r["code"]: r["name"] for r in db.query("SELECT code, name FROM counties")}
        new_towns: dict[str, tuple[str, str]] = {}
        new_counties: dict[str, str | None] = {}
        changed: list[dict[str, Any]] = []
        added = updated = unchanged = 0
        for row in rows:
            town_code, county_code = township_of(row.code), county_of(row.code)
            if towns.get(town_code) != row.township:
                new_towns[town_code] = (county_code, row.township)
            if row.township_title is not None:
                stated = (row.township_title, row.township_title_year if row.township_title != "无" else None)
                if town_titles.get(town_code, ("无", None)) != stated:
                    new_town_titles[town_code] = stated
            if row.county and counties.get(county_code) != row.county:
                new_counties[county_code] = row.county
            elif county_code not in counties and county_code not in new_counties:
                new_counties[county_code] = None
            old = existing.get(row.code)
            record = {
                "code": row.code, "name": row.name, "township_code": town_code,
                "county_code": county_code,
                "lon": row.lon if row.lon is not None else (old or {}).get("lon"),
                "lat": row.lat if row.lat is not None else (old or {}).get("lat"),
                "title": row.title if row.title is not None else (old or {}).get("title", "无"),
                "title_year": row.title_year if row.title is not None or row.title_year is not None
                else (old or {}).get("title_year"),
                "households": row.households if row.households is not None
                else (old or {}).get("households"),
                "demo": int(row.demo) if row.demo is not None else (old or {}).get("demo", 0),
            }
            if old is None:
                added += 1
            elif any(old[f] != record[f] for f in _VILLAGE_FIELDS):
                updated += 1
            else:
                unchanged += 1
                continue
            record["updated_at"] = now
            changed.append(record)
        if new_counties:
            db["counties"].upsert_all(
                [{"code": c, "name": n} for c, n in new_counties.items()], pk="code")
        if new_towns:
            db["townships"].upsert_all(
                [{"code": c, "county_code": cc, "name": n} for c, (cc, n) in new_towns.items()],
                pk="code")
        if new_town_titles:
            db.conn.executemany("UPDATE townships SET title = ?, title_year = ? WHERE code = ?",
                                [(t, y, c) for c, (t, y) in new_town_titles.items()])
            _record_titles(db, [(c, t, y) for c, (t, y) in new_town_titles.items()], day, "import-villages",
                           actor, now)
            _insert_rows(db, "audit", [_audit_row(who, "township.title", "township", c,
                                                  before=dict(zip(("title", "title_year"),
                                                                  town_titles.get(c, ("无", None)))),
                                                  after={"title": t, "title_year": y}, at=now)
                                       for c, (t, y) in new_town_titles.items()])
            if not changed:
                _bump(db)
        if changed:
            columns = list(changed[0])
            db.conn.executemany(
                f"INSERT INTO villages ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                f"ON CONFLICT(code) DO UPDATE SET "
                f"{', '.join(f'{c} = excluded.{c}' for c in columns if c != 'code')}",
                [tuple(r.values()) for r in changed])
            db.conn.executemany(
                "INSERT INTO audit (at, actor, action, entity, entity_id, village_code, before, after) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(now, who, "village.update" if r["code"] in existing else "village.add", "village", r["code"],
                  r["code"], *_village_changes(existing.get(r["code"]), r)) for r in changed])
            titled = [(r["code"], r["title"], r["title_year"]) for r in changed
                      if (existing.get(r["code"]) or {}).get("title", "无") != r["title"]
                      or (r["code"] in existing and r["title"] != "无"
                          and existing[r["code"]]["title_year"] != r["title_year"])]
            if titled:
                _record_titles(db, titled, day, "import-villages", actor, now)
            _bump(db)
    return ImportSummary(added, updated, unchanged)


#: The audited fields of a village in key order (the audit's JSON has sorted keys).
_AUDITED = tuple(sorted(("code", *_VILLAGE_FIELDS)))


def _village_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> tuple[str, str]:
    """The audit's before and after JSON of one village: what :func:`_changes` gives for the
    flat records (a new village: every field that has a value), without its general work per
    row (a province imports 25,000)."""
    if old is None:
        return "{}", _json({k: new[k] for k in _AUDITED if new[k] is not None})
    keys = [k for k in _AUDITED if old[k] != new[k]]
    return _json({k: old[k] for k in keys}), _json({k: new[k] for k in keys})


def _village(row: dict[str, Any]) -> Village:
    return Village(
        code=row["code"], name=row["name"], township_code=row["township_code"],
        township=row["township"], county_code=row["county_code"], county=row["county"],
        lon=row["lon"], lat=row["lat"], title=row["title"], title_year=row["title_year"],
        households=row["households"], demo=bool(row["demo"]))


_VILLAGE_SELECT = (
    "SELECT v.code, v.name, v.township_code, t.name AS township, v.county_code, "
    "c.name AS county, v.lon, v.lat, v.title, v.title_year, v.households, v.demo "
    "FROM villages v JOIN townships t ON t.code = v.township_code "
    "LEFT JOIN counties c ON c.code = v.county_code")


def villages(db_path: str | Path, county: str | None = None,
             township: str | None = None, townships: Iterable[str] = ()) -> list[Village]:
    """Villages of the registry, sorted by code, optionally of one county, one township and
    any of ``townships`` (a user's scope)."""
    where, params = _scope(county, township, townships)
    with connect(db_path) as db:
        return [_village(r) for r in db.query(f"{_VILLAGE_SELECT}{where} ORDER BY v.code", params)]


def village(db_path: str | Path, code: str) -> Village:
    with connect(db_path) as db:
        rows = list(db.query(f"{_VILLAGE_SELECT} WHERE v.code = ?", [code]))
    if not rows:
        raise NotFound("village_unknown", value=code)
    return _village(rows[0])


def _scope(county: str | None, township: str | None,
           townships: Iterable[str] = ()) -> tuple[str, list[str]]:
    clauses, params = [], []
    towns = list(townships)
    if towns:
        clauses.append(f"v.township_code IN ({','.join('?' * len(towns))})")
        params.extend(towns)
    if county:
        clauses.append("v.county_code = ?")
        params.append(county)
    if township:
        clauses.append("v.township_code = ?")
        params.append(township)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def counties(db_path: str | Path) -> dict[str, str | None]:
    """County code -> name (None when no file named it)."""
    with connect(db_path) as db:
        return {r["code"]: r["name"] for r in db.query("SELECT code, name FROM counties ORDER BY code")}


def townships(db_path: str | Path, county: str | None = None) -> dict[str, tuple[str, str]]:
    """Township code -> (name, county code), sorted by code."""
    sql = "SELECT code, name, county_code FROM townships"
    params: list[str] = []
    if county:
        sql += " WHERE county_code = ?"
        params.append(county)
    with connect(db_path) as db:
        return {r["code"]: (r["name"], r["county_code"]) for r in db.query(sql + " ORDER BY code", params)}
