"""Roads (demonstration belts) as GeoJSON text, and belt membership set by hand."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from survey.store.db import _audit, _audit_row, _bump, _now, connect


class StoredRoad(NamedTuple):
    """A road as stored: its name, its geometry as GeoJSON text (EPSG:4326) and its belt
    buffer in metres."""

    name: str
    geometry: str
    buffer_m: float


def replace_roads(db_path: str | Path, new_roads: Iterable[StoredRoad],
                  actor: str | None = None) -> tuple[int, int]:
    """Add or replace roads by name; return (added, replaced). An identical road is left as is.
    One write transaction from the first read: what is compared is what is replaced."""
    now = _now()
    rows = [{"name": r.name, "geometry": r.geometry, "buffer_m": float(r.buffer_m), "updated_at": now}
            for r in new_roads]
    with connect(db_path) as db, db.atomic():
        known = {r["name"]: (r["geometry"], r["buffer_m"])
                 for r in db.query("SELECT name, geometry, buffer_m FROM roads")}
        changed = [r for r in rows if known.get(r["name"]) != (r["geometry"], r["buffer_m"])]
        if changed:
            db["roads"].upsert_all(changed, pk="name")
            db["audit"].insert_all([_audit_row(
                actor, "road.replace" if r["name"] in known else "road.add", "road", r["name"],
                before={"buffer_m": known[r["name"]][1]} if r["name"] in known else None,
                after={"buffer_m": r["buffer_m"]}, at=now) for r in changed])
            _bump(db)
    replaced = sum(1 for r in changed if r["name"] in known)
    return len(changed) - replaced, replaced


def roads(db_path: str | Path) -> list[StoredRoad]:
    """Stored roads (demonstration belts), sorted by name."""
    with connect(db_path) as db:
        return [StoredRoad(r["name"], r["geometry"], r["buffer_m"])
                for r in db.query("SELECT name, geometry, buffer_m FROM roads ORDER BY name")]


def belt_overrides(db_path: str | Path) -> list[tuple[str, str, bool]]:
    """(road name, village code, include) set by hand."""
    with connect(db_path) as db:
        return [(r["road_name"], r["village_code"], bool(r["include"])) for r in db.query(
            "SELECT road_name, village_code, include FROM belt_overrides ORDER BY road_name, village_code")]


def set_belt_override(db_path: str | Path, road_name: str, village_code: str,
                      include: bool | None, by: str | None = None, actor: str | None = None,
                      reason: str | None = None) -> None:
    """Add (True) or remove (False) a village from a belt by hand, saying why; None clears the
    override."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT include, reason FROM belt_overrides WHERE road_name = ? AND "
                                 "village_code = ?", [road_name, village_code])), None)
        before = {"include": None if old is None else bool(old["include"])}
        if old is not None and old["reason"]:
            before["reason"] = old["reason"]
        after = {"include": include, **({"reason": reason} if reason else {})}
        _audit(db, actor or by, "belt.override", "road", road_name, village_code, before, after)
        if include is None:
            db.execute("DELETE FROM belt_overrides WHERE road_name = ? AND village_code = ?",
                       [road_name, village_code])
        else:
            db["belt_overrides"].upsert({"road_name": road_name, "village_code": village_code,
                                         "include": int(include), "set_by": by, "set_at": _now(),
                                         "reason": reason},
                                        pk=("road_name", "village_code"))
        _bump(db)


class OverrideRow(NamedTuple):
    """A village added to (include) or removed from a belt by hand: by whom, when and why."""

    road_name: str
    village_code: str
    include: bool
    set_by: str | None
    set_at: str
    reason: str | None


def belt_override_rows(db_path: str | Path) -> list[OverrideRow]:
    """Every override with who set it, when and why, by road then village."""
    with connect(db_path) as db:
        return [OverrideRow(r["road_name"], r["village_code"], bool(r["include"]), r["set_by"], r["set_at"],
                            r["reason"]) for r in db.query(
            "SELECT road_name, village_code, include, set_by, set_at, reason FROM belt_overrides "
            "ORDER BY road_name, village_code")]


def set_road_buffer(db_path: str | Path, name: str, buffer_m: float, actor: str | None = None) -> bool:
    """Set a road's belt buffer (metres); False when no road has that name. Audited."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT buffer_m FROM roads WHERE name = ?", [name])), None)
        if old is None:
            return False
        if old["buffer_m"] != float(buffer_m):
            db.execute("UPDATE roads SET buffer_m = ?, updated_at = ? WHERE name = ?", [float(buffer_m), _now(), name])
            _audit(db, actor, "road.buffer", "road", name, None, {"buffer_m": old["buffer_m"]},
                   {"buffer_m": float(buffer_m)})
            _bump(db)
        return True
