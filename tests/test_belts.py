"""Belts in metres, manual overrides, demonstration-village radiation, belt statistics, CRS guards."""

from decimal import Decimal

import geopandas as gpd
import pytest
from pyproj import Geod
from shapely.geometry import LineString, MultiLineString

from core.model import Village, VillageResult
from geo.belts import belt_membership, belt_stats, locate, radiation, village_belts
from geo.crs import CRSMismatch, check_same_crs, gauss_kruger_crs, metric_crs, utm_crs
from geo.io import Road

GEOD = Geod(ellps="WGS84")


def village(code: str, lon: float | None, lat: float | None, **kw) -> Village:
    return Village(code=code, name=kw.pop("name", f"村{code[-3:]}"), township_code=code[:9], township="城关镇",
                   county_code=code[:6], county="示范县", lon=lon, lat=lat, **kw)


def east_of(lon: float, lat: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` due east on the ellipsoid."""
    x, y, _ = GEOD.fwd(lon, lat, 90, metres)
    return x, y


def result(v: Village, total: str | None = None, passed: bool | None = None) -> VillageResult:
    if total is None:
        return VillageResult(village=v, round_id="R1")
    return VillageResult(village=v, round_id="R1", submission_id=f"s{v.code}", total=Decimal(total),
                         passed=passed, findings=0)


NORTH_SOUTH = Road("G107", LineString([(114.0, 29.8), (114.0, 30.2)]), 2000.0)


def test_metric_trap_north_south_road_at_30_degrees():
    inside = village("429901100201", *east_of(114.0, 30.0, 1900))
    outside = village("429901100202", *east_of(114.0, 30.0, 2100))
    # the trap: 2 km "in degrees" (2000 / 111 320 m per degree) is shorter than 1.9 km east at 30°N
    assert inside.lon - 114.0 > 2000 / 111_320
    members = belt_membership([inside, outside], [NORTH_SOUTH])
    assert [code for code, _ in members["G107"]] == [inside.code]
    assert members["G107"][0][1] == pytest.approx(1900, rel=0.005)


def test_members_sorted_nearest_first_with_distances_in_metres():
    far, near, mid = (village(f"42990110020{i}", *east_of(114.0, 30.0, d)) for i, d in enumerate((1500, 200, 800)))
    members = belt_membership([far, near, mid], [NORTH_SOUTH])["G107"]
    assert [c for c, _ in members] == [near.code, mid.code, far.code]
    assert [round(d, -1) for _, d in members] == [200, 800, 1500]


def test_each_road_has_its_own_buffer_and_every_road_is_listed():
    v = village("429901100201", *east_of(114.0, 30.0, 1800))
    narrow = Road("S207", LineString([(114.0, 29.8), (114.0, 30.2)]), 1500.0)
    empty = Road("X001", LineString([(115.0, 31.0), (115.1, 31.0)]), 2000.0)
    members = belt_membership([v], [NORTH_SOUTH, narrow, empty])
    assert members == {"G107": [(v.code, pytest.approx(1800, rel=0.005))], "S207": [], "X001": []}


def test_multilinestring_road_measures_to_its_nearest_part():
    v = village("429901100201", *east_of(114.3, 30.0, 500))
    road = Road("G316", MultiLineString([[(114.0, 29.9), (114.0, 30.1)], [(114.3, 29.9), (114.3, 30.1)]]))
    members = belt_membership([v], [road])
    assert members["G316"] == [(v.code, pytest.approx(500, rel=0.005))]


def test_no_village_near_any_road_gives_empty_belts():
    far = village("429901100201", *east_of(114.0, 30.0, 50_000))
    assert belt_membership([far], [NORTH_SOUTH]) == {"G107": []}
    assert belt_membership([far], []) == {}


def test_villages_without_a_point_are_never_members():
    assert belt_membership([village("429901100201", None, None)], [NORTH_SOUTH]) == {"G107": []}


def test_overrides_add_and_remove_members_by_hand():
    near = village("429901100201", *east_of(114.0, 30.0, 300))
    far = village("429901100202", *east_of(114.0, 30.0, 5000))
    unlocated = village("429901100203", None, None)
    overrides = [("G107", near.code, False), ("G107", far.code, True), ("G107", unlocated.code, True),
                 ("NO-SUCH-ROAD", near.code, True)]
    members = belt_membership([near, far, unlocated], [NORTH_SOUTH], overrides)
    assert list(members) == ["G107"]
    assert [c for c, _ in members["G107"]] == [far.code, unlocated.code]
    assert members["G107"][0][1] == pytest.approx(5000, rel=0.005)  # an added village keeps its true distance
    assert members["G107"][1][1] is None


def test_membership_does_not_depend_on_the_other_villages_loaded():
    """The map (all villages) and the export (one county) must agree on every village."""
    v = village("429901100201", *east_of(114.0, 30.0, 1999))
    others = [village(f"1101011002{i:02d}", 116.4 + i * 0.01, 39.9) for i in range(5)]  # far away, other zone
    assert belt_membership([v], [NORTH_SOUTH]) == {"G107": belt_membership([v, *others], [NORTH_SOUTH])["G107"]}


def test_geodataframe_input_gives_the_same_members():
    vs = [village(f"42990110020{i}", *east_of(114.0, 30.0, d)) for i, d in enumerate((300, 1200, 2500))]
    frame = gpd.GeoDataFrame({"code": [v.code for v in vs]},
                             geometry=gpd.points_from_xy([v.lon for v in vs], [v.lat for v in vs]), crs="EPSG:4326")
    assert belt_membership(frame, [NORTH_SOUTH]) == belt_membership(vs, [NORTH_SOUTH])


def test_village_belts_lists_the_nearest_road_first():
    v = village("429901100201", *east_of(114.0, 30.0, 1200))
    east_road = Road("S207", LineString([(v.lon + 0.005, 29.8), (v.lon + 0.005, 30.2)]), 2000.0)  # ~480 m away
    belts = village_belts(belt_membership([v], [NORTH_SOUTH, east_road]))
    assert belts == {v.code: ["S207", "G107"]}
    assert "、".join(belts[v.code]) == "S207、G107"


def test_radiation_leads_villages_within_the_radius_and_lists_the_unreached():
    demo = village("429901100201", 114.0, 30.0, demo=True)
    other_demo = village("429901100202", *east_of(114.0, 30.0, 3000), demo=True)
    near = village("429901100203", *east_of(114.0, 30.0, 1000))
    mid = village("429901100204", *east_of(114.0, 30.0, 4900))
    far = village("429901100205", *east_of(114.0, 30.0, 9000))
    unlocated = village("429901100206", None, None)
    rad = radiation([far, mid, demo, near, other_demo, unlocated])
    assert [c for c, _ in rad.led[demo.code]] == [near.code, mid.code]  # nearest first, no demo village led
    assert rad.led[demo.code][1][1] == pytest.approx(4900, rel=0.005)
    assert [c for c, _ in rad.led[other_demo.code]] == [mid.code, near.code]  # 1.9 km, then 2 km
    assert rad.unreached == [far.code]
    assert radiation([demo, far], radius_m=10_000).unreached == []


def test_radiation_without_demonstration_villages_reaches_no_one():
    vs = [village("429901100201", 114.0, 30.0), village("429901100202", 114.1, 30.0)]
    rad = radiation(vs)
    assert rad.led == {} and rad.unreached == [v.code for v in vs]


def test_belt_stats_counts_members_assessed_passed_average_and_title_share():
    a = village("429901100201", *east_of(114.0, 30.0, 100), title="县级")
    b = village("429901100202", *east_of(114.0, 30.0, 200), title="无")
    c = village("429901100203", *east_of(114.0, 30.0, 300), title="省级")
    outside = village("429901100204", *east_of(114.0, 30.0, 9000), title="全国")
    results = [result(a, "90.5", True), result(b, "84.0", False), result(c), result(outside, "99", True)]
    membership = belt_membership([r.village for r in results], [NORTH_SOUTH])
    [stats] = belt_stats(membership, results)
    assert (stats.road, stats.members, stats.assessed, stats.passed) == ("G107", 3, 2, 1)
    assert stats.average == Decimal("87.25")
    assert stats.civilized_share * 3 == Decimal(200)  # 2 of 3 members hold 县级 or higher


def test_belt_stats_of_an_empty_belt_has_no_average():
    [stats] = belt_stats({"G107": []}, [])
    assert (stats.members, stats.assessed, stats.average, stats.civilized_share) == (0, 0, None, None)


def test_metric_crs_is_the_utm_zone_or_gauss_kruger_of_the_data():
    assert utm_crs(113.9, 30.6).to_epsg() == 32649
    assert utm_crs(-70.0, -33.0).to_epsg() == 32719
    assert metric_crs([113.5, 114.1], [30.2, 30.9]).to_epsg() == 32649
    assert gauss_kruger_crs(113.9).to_epsg() == 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
    assert metric_crs([113.5, 114.1], [30.2, 30.9], kind="gk").name.endswith("CM 114E")
    assert locate([village("429901100201", 113.9, 30.6)]).crs.to_epsg() == 32649


def test_check_same_crs_refuses_a_join_across_crss():
    a = gpd.GeoSeries(gpd.points_from_xy([114.0], [30.0]), crs="EPSG:4326")
    b = a.to_crs(32649)
    assert check_same_crs(a, a.copy()).to_epsg() == 4326
    with pytest.raises(CRSMismatch) as err:
        check_same_crs(a, b)
    assert "EPSG:4326" in str(err.value) and "EPSG:32649" in str(err.value)


def test_roads_near_keeps_the_belts_within_reach_in_metres():
    """A north–south road at 30°N: a village 6.9 km east is within 2 km buffer + 5 km margin,
    one 7.1 km east is not (measured in metres, not degrees)."""
    from pyproj import Geod
    from shapely.geometry import LineString

    from core.model import Village
    from geo.belts import roads_near
    from geo.io import Road

    geod = Geod(ellps="WGS84")
    road = Road("G107", LineString([(114.0, 29.8), (114.0, 30.2)]), 2000.0)

    def village(metres):
        lon, lat, _ = geod.fwd(114.0, 30.0, 90, metres)
        return Village("429901100201", "甲村", "429901100", "城关镇", "429901", None, lon, lat)

    assert roads_near([village(6900)], [road], 5000.0) == [road]
    assert roads_near([village(7100)], [road], 5000.0) == []
    assert roads_near([], [road], 5000.0) == []
