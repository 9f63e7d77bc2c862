"""Reading vector files: GeoJSON and zipped Shapefile layers, and roads (interchange.md "Roads").

Every layer comes back in WGS84 (EPSG:4326): a layer with no CRS is *declared* WGS84, a layer in
another CRS is *transformed*. Bad input raises :class:`core.errors.DataError` with every problem
located as ``FILE:N: field: message`` (N = the 1-based feature number).
"""

from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio
from pyproj.exceptions import CRSError, ProjError
from shapely import force_2d
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from core.config import DEFAULT_BUFFER_M
from core.constants import WGS84
from core.errors import DataError, problem

LAYER_SUFFIXES = (".geojson", ".json", ".zip")
#: Accepted road-name properties, in order of preference.
ROAD_NAME_FIELDS = ("name", "名称", "道路名称")


@dataclass(frozen=True)
class Road:
    """A named road (a demonstration belt's axis) in EPSG:4326, with its belt buffer in metres."""

    name: str
    geometry: LineString | MultiLineString
    buffer_m: float = DEFAULT_BUFFER_M


def _dbf_encoding(path: Path) -> str | None:
    """The encoding to force for a zipped Shapefile without a ``.cpg``: UTF-8 when its ``.dbf``
    decodes as UTF-8, else GB18030 (old Chinese GIS exports). ``None``: let GDAL decide."""
    with zipfile.ZipFile(path) as zf:
        names = [n.lower() for n in zf.namelist()]
        if any(n.endswith(".cpg") for n in names):
            return None
        dbfs = [n for n in zf.namelist() if n.lower().endswith(".dbf")]
        if not dbfs:
            return None
        raw = zf.read(dbfs[0])
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def read_layer(path: str | os.PathLike, display_name: str | None = None) -> gpd.GeoDataFrame:
    """Read a ``.geojson``/``.json`` file or a zipped Shapefile (``.zip``) as a GeoDataFrame in
    EPSG:4326. ``display_name`` is the file name used in error messages (default: the path)."""
    path = Path(path)
    name = display_name or str(path)
    if not path.exists():
        raise DataError([problem("file_missing", name)])
    suffix = path.suffix.lower()
    if suffix not in LAYER_SUFFIXES:
        raise DataError([problem("file_format", name, suffix=suffix or path.name)])
    try:
        if suffix == ".zip":
            encoding = _dbf_encoding(path)
            kwargs = {"encoding": encoding} if encoding else {}
            gdf = gpd.read_file(f"/vsizip/{path.resolve()}", engine="pyogrio", **kwargs)
        else:
            gdf = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, zipfile.BadZipFile, ValueError) as exc:
        raise DataError([problem("file_unreadable", name, detail=str(exc).strip() or type(exc).__name__)]) from exc
    if gdf.crs is None:
        return gdf.set_crs(WGS84)
    try:
        if gdf.crs.to_epsg() == 4326:
            return gdf
        return gdf.to_crs(WGS84)
    except (CRSError, ProjError) as exc:
        raise DataError([problem("crs_unknown", name, value=gdf.crs.name)]) from exc


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


def _norm(header: str) -> str:
    return str(header).strip().lstrip("\ufeff").strip().lower()


def read_roads(path: str | os.PathLike, buffer_m: float = DEFAULT_BUFFER_M, display_name: str | None = None) -> list[Road]:
    """The named roads of a GeoJSON / zipped Shapefile, in first-seen order. Features sharing a
    name are merged into one MultiLineString. Every problem is collected into one DataError."""
    name = display_name or str(path)
    try:
        buffer = float(buffer_m)
    except (TypeError, ValueError):
        buffer = math.nan
    if not (math.isfinite(buffer) and buffer > 0):
        raise DataError([problem("buffer", name, None, "buffer_m", value=str(buffer_m))])
    gdf = read_layer(path, display_name=name)
    columns = {_norm(c): c for c in gdf.columns if c != gdf.geometry.name}
    name_col = next((columns[f] for f in ROAD_NAME_FIELDS if f in columns), None)
    problems = []
    parts: dict[str, list[LineString]] = {}
    names = list(gdf[name_col]) if name_col is not None else [None] * len(gdf)
    geom: BaseGeometry | None
    for number, (value, geom) in enumerate(zip(names, gdf.geometry), start=1):
        road = None if _is_blank(value) else str(value).strip()
        if road is None:
            problems.append(problem("road_name", name, number, name_col or "name"))
        if geom is None or geom.is_empty or geom.geom_type not in ("LineString", "MultiLineString"):
            kind = "empty" if geom is None or geom.is_empty else geom.geom_type
            problems.append(problem("road_geometry", name, number, "geometry", value=kind))
            continue
        if road is not None:
            geom = force_2d(geom)
            parts.setdefault(road, []).extend(geom.geoms if isinstance(geom, MultiLineString) else [geom])
    if problems:
        raise DataError(problems)
    if not parts:
        raise DataError([problem("file_empty", name)])
    return [
        Road(road, lines[0] if len(lines) == 1 else MultiLineString(lines), buffer)
        for road, lines in parts.items()
    ]
