"""Reading vector files: GeoJSON and zipped Shapefile layers, and roads (interchange.md "Roads").

Every layer comes back in WGS84 (EPSG:4326): a layer with no CRS is *declared* WGS84, a layer in
another CRS is *transformed*. Bad input raises :class:`core.errors.DataError` with every problem
located as ``FILE:N: field: message`` (N = the 1-based feature number).
"""

from __future__ import annotations

import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj.exceptions import CRSError, ProjError
from shapely import force_2d
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from core import limits
from core.constants import LAT_RANGE, LON_RANGE, WGS84
from core.errors import DataError, problem

#: The buffer of a road when a caller gives none (the domain brief's 2 km; the app and the command
#: line pass the county's setting ``buffer_m``, :mod:`survey.settings`).
DEFAULT_BUFFER_M = 2000.0

LAYER_SUFFIXES = (".geojson", ".json", ".zip")
#: Accepted road-name properties, in order of preference.
ROAD_NAME_FIELDS = ("name", "名称", "道路名称")


@dataclass(frozen=True)
class Road:
    """A named road (a demonstration belt's axis) in EPSG:4326, with its belt buffer in metres."""

    name: str
    geometry: LineString | MultiLineString
    buffer_m: float = DEFAULT_BUFFER_M


def _dbf_encoding(dbf: Path, cpg: bool) -> str | None:
    """The encoding to force for a Shapefile without a ``.cpg``: UTF-8 when its ``.dbf``
    decodes as UTF-8, else GB18030 (old Chinese GIS exports). ``None``: let GDAL decide."""
    if cpg:
        return None
    try:
        dbf.read_bytes().decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


#: The parts of a Shapefile copied out of a zip; ``.shx`` and ``.dbf`` are required.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian


def _unpack_shapefile(path: Path, name: str, folder: Path) -> tuple[Path, str | None]:
    """Check the zip (:func:`core.limits.inspect_zip`), find its one Shapefile and copy its
    parts to ``folder`` under fixed names; GDAL then reads plain files, never the zip.
    Returns the ``.shp`` path and the encoding to force (None: the ``.cpg`` says)."""
    limits.file_size(path, limits.LAYER_BYTES, name)
    members = limits.inspect_zip(path, name, max_unpacked=limits.LAYER_BYTES)
    members = [m for m in members if not m.filename.replace("\\", "/").startswith("__MACOSX/")]
    shps = [m for m in members if m.filename.lower().endswith(".shp")]
    if len(shps) != 1:
        names = "：" + "、".join(m.filename for m in shps[:5]) if shps else ""
        raise DataError([problem("shapefile_count", name, n=len(shps), names=names)])
    stem = shps[0].filename[:-4]
    parts = {m.filename[len(stem):].lower(): m for m in members
             if m.filename[:len(stem)].lower() == stem.lower() and m.filename[len(stem):].lower() in SHAPEFILE_PARTS}
    missing = [s for s in (".shx", ".dbf") if s not in parts]
    if missing:
        raise DataError([problem("shapefile_parts", name, value=shps[0].filename, missing="、".join(missing))])
    with zipfile.ZipFile(path) as zf:
        for suffix, member in parts.items():
            limits.extract_member(zf, member, folder / f"layer{suffix}", name)
    shp = folder / "layer.shp"
    with shp.open("rb") as f:
        if f.read(4) != _SHP_MAGIC:
            raise DataError([problem("layer_content", name, expected="Shapefile (.shp)")])
    return shp, _dbf_encoding(folder / "layer.dbf", ".cpg" in parts)


def _check_geojson(path: Path, name: str) -> None:
    """A GeoJSON file is a JSON object: refuse anything else before GDAL guesses a driver from
    the content (a VRT, for one, may name other files of the server)."""
    limits.file_size(path, limits.LAYER_BYTES, name)
    with path.open("rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{"):
        raise DataError([problem("layer_content", name, expected="GeoJSON")])


