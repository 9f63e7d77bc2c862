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
                      include: bool | None, by: str | None = None, actor: str | None = None) -> None:
    """Add (True) or remove (False) a village from a belt by hand; None clears the override."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT include FROM belt_overrides WHERE road_name = ? AND "
                                 "village_code = ?", [road_name, village_code])), None)
        _audit(db, actor or by, "belt.override", "road", road_name, village_code,
               {"include": None if old is None else bool(old["include"])}, {"include": include})
        if include is None:
            db.execute("DELETE FROM belt_overrides WHERE road_name = ? AND village_code = ?",
                       [road_name, village_code])
        else:
            db["belt_overrides"].upsert({"road_name": road_name, "village_code": village_code,
                                         "include": int(include), "set_by": by, "set_at": _now()},
                                        pk=("road_name", "village_code"))
        _bump(db)
