"""Demonstration belts (文明示范带) and demonstration-village radiation (辐射带动), in metres.

A belt is a named road with a buffer (default 2 km). Its members are the villages whose point
lies within ``buffer_m`` of the road, measured in metres in the UTM zone of the roads' centre
(:func:`belts_crs`; never in degrees), plus the villages an officer adds by hand, minus those
removed by hand. The CRS depends on the roads only, so a village's membership does not change
with which other villages are loaded (the map and the export agree). The join is one
vectorised STRtree ``dwithin`` query of the villages against short pieces of the roads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from core.model import CIVILIZED_TITLES, Village, VillageResult
from geo.crs import WGS84, check_same_crs, metric_crs, project_xy, to_metric, utm_crs
from geo.io import Road

#: road name -> [(village code, distance to the road in metres)], nearest first. The distance is
#: None for a village added by hand that has no location.
Membership = dict[str, list[tuple[str, float | None]]]
#: (road name, village code, include) set by hand (store.belt_overrides).
Override = tuple[str, str, bool]



@dataclass(frozen=True)
class Located:
    """The villages that have a point, projected to one metric CRS."""

    codes: np.ndarray  # object array of str
    points: np.ndarray  # shapely Points in ``crs`` (metres)
    crs: CRS
    demo: np.ndarray  # bool
    lon: np.ndarray  # WGS84 degrees
    lat: np.ndarray

    def points_in(self, crs: CRS) -> np.ndarray:
        """The points projected to another metric CRS."""
        return self.points if crs.equals(self.crs) else shapely.points(*project_xy(self.lon, self.lat, crs))

    @property
    def index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.codes)}


def locate_xy(codes: Sequence[str], lon, lat, demo: Sequence[bool] | None = None,
              crs: CRS | None = None) -> Located:
    """Project WGS84 points to a metric CRS (default: :func:`metric_crs` of their extent)."""
    codes_a = np.array(list(codes), dtype=object)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    demo_a = np.zeros(len(codes_a), bool) if demo is None else np.array(list(demo), dtype=bool)
    if crs is None:
        crs = metric_crs(lon, lat) if len(codes_a) else WGS84
    x, y = project_xy(lon, lat, crs) if len(codes_a) else (lon, lat)
    return Located(codes_a, shapely.points(x, y), crs, demo_a, lon, lat)


def locate(villages: Sequence[Village] | gpd.GeoDataFrame, crs: CRS | None = None) -> Located:
    """Project the located villages (a list of :class:`Village`, or a GeoDataFrame in EPSG:4326
    with a ``code`` column, an optional ``demo`` column and Point geometries) to a metric CRS.
    Villages without a point are left out."""
    if isinstance(villages, gpd.GeoDataFrame):
        check_same_crs(villages, gpd.GeoSeries([], crs=WGS84))
        frame = villages[~(villages.geometry.isna() | villages.geometry.is_empty).to_numpy()]
        demo = frame["demo"].astype(bool).tolist() if "demo" in frame else None
        return locate_xy(frame["code"].astype(str).tolist(), frame.geometry.x.to_numpy(),
                         frame.geometry.y.to_numpy(), demo, crs)
    located = [v for v in villages if v.lon is not None and v.lat is not None]
    return locate_xy([v.code for v in located], [v.lon for v in located], [v.lat for v in located],
                     [v.demo for v in located], crs)


def belts_crs(roads: Sequence[Road]) -> CRS:
    """The metric CRS belts are measured in: the UTM zone of the centre of all the roads."""
    min_x, min_y, max_x, max_y = shapely.total_bounds(np.array([r.geometry for r in roads], dtype=object))
    return utm_crs((min_x + max_x) / 2.0, (min_y + max_y) / 2.0)


def belt_membership(villages: Sequence[Village] | gpd.GeoDataFrame | Located, roads: Sequence[Road],
                    overrides: Iterable[Override] = ()) -> Membership:
    """Road name -> its member villages ``[(code, distance_m)]`` nearest first, for every road
    (in the order given). Manual ``overrides`` add (include=True) or remove (False) members;
    an override naming an unknown road is ignored."""
    out: Membership = {r.name: [] for r in roads}
    if not len(roads):
        return out
    crs = belts_crs(roads)
    located = villages if isinstance(villages, Located) else locate(villages, crs)
    points = located.points_in(crs)
    lines = to_metric(np.array([r.geometry for r in roads], dtype=object), crs)
    if len(points):
        road_i, village_i, dist = _pairs_within(lines, np.array([r.buffer_m for r in roads], float), points)
        bounds = np.searchsorted(road_i, np.arange(len(roads) + 1))
        codes, dists = located.codes[village_i].tolist(), dist.tolist()
        for k, road in enumerate(roads):
            out[road.name] = list(zip(codes[bounds[k]:bounds[k + 1]], dists[bounds[k]:bounds[k + 1]]))
    overrides = list(overrides)
    if overrides:
        _apply_overrides(out, dict(zip(located.codes.tolist(), points)), dict(zip([r.name for r in roads], lines)),
                         overrides)
    return out


def roads_near(villages: Sequence[Village], roads: Sequence[Road], margin_m: float) -> list[Road]:
    """The roads whose buffer, widened by ``margin_m``, reaches at least one of ``villages``
    (measured in metres): the belts worth drawing over a part of the registry."""
    located = [v for v in villages if v.lon is not None and v.lat is not None]
    if not roads or not located:
        return []
    crs = belts_crs(roads)
    x, y = project_xy([v.lon for v in located], [v.lat for v in located], crs)
    points = shapely.multipoints(shapely.points(x, y))
    lines = to_metric(np.array([r.geometry for r in roads], dtype=object), crs)
    reach = np.array([r.buffer_m + margin_m for r in roads], float)
    return [r for r, near in zip(roads, shapely.dwithin(lines, points, reach)) if near]


#: Vertices per piece when roads are cut for the join (tight envelopes, cheap distances).
_PIECE = 16


def _pieces(lines: np.ndarray, k: int = _PIECE) -> tuple[np.ndarray, np.ndarray]:
    """Cut (Multi)LineStrings into consecutive pieces of at most ``k`` segments; return the
    pieces and the index of the line each comes from. A long winding road has a huge envelope
    that holds thousands of far villages; its pieces' envelopes hug the road."""
    parts, line_of_part = shapely.get_parts(lines, return_index=True)
    counts = shapely.get_num_coordinates(parts)
    coords = shapely.get_coordinates(parts)
    part_start = np.cumsum(counts) - counts
    n_pieces = (counts + k - 2) // k  # ceil(segments / k)
    piece_part = np.repeat(np.arange(len(parts)), n_pieces)
    j = np.arange(n_pieces.sum()) - np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces)
    start = part_start[piece_part] + j * k
    end = np.minimum(start + k, part_start[piece_part] + counts[piece_part] - 1)
    length = end - start + 1
    vertex = np.repeat(start - (np.cumsum(length) - length), length) + np.arange(length.sum())
    pieces = shapely.linestrings(coords[vertex], indices=np.repeat(np.arange(len(start)), length))
    return pieces, line_of_part[piece_part]


