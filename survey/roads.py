"""Roads as demonstration belts: the store keeps GeoJSON text; the domain works with
:class:`geo.io.Road` (shapely geometry in EPSG:4326, buffer in metres)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from shapely.geometry import mapping, shape

from geo.io import Road
from survey import store


def _geojson(road: Road) -> str:
    """The stored text of a road's geometry (stable: an unchanged road compares equal)."""
    return json.dumps(mapping(road.geometry), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def save_roads(db_path: str | Path, roads: Iterable[Road], actor: str | None = None) -> tuple[int, int]:
    """Add or replace roads by name; return (added, replaced). An identical road is left as is."""
    return store.replace_roads(db_path, [store.StoredRoad(r.name, _geojson(r), float(r.buffer_m))
                                         for r in roads], actor=actor)


def load_roads(db_path: str | Path) -> list[Road]:
    """Stored roads (demonstration belts), sorted by name."""
    return [Road(name=r.name, geometry=shape(json.loads(r.geometry)), buffer_m=r.buffer_m)
            for r in store.roads(db_path)]