def _read(source: Path, name: str, encoding: str | None) -> gpd.GeoDataFrame:
    """The one layer of ``source``, after checking its feature and field counts."""
    kwargs = {"encoding": encoding} if encoding else {}
    try:
        info = pyogrio.read_info(source, **kwargs)
        features = int(info.get("features", -1))
        if features > limits.LAYER_FEATURES:
            raise DataError([problem("layer_features", name, n=features, limit=limits.LAYER_FEATURES)])
        if len(info.get("fields", ())) > limits.TABLE_COLUMNS:
            raise DataError([problem("too_many_columns", name, limit=limits.TABLE_COLUMNS)])
        gdf = gpd.read_file(source, engine="pyogrio", **kwargs)
    except DataError:
        raise
    # pyogrio's errors are RuntimeErrors (DataSourceError, DataLayerError and its kin); a
    # folder with no layer is an IndexError; damaged content a ValueError or OSError.
    except (RuntimeError, ValueError, IndexError, OSError, zipfile.BadZipFile) as exc:
        detail = str(exc).strip()[:300] or type(exc).__name__
        raise DataError([problem("file_unreadable", name, detail=detail)]) from exc
    if len(gdf) > limits.LAYER_FEATURES:
        raise DataError([problem("layer_features", name, n=len(gdf), limit=limits.LAYER_FEATURES)])
    vertices = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
    if vertices > limits.LAYER_VERTICES:
        raise DataError([problem("layer_vertices", name, n=vertices, limit=limits.LAYER_VERTICES)])
    return gdf


def _show(value: float) -> str:
    return f"{value:.6f}" if math.isfinite(value) else str(value)


def _check_coordinates(gdf: gpd.GeoDataFrame, name: str) -> None:
    """Every vertex of every feature finite and within China's box (WGS84 degrees), else one
    problem per feature and axis, at its first bad vertex (FILE:N: geometry)."""
    coords, index = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    if not len(coords):
        return
    x, y = coords[:, 0], coords[:, 1]
    bad_x = ~((x >= LON_RANGE[0]) & (x <= LON_RANGE[1]))  # NaN compares False: bad
    bad_y = ~((y >= LAT_RANGE[0]) & (y <= LAT_RANGE[1]))
    if not (bad_x.any() or bad_y.any()):
        return
    found = []  # (feature, axis, value) of the first bad vertex of each feature and axis
    for axis, (bad, values) in enumerate(((bad_x, x), (bad_y, y))):
        where = np.flatnonzero(bad)
        features, first = np.unique(index[where], return_index=True)  # vectorised: no loop per feature
        found += [(int(f), axis, float(values[where[i]])) for f, i in zip(features, first)]
    raise DataError([problem(("lon_range", "lat_range")[axis], name, feature + 1, "geometry", value=_show(value))
                     for feature, axis, value in sorted(found)])


def _refuse_metres(gdf: gpd.GeoDataFrame, name: str) -> None:
    """A layer with no CRS (or degrees) whose numbers cannot be degrees (beyond ±180 / ±90) was
    projected in metres and lost its CRS: refused, saying so, at its first such feature."""
    coords, index = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    if len(coords):
        x, y = coords[:, 0], coords[:, 1]
        metres = np.isfinite(x) & np.isfinite(y) & ((np.abs(x) > 180) | (np.abs(y) > 90))
        if metres.any():
            first = int(np.flatnonzero(metres)[0])
            raise DataError([problem("crs_missing_metres", name, int(index[first]) + 1, "geometry",
                                     value=f"{x[first]:.0f}, {y[first]:.0f}")])


