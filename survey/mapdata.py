"""What the map page and ``python -m survey map`` draw: one round's results, the roads, belt
membership (with the officers' overrides), demonstration-village radiation and belt figures,
composed from store calls. No SQL here, no streamlit."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.constants import township_of
from core.errors import UsageError
from core.model import VillageResult
from geo.belts import BeltStats, Membership, Radiation, belt_membership, belt_stats, locate, radiation, roads_near
from geo.io import Road
from survey import store
from survey.auth import User
from survey.belts import township_boundaries
from survey.roads import load_roads


@dataclass(frozen=True)
class MapData:
    round_id: str | None  # None: no round yet, every village "not assessed"
    results: list[VillageResult]  # every registry village, sorted by code
    roads: list[Road]
    membership: Membership
    radiation: Radiation
    stats: list[BeltStats]
    titles: frozenset[str] = frozenset({"县级", "市级", "省级", "全国"})  # what counts as civilized
    #: township code -> (name, real boundary in EPSG:4326): the stored ones of these villages
    boundaries: dict[str, tuple[str, object]] = field(default_factory=dict)
    #: veto item code -> (Chinese name, English name) of the round's rubric
    veto: dict[str, tuple[str, str]] = field(default_factory=dict)

    def areas(self) -> dict[str, object]:
        """Township name -> real boundary, for the map builders (empty: derive them)."""
        return dict(self.boundaries.values())

    def veto_names(self, lang: str = "zh") -> dict[str, str]:
        return {code: en if lang == "en" else zh for code, (zh, en) in self.veto.items()}


def latest_round(db_path: str | Path) -> str | None:
    """The newest round's id, or None when there is none."""
    rounds = store.rounds(db_path)
    return rounds[-1].id if rounds else None


def county_map_data(db_path: str | Path, round_id: str | None) -> MapData:
    """Everything the maps need for ``round_id`` (NotFound for an unknown round). Belts and
    radiation are computed over the whole registry, so a village's belts never depend on the
    part of the map on screen."""
    if round_id is None:
        results = [VillageResult(village=v, round_id="") for v in store.villages(db_path)]
    else:
        results = store.round_results(db_path, round_id)
    from survey import settings

    roads = load_roads(db_path)
    villages = locate([r.village for r in results])
    membership = belt_membership(villages, roads, store.belt_overrides(db_path))
    local = settings.load(db_path, _one_county(db_path))
    towns = {r.village.township_code: r.village.township for r in results}
    areas = township_boundaries(db_path, towns)
    return MapData(round_id, results, roads, membership, radiation(villages, float(local.radius_m)),
                   belt_stats(membership, results, local.civilized_titles), local.civilized_titles,
                   {code: (towns[code], geom) for code, geom in areas.items()}, _veto_names(db_path, round_id))


def _one_county(db_path: str | Path) -> str | None:
    """The registry's county when it holds one (its settings apply), else None (the database's)."""
    counties = store.counties(db_path)
    return next(iter(counties)) if len(counties) == 1 else None


def _veto_names(db_path: str | Path, round_id: str | None) -> dict[str, tuple[str, str]]:
    """The veto items' names of the rubric ``round_id`` is scored with (the active one without)."""
    from survey.rubric import load_rubric
    from survey.service import rubric_for_round

    rubric = rubric_for_round(db_path, round_id) if round_id else load_rubric()
    return {v.code: (v.name or v.text, v.text_en or v.name or v.text) for v in rubric.veto}


def for_user(data: MapData, user: User, township: str | None = None) -> MapData:
    """``data`` cut to what ``user`` may see (reviewers and administrators: their scope),
    optionally one township of it. NotFound for a township outside the scope."""
    if not user.reviews:
        raise UsageError("forbidden")
    if township:
        user.scope.check(township)
        return restricted(data, lambda code: user.scope.allows(code) and township_of(code) == township)
    return restricted(data, user.scope.allows)


def tianditu_key() -> str | None:
    """The Tianditu key (tk) from the environment (``TIANDITU_KEY``), if any."""
    return os.environ.get("TIANDITU_KEY", "").strip() or None


def restricted(data: MapData, keep: Callable[[str], bool]) -> MapData:
    """``data`` cut to the villages whose code ``keep`` accepts (a user's scope, one township):
    their results, belt members, reach and belt figures (membership and reach were computed
    over the whole registry, so they do not change with the cut), and the belts that pass
    within the radiation radius of them (a province's other belts are not drawn)."""
    results = [r for r in data.results if keep(r.village.code)]
    codes = {r.village.code for r in results}
    roads = roads_near([r.village for r in results], data.roads, data.radiation.radius_m)
    near = {r.name for r in roads}
    membership = {road: [m for m in members if m[0] in codes]
                  for road, members in data.membership.items() if road in near}
    rad = Radiation({demo: [m for m in led if m[0] in codes] for demo, led in data.radiation.led.items()
                     if demo in codes}, [c for c in data.radiation.unreached if c in codes], data.radiation.radius_m)
    towns = {r.village.township_code for r in results}
    return MapData(data.round_id, results, roads, membership, rad, belt_stats(membership, results, data.titles),
                   data.titles, {code: area for code, area in data.boundaries.items() if code in towns}, data.veto)


@dataclass(frozen=True)
class StandaloneMap:
    """A map page that opens from a file with no network (Leaflet inlined), and what it shows."""

    html: bytes
    round_id: str | None
    villages: int
    assessed: int
    belts: int


def standalone_map(db_path: str | Path, round_id: str | None = None) -> StandaloneMap:
    """The whole registry's map for ``round_id`` (the newest round when None) as one HTML file
    (``python -m survey map``): the county map, or the township summary above
    :data:`geo.maps.POINT_LIMIT` villages. NotFound for an unknown round."""
    from geo.maps import build_map
    from geo.offline import standalone_html

    round_id = round_id or latest_round(db_path)
    data = county_map_data(db_path, round_id)
    m = build_map(data.results, data.roads, data.membership, data.areas(), radiation=data.radiation,
                  veto_names=data.veto_names())
    return StandaloneMap(standalone_html(m).encode("utf-8"), round_id, len(data.results),
                         sum(1 for r in data.results if r.assessed), len(data.roads))
