"""Coordinate reference systems: GeoJSON in and out in WGS84 (EPSG:4326); every distance and
buffer in metres in a projected CRS chosen for the data, never in degrees.

The default metric CRS is the WGS84 / UTM zone of the data's centre (EPSG:326xx north, 327xx
south); the CGCS2000 3-degree Gauss-Kruger CM zones (EPSG:4534-4554) are available for Chinese
data that must match national survey products.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from core.errors import UsageError

WGS84 = CRS.from_epsg(4326)


class CRSMismatch(UsageError):
    """Two layers about to be joined are in different CRSs."""


def utm_epsg(lon: float, lat: float) -> int:
    """The EPSG code of the WGS84 / UTM zone holding (lon, lat)."""
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


@lru_cache(maxsize=128)
def crs_from_epsg(code: int) -> CRS:
    """``CRS.from_epsg``, cached: one object per code (cheap identity checks)."""
    return CRS.from_epsg(code)


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS84 / UTM zone CRS holding (lon, lat)."""
    return crs_from_epsg(utm_epsg(lon, lat))


def gauss_kruger_crs(lon: float) -> CRS:
    """The CGCS2000 / 3-degree Gauss-Kruger CM CRS nearest ``lon`` (central meridians 75E-135E)."""
    central = min(max(round(lon / 3.0) * 3, 75), 135)
    return crs_from_epsg(4534 + (central - 75) // 3)


def metric_crs(lon, lat, kind: str = "utm") -> CRS:
    """A projected metric CRS for points given in WGS84 degrees, centred on their bounding box:
    ``kind`` "utm" (default) or "gk" (CGCS2000 3-degree Gauss-Kruger)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        raise ValueError("no located point to choose a metric CRS from")
    c_lon = (lon[ok].min() + lon[ok].max()) / 2.0
    c_lat = (lat[ok].min() + lat[ok].max()) / 2.0
    if kind == "gk":
        return gauss_kruger_crs(c_lon)
    if kind == "utm":
        return utm_crs(c_lon, c_lat)
    raise ValueError(f"unknown metric CRS kind {kind!r}: use 'utm' or 'gk'")


def check_same_crs(a: gpd.GeoDataFrame | gpd.GeoSeries, b: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """The common CRS of two layers; :class:`CRSMismatch` when they differ or one has none."""
    if a.crs is None or b.crs is None or not CRS(a.crs).equals(CRS(b.crs)):
        raise CRSMismatch("crs_mismatch", left=_crs_name(a.crs), right=_crs_name(b.crs))
    return CRS(a.crs)


def _crs_name(crs) -> str:
    if crs is None:
        return "none"
    epsg = CRS(crs).to_epsg()
    return f"EPSG:{epsg}" if epsg else CRS(crs).name


@lru_cache(maxsize=64)
def _transformer(src: CRS, dst: CRS) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def project_xy(lon, lat, crs: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 degree arrays to metres in ``crs``."""
    return _transformer(WGS84, crs).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def _apply(geom, src: CRS, dst: CRS):
    t = _transformer(src, dst)

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = t.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, move)


def to_metric(geom: BaseGeometry | np.ndarray, crs: CRS):
    """WGS84 shapely geometry (or array of them) projected to ``crs`` (metres)."""
    return _apply(geom, WGS84, crs)


def to_wgs84(geom: BaseGeometry | np.ndarray, crs: CRS):
    """Geometry (or array) in metric ``crs`` back to WGS84 degrees."""
    return _apply(geom, crs, WGS84)


def project_frame(gdf: gpd.GeoDataFrame, crs: CRS | None = None) -> gpd.GeoDataFrame:
    """A WGS84 GeoDataFrame projected to ``crs`` (default: :func:`metric_crs` of its extent)."""
    if gdf.crs is None:
        raise CRSMismatch("crs_mismatch", left="none", right="EPSG:4326")
    if crs is None:
        lon_min, lat_min, lon_max, lat_max = gdf.to_crs(WGS84).total_bounds
        crs = metric_crs([lon_min, lon_max], [lat_min, lat_max])
    return gdf.to_crs(crs)
