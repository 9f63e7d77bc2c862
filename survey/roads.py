"""Roads as demonstration belts: the store keeps GeoJSON text; the domain works with
:class:`geo.io.Road` (shapely geometry in EPSG:4326, buffer in metres)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from core.constants import in_china
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
    """Stored roads (demonstration belts), sorted by name. A road whose stored geometry is not
    finite WGS84 within China (stored before the import refused such files: metres read as
    degrees, NaN) is left out, so no map or export fails on it; :func:`unusable_roads` names them."""
    return [road for road in _decoded(db_path) if _usable(road)]


def unusable_roads(db_path: str | Path) -> list[str]:
    """The names of stored roads :func:`load_roads` leaves out (import them again to fix them)."""
    return [road.name for road in _decoded(db_path) if not _usable(road)]


def _decoded(db_path: str | Path) -> list[Road]:
    with warnings.catch_warnings():  # shapely warns of a NaN coordinate: such a road is left out
        warnings.simplefilter("ignore", RuntimeWarning)
        return [Road(name=r.name, geometry=shape(json.loads(r.geometry)), buffer_m=r.buffer_m)
                for r in store.roads(db_path)]


def _usable(road: Road) -> bool:
    xy = shapely.get_coordinates(road.geometry)
    return bool(len(xy)) and bool(np.isfinite(xy).all()) and all(in_china(x, y) for x, y in xy)