def _pairs_within(lines: np.ndarray, buffers: np.ndarray,
                  points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (line, point, distance) with distance <= the line's buffer (metric CRS), sorted by
    line, then distance, then point."""
    pieces, line_of = _pieces(lines)
    piece_i, point_i = shapely.STRtree(points).query(pieces, predicate="dwithin",
                                                    distance=buffers[line_of])
    dist = shapely.distance(pieces[piece_i], points[point_i])
    line_i = line_of[piece_i]
    # a point near several pieces of one line: keep its smallest distance
    key = line_i.astype(np.int64) * len(points) + point_i
    order = np.lexsort((dist, key))
    key, line_i, point_i, dist = key[order], line_i[order], point_i[order], dist[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    line_i, point_i, dist = line_i[first], point_i[first], dist[first]
    order = np.lexsort((point_i, dist, line_i))
    return line_i[order], point_i[order], dist[order]


def _apply_overrides(out: Membership, points: Mapping[str, shapely.Point], lines: Mapping[str, object],
                     overrides: Iterable[Override]) -> None:
    """Add or remove members by hand (in place); an added village keeps its true distance."""
    for road_name, code, include in overrides:
        if road_name not in out:
            continue
        members = [m for m in out[road_name] if m[0] != code]
        if include:
            point = points.get(code)
            members.append((code, None if point is None else float(shapely.distance(lines[road_name], point))))
            members.sort(key=lambda m: (m[1] is None, m[1] or 0.0, m[0]))
        out[road_name] = members


def village_belts(membership: Mapping[str, list[tuple[str, float | None]]]) -> dict[str, list[str]]:
    """Village code -> the names of the belts it belongs to, nearest road first (the export's
    示范带 column joins them with 、)."""
    seen: dict[str, list[tuple[float, str]]] = {}
    for road, members in membership.items():
        for code, dist in members:
            seen.setdefault(code, []).append((float("inf") if dist is None else dist, road))
    return {code: [road for _, road in sorted(pairs)] for code, pairs in seen.items()}


@dataclass(frozen=True)
class Radiation:
    """Which villages each demonstration village leads, and which none reaches."""

    led: dict[str, list[tuple[str, float]]]  # demo code -> [(code, distance_m)] nearest first
    unreached: list[str]  # located non-demonstration villages beyond every radius, by code
    radius_m: float


#: The radiation radius when a caller gives none (the domain brief's 5 km; the app passes the
#: county's setting ``radius_m``, :mod:`survey.settings`).
DEFAULT_RADIUS_M = 5000.0


def radiation(villages: Sequence[Village] | gpd.GeoDataFrame | Located,
              radius_m: float = DEFAULT_RADIUS_M) -> Radiation:
    """Demonstration villages (``demo``) lead the other villages within ``radius_m`` metres."""
    located = villages if isinstance(villages, Located) else locate(villages)
    demo_i = np.flatnonzero(located.demo)
    led: dict[str, list[tuple[str, float]]] = {c: [] for c in located.codes[demo_i]}
    reached = np.zeros(len(located.codes), bool)
    if len(demo_i):
        d_i, v_i = shapely.STRtree(located.points).query(
            located.points[demo_i], predicate="dwithin", distance=radius_m)
        keep = ~located.demo[v_i]
        d_i, v_i = d_i[keep], v_i[keep]
        dist = shapely.distance(located.points[demo_i][d_i], located.points[v_i])
        reached[v_i] = True
        for demo, metres, village in sorted(zip(d_i.tolist(), dist.tolist(), v_i.tolist())):
            led[located.codes[demo_i[demo]]].append((located.codes[village], metres))
    unreached = sorted(located.codes[~reached & ~located.demo].tolist())
    return Radiation(led, unreached, radius_m)


@dataclass(frozen=True)
class BeltStats:
    """One belt's figures for a round (averages and shares exact, unrounded)."""

    road: str
    members: int
    assessed: int
    passed: int
    average: Decimal | None  # mean total of the assessed members
    civilized_share: Decimal | None  # % of members holding a title that counts as civilized


def belt_stats(membership: Mapping[str, list[tuple[str, float | None]]],
               results: Iterable[VillageResult],
               titles: frozenset[str] = CIVILIZED_TITLES) -> list[BeltStats]:
    """Members, assessed, passed, average score and title share of every belt, in order;
    ``titles``: the titles that count as civilized (the county's setting)."""
    by_code = {r.village.code: r for r in results}
    out = []
    for road, members in membership.items():
        rows = [by_code[c] for c, _ in members if c in by_code]
        assessed = [r for r in rows if r.assessed and r.total is not None]
        out.append(BeltStats(
            road=road,
            members=len(members),
            assessed=len(assessed),
            passed=sum(1 for r in assessed if r.passed),
            average=sum((r.total for r in assessed), Decimal(0)) / len(assessed) if assessed else None,
            civilized_share=(Decimal(100) * sum(1 for r in rows if r.village.title in titles) / len(rows)
                             if rows else None),
        ))
    return out