def read_layer(path: str | os.PathLike, display_name: str | None = None,
               require_crs: bool = False) -> gpd.GeoDataFrame:
    """Read a ``.geojson``/``.json`` file or a zipped Shapefile (``.zip``) as a GeoDataFrame in
    EPSG:4326. ``display_name`` is the file name used in error messages (default: the path).
    Limits (:mod:`core.limits`) are checked before GDAL reads anything; every vertex must be
    finite and within China's box; a layer with no CRS in metres is refused, and with
    ``require_crs`` any layer with no CRS (a GeoJSON is WGS84 by its specification)."""
    path = Path(path)
    name = display_name or str(path)
    if not path.exists():
        raise DataError([problem("file_missing", name)])
    suffix = path.suffix.lower()
    if suffix not in LAYER_SUFFIXES:
        raise DataError([problem("file_format", name, suffix=suffix or path.name)])
    if suffix == ".zip":
        with tempfile.TemporaryDirectory(prefix="xiangfeng-layer-") as tmp:
            shp, encoding = _unpack_shapefile(path, name, Path(tmp))
            gdf = _read(shp, name, encoding)
    else:
        _check_geojson(path, name)
        gdf = _read(path, name, None)
    if gdf.crs is None and require_crs:
        raise DataError([problem("boundary_crs_missing", name, None, "crs")])
    if gdf.crs is None or gdf.crs.is_geographic:  # GDAL gives a GeoJSON without "crs" EPSG:4326
        _refuse_metres(gdf, name)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    else:
        try:
            if gdf.crs.to_epsg() != 4326:
                gdf = gdf.to_crs(WGS84)
        except (CRSError, ProjError) as exc:
            raise DataError([problem("crs_unknown", name, value=gdf.crs.name)]) from exc
    _check_coordinates(gdf, name)
    return gdf


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


def _norm(header: str) -> str:
    return str(header).strip().lstrip("\ufeff").strip().lower()


def read_roads(path: str | os.PathLike, buffer_m: float = DEFAULT_BUFFER_M,
               display_name: str | None = None) -> list[Road]:
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


#: Accepted township-code and township-name properties of a boundary layer, in order of preference.
BOUNDARY_CODE_FIELDS = ("code", "township_code", "乡镇代码", "区划代码", "代码", "xzqdm")
BOUNDARY_NAME_FIELDS = ("name", "township", "乡镇", "乡镇名称", "名称", "xzqmc")


@dataclass(frozen=True)
class Boundary:
    """A township's boundary (Polygon or MultiPolygon, EPSG:4326) keyed by its 9-digit code."""

    code: str
    name: str | None
    geometry: BaseGeometry


def _code_text(value: object) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():  # a DBF number field: 429901100.0
        value = int(value)
    return str(value).strip()


def read_boundaries(path: str | os.PathLike, display_name: str | None = None) -> list[Boundary]:
    """The township boundaries of a GeoJSON / zipped Shapefile in any CRS (reprojected to
    EPSG:4326; a layer with no CRS is refused), keyed by the 9-digit township code, in code
    order. Features sharing a code are merged. Every problem is collected into one DataError."""
    name = display_name or str(path)
    gdf = read_layer(path, display_name=name, require_crs=True)
    columns = {_norm(c): c for c in gdf.columns if c != gdf.geometry.name}
    code_col = next((columns[f] for f in BOUNDARY_CODE_FIELDS if f in columns), None)
    name_col = next((columns[f] for f in BOUNDARY_NAME_FIELDS if f in columns), None)
    codes = list(gdf[code_col]) if code_col is not None else [None] * len(gdf)
    names = list(gdf[name_col]) if name_col is not None else [None] * len(gdf)
    problems, parts, labels = [], {}, {}
    for number, (value, label, geom) in enumerate(zip(codes, names, gdf.geometry), start=1):
        code = _code_text(value)
        if not (len(code) == 9 and code.isascii() and code.isdigit()):
            problems.append(problem("boundary_code", name, number, code_col or "code", value=code))
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            kind = "empty" if geom is None or geom.is_empty else geom.geom_type
            problems.append(problem("boundary_geometry", name, number, "geometry", value=kind))
            continue
        geom = shapely.make_valid(force_2d(geom))
        parts.setdefault(code, []).append(geom)
        if not _is_blank(label):
            labels.setdefault(code, str(label).strip()[:limits.FIELD_CHARS])
    if problems:
        raise DataError(problems)
    if not parts:
        raise DataError([problem("file_empty", name)])
    merged = []
    for code in sorted(parts):
        geom = shapely.union_all(parts[code])
        polygons = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
        merged.append(Boundary(code, labels.get(code), shapely.multipolygons(polygons)))
    return merged
