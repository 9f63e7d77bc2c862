"""Map builders (escaping, belts in metres, township areas, base layers, scale), Leaflet served or
inlined with nothing from a CDN, and WGS84 <-> GCJ-02."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, box
from test_map_page import VILLAGES, build_map_db

from core.errors import UsageError
from core.model import Village, VillageResult
from geo import maps
from geo.belts import belt_membership, locate, radiation
from geo.coords import gcj02_to_wgs84, geometry_to_gcj02, out_of_china, wgs84_to_gcj02
from geo.io import Road
from geo.maps import DataLayer, base_layer, build_county_map, build_map, build_overview_map
from geo.offline import LEAFLET_DIR, OfflineMap, install_static, leaflet_css, leaflet_js, standalone_html
from survey import store
from survey.cli import main
from survey.registry import VillageRow

GEOD = Geod(ellps="WGS84")
XSS = "<img src=x onerror=alert(1)>"
CDN = re.compile(r"cdn\.|cdnjs|jsdelivr|unpkg|code\.jquery|bootstrapcdn|googleapis|fontawesome")


def result(code: str, lon: float, lat: float, outcome: str = "none", name: str | None = None,
           township: str = "城关镇", demo: bool = False) -> VillageResult:
    v = Village(code=code, name=name or f"村{code[-3:]}", township_code=code[:9], township=township,
                county_code=code[:6], county="示范县", lon=lon, lat=lat, title="县级", demo=demo)
    if outcome == "none":
        return VillageResult(village=v, round_id="R1")
    return VillageResult(village=v, round_id="R1", submission_id=f"s{code}", date="2026-05-20",
                         total=Decimal("90.5") if outcome == "passed" else Decimal("70"),
                         veto=("V1",) if outcome == "vetoed" else (), passed=outcome == "passed", findings=3)


def east(metres: float, lat: float = 30.0) -> tuple[float, float]:
    lon, lat2, _ = GEOD.fwd(114.0, lat, 90, metres)
    return lon, lat2


ROAD = Road("G107", LineString([(114.0, 29.9), (114.0, 30.1)]), 2000.0)


def county() -> list[VillageResult]:
    """Two townships of four villages, one of each result, names included one meant to attack."""
    out = []
    for t, town in enumerate(("城关镇", "河口镇")):
        for i, outcome in enumerate(("passed", "failed", "vetoed", "none")):
            lon, lat = east(500 + 1200 * i, 29.95 + 0.06 * t)
            out.append(result(f"429901{100 + t}{201 + i}", lon, lat, outcome, township=town,
                              name=XSS if (t, i) == (0, 0) else None, demo=(t, i) == (1, 0)))
    return out


def layers(m) -> dict[str, dict]:
    """Layer name -> its GeoJSON as the browser receives it."""
    return {c.layer_name: json.loads(c.data_js) for c in m._children.values() if isinstance(c, DataLayer)}


def county_map(results=None, roads=(ROAD,), **kw):
    results = county() if results is None else results
    villages = [r.village for r in results]
    return build_county_map(results, list(roads), belt_membership(villages, list(roads)),
                            radiation=radiation(villages), **kw)


# --- escaping ----------------------------------------------------------------------------------


def test_every_text_from_data_is_escaped_in_popups_and_tooltips():
    rs = county()
    road = Road("<b>S207</b>", ROAD.geometry, 2000.0)
    boundaries = {"<i>河口镇</i>": box(114.0, 30.0, 114.1, 30.1)}
    m = county_map(rs, [road], boundaries=boundaries)
    data = layers(m)
    village = next(f for f in data["村庄（测评结果）"]["features"] if f["properties"]["t"].startswith("&lt;img"))
    assert village["properties"]["t"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert village["properties"]["p"][:2] == ["&lt;img src=x onerror=alert(1)&gt;", "城关镇 · 429901100201"]
    assert "&lt;b&gt;S207&lt;/b&gt;" in village["properties"]["p"]  # its belt, in the popup
    [belt] = data["示范带缓冲区"]["features"]
    assert belt["properties"]["t"] == "&lt;b&gt;S207&lt;/b&gt;"
    [town] = data["乡镇范围"]["features"]
    assert town["properties"]["t"] == "&lt;i&gt;河口镇&lt;/i&gt;"
    html = standalone_html(m)
    assert "<img src=x" not in html and "<b>S207" not in html and "<i>河口镇" not in html


# --- offline: nothing from a CDN ----------------------------------------------------------------


def test_the_served_map_loads_leaflet_only_and_only_from_the_app():
    m = county_map()
    assert OfflineMap.default_js == [("leaflet", "../../app/static/leaflet-1.9.3/leaflet.js")]
    assert OfflineMap.default_css == [("leaflet_css", "../../app/static/leaflet-1.9.3/leaflet.css")]
    page = m.get_root().render()
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("../../app/static/leaflet-1.9.3/") for s in sources)
    assert not CDN.search(page) and "jquery" not in page.lower() and "bootstrap" not in page.lower()


def test_the_standalone_file_inlines_leaflet_and_loads_nothing():
    page = standalone_html(county_map())
    assert not re.search(r"<script[^>]*\bsrc=", page) and not re.search(r"<link[^>]*\bhref=", page)
    assert not CDN.search(page)
    assert (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")[:200] in page
    assert "url(images/" not in page and "url(data:image/png;base64," in page  # layer-control icon inlined
    ours = page.replace(leaflet_js(), "").replace(leaflet_css(), "")
    assert not re.search(r"https?://", ours)  # no tiles either: the default base layer is none


def test_install_static_copies_leaflet_once_and_ignores_it_in_git(tmp_path):
    target = install_static(tmp_path / "static")
    assert target == tmp_path / "static" / "leaflet-1.9.3"
    assert (target / "leaflet.js").read_bytes() == (LEAFLET_DIR / "leaflet.js").read_bytes()
    assert (target / "images" / "layers.png").is_file()
    assert (target / ".gitignore").read_text().splitlines()[-1] == "*"
    (target / "leaflet.js").write_text("kept")  # a second call leaves a complete copy alone
    assert install_static(tmp_path / "static") == target and (target / "leaflet.js").read_text() == "kept"
    assert [p.name for p in (tmp_path / "static").iterdir()] == ["leaflet-1.9.3"]


# --- what the county map draws ------------------------------------------------------------------


def test_villages_are_drawn_once_each_coloured_by_result_with_a_legend():
    rs = county()
    m = county_map(rs)
    features = layers(m)["村庄（测评结果）"]["features"]
    assert len(features) == len(rs)
    styles = [f["properties"]["s"] for f in features]
    assert styles == ["passed", "failed", "vetoed", "none", "passed-d", "failed", "vetoed", "none"]
    assert [f["geometry"]["coordinates"] for f in features] == [
        [round(r.village.lon, 6), round(r.village.lat, 6)] for r in rs]
    legend = next(c for c in m._children.values() if isinstance(c, maps.Legend)).html_js
    for text in ("达标 (2)", "未达标 (2)", "一票否决 (2)", "未测评 (2)", "示范村"):
        assert text in json.loads(legend)


def test_popup_values_pair_with_the_layer_labels():
    m = county_map()
    layer = next(c for c in m._children.values() if isinstance(c, DataLayer) and c.layer_name == "村庄（测评结果）")
    labels = json.loads(layer.labels_js)
    vetoed = layers(m)["村庄（测评结果）"]["features"][2]["properties"]["p"]
    assert dict(zip(labels, vetoed[2:])) == {"结果": "一票否决", "总分": "70.0", "称号": "县级", "示范带": "—",
                                            "问题数": "3", "否决事项": "V1", "测评日期": "2026-05-20", "示范村": None}
    demo = layers(m)["村庄（测评结果）"]["features"][4]["properties"]["p"]
    assert dict(zip(labels, demo[2:]))["示范村"] == "带动 3 个村"


def test_belt_buffers_are_computed_in_metres():
    [belt] = layers(county_map())["示范带缓冲区"]["features"]
    across = shapely.geometry.shape(belt["geometry"]).intersection(LineString([(113.9, 30.0), (114.1, 30.0)]))
    west, _, east_, _ = across.bounds
    width = GEOD.inv(west, 30.0, east_, 30.0)[2]
    assert width == pytest.approx(4000, rel=0.01)  # 2 × 2000 m, not 2 × 2000 m "in degrees"
    [road] = layers(county_map())["示范带道路"]["features"]
    assert road["geometry"]["coordinates"] == [[114.0, 29.9], [114.0, 30.1]]


def test_derived_township_areas_hold_their_villages_and_never_overlap():
    rs = county()
    towns = layers(county_map(rs))["乡镇范围（由村点推算）"]["features"]
    assert [f["properties"]["t"] for f in towns] == ["城关镇", "河口镇"]
    shapes = [shapely.geometry.shape(f["geometry"]) for f in towns]
    for shape, town in zip(shapes, ("城关镇", "河口镇")):
        assert all(shape.covers(Point(r.village.lon, r.village.lat)) for r in rs if r.village.township == town)
    assert shapes[0].intersection(shapes[1]).area < 1e-6 * shapes[0].area


def test_demonstration_reach_is_an_optional_layer():
    m = county_map()
    [reach] = layers(m)["示范村辐射范围"]["features"]
    assert reach["properties"]["t"] == "带动 3 个村"
    layer = next(c for c in m._children.values() if isinstance(c, DataLayer) and c.layer_name == "示范村辐射范围")
    assert layer.show is False


def test_a_map_without_villages_still_draws():
    page = standalone_html(build_county_map([], [ROAD], {"G107": []}))
    assert "L.map(" in page


# --- base layers --------------------------------------------------------------------------------


def test_base_layers_and_their_errors():
    assert base_layer("none") is None
    assert base_layer("osm").urls == ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",)
    tianditu = base_layer("tianditu", key="abc&d")
    assert len(tianditu.urls) == 2 and all(u.endswith("tk=abc%26d") for u in tianditu.urls)
    assert base_layer("amap").gcj02 and not base_layer("osm").gcj02
    custom = base_layer("custom", url="https://tiles.example.org/{z}/{x}/{y}.png")
    assert custom.attribution == "tiles.example.org"
    for kwargs, key in (({"base": "tianditu"}, "base_layer_key"), ({"base": "bing"}, "base_layer"),
                        ({"base": "custom", "url": "javascript:alert(1)//{z}{x}{y}"}, "base_layer_url"),
                        ({"base": "custom", "url": "https://tiles.example.org/a.png"}, "base_layer_url")):
        with pytest.raises(UsageError) as err:
            base_layer(**kwargs)
        assert err.value.key == key


def test_on_gcj02_tiles_every_point_is_converted():
    rs = county()
    m = county_map(rs, base="amap")
    features = layers(m)["村庄（测评结果）"]["features"]
    lon, lat = wgs84_to_gcj02([r.village.lon for r in rs], [r.village.lat for r in rs])
    assert np.allclose([f["geometry"]["coordinates"] for f in features], np.column_stack([lon, lat]), atol=2e-6)
    [road] = layers(m)["示范带道路"]["features"]
    assert road["geometry"]["coordinates"][0] != [114.0, 29.9]
    assert "autonavi.com" in m.get_root().render()


# --- GCJ-02 -------------------------------------------------------------------------------------


def test_wgs84_to_gcj02_matches_published_values():
    # reference points of two independent implementations of the published algorithm
    assert np.allclose(wgs84_to_gcj02(116.404, 39.915), (116.41024449916938, 39.91640428150164), atol=1e-9)
    assert np.allclose(wgs84_to_gcj02(104.072178447, 30.689144357), (104.074698338, 30.686745304), atol=1e-8)


def test_gcj02_back_to_wgs84_within_a_millimetre_and_outside_china_unchanged():
    lon, lat = np.array([113.9, 87.6, 126.6]), np.array([30.6, 43.8, 45.7])
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(np.array(back) - [lon, lat]).max() < 1e-8  # ~1 mm
    offset = GEOD.inv(113.9, 30.6, *[float(v) for v in wgs84_to_gcj02(113.9, 30.6)])[2]
    assert 100 < offset < 1000  # GCJ-02 moves points by hundreds of metres
    assert out_of_china(139.69, 35.69) and wgs84_to_gcj02(139.69, 35.69) == (139.69, 35.69)
    line = geometry_to_gcj02(LineString([(113.9, 30.6), (114.0, 30.7)]))
    assert np.allclose(line.coords[0], [float(v) for v in wgs84_to_gcj02(113.9, 30.6)])


# --- province scale -----------------------------------------------------------------------------


def province(n_towns: int = 30, per_town: int = 12) -> list[VillageResult]:
    rng = np.random.default_rng(7)
    out = []
    for t in range(n_towns):
        lon0, lat0 = 111 + (t % 6) * 0.5, 29 + (t // 6) * 0.5
        for i in range(per_town):
            out.append(result(f"4299{t:02d}{100 + t:03d}{i:03d}", lon0 + rng.uniform(0, 0.3),
                              lat0 + rng.uniform(0, 0.3), ("passed", "failed", "none")[i % 3],
                              township=f"镇{t}"))
    return out


def test_overview_draws_one_circle_per_township_sized_by_villages():
    rs = province()
    m = build_overview_map(rs, [ROAD])
    features = layers(m)["乡镇汇总"]["features"]
    assert len(features) == 30
    first = features[0]["properties"]
    assert first["p"][2:] == ["12", "8", "4", "50.0%"]  # villages, assessed, passed, pass share
    assert first["s"] == "s1" and first["r"] == round(3 + 1.5 * 12 ** 0.5, 1)


def test_build_map_switches_to_the_overview_above_the_point_limit(monkeypatch):
    rs = province(n_towns=3, per_town=4)
    membership = belt_membership([r.village for r in rs], [ROAD])
    assert "村庄（测评结果）" in layers(build_map(rs, [ROAD], membership))
    monkeypatch.setattr(maps, "POINT_LIMIT", 10)
    m = build_map(rs, [ROAD], membership)
    assert list(layers(m)) == ["示范带道路", "乡镇汇总"]
    assert len(dots(m)) == len(rs)  # the villages, drawn when zoomed in


def dots(m) -> list[dict]:
    """The villages of an overview's payload as the browser decodes them (geo.maps.VillageDots):
    code, name (as HTML), position, class and demonstration flag, one dict per village."""
    [layer] = [c for c in m._children.values() if isinstance(c, maps.VillageDots)]
    payload = json.loads(layer.data_js)
    value = {d: i for i, d in enumerate(maps.DIGITS)}

    def num(s: str) -> int:
        out = 0
        for ch in s:
            out = out * len(maps.DIGITS) + value[ch]
        return out

    out = []
    for town in payload["t"]:
        code, _, _, x0, y0, step, packed, names, *codes = town
        names = names.split("|")
        assert len(packed) == 7 * len(names)
        for j in range(len(names)):
            s = packed[7 * j:7 * j + 7]
            kind = num(s[6])
            out.append({"code": codes[0][j] if codes else f"{code}{num(s[:2]):03d}", "name": names[j],
                        "lon": x0 + num(s[2:4]) * step, "lat": y0 + num(s[4:6]) * step,
                        "class": maps.RESULTS[kind % 4], "demo": kind >= 4})
    return out


def test_the_overview_payload_holds_every_village_once_where_it_is():
    rs = province(n_towns=30, per_town=12)
    rs[5] = result(rs[5].village.code, rs[5].village.lon, rs[5].village.lat, "vetoed", demo=True)
    got = dots(build_overview_map(rs, [ROAD]))
    assert sorted(d["code"] for d in got) == sorted(r.village.code for r in rs)  # each once
    by_code = {d["code"]: d for d in got}
    for r in rs:
        d = by_code[r.village.code]
        assert d["name"] == html.escape(r.village.name)
        assert abs(d["lon"] - r.village.lon) < 1e-4 and abs(d["lat"] - r.village.lat) < 1e-4
        assert d["class"] == maps.result_class(r) and d["demo"] == r.village.demo
    assert by_code[rs[5].village.code]["class"] == "vetoed" and by_code[rs[5].village.code]["demo"]


def test_the_overview_payload_keeps_a_wide_township_and_odd_codes():
    rs = [result("429901100201", 110.0, 29.0), result("429901100202", 113.5, 31.9, "passed"),
          result("4299011003X1", 112.0, 30.0, "failed")]  # 3.5 degrees wide; a code that is not 12 digits
    got = {d["code"]: d for d in dots(build_overview_map(rs, []))}
    assert set(got) == {r.village.code for r in rs}
    for r in rs:
        step = 3.5 / maps._STEPS  # coarser steps for a township this wide
        assert abs(got[r.village.code]["lon"] - r.village.lon) <= step
        assert abs(got[r.village.code]["lat"] - r.village.lat) <= step


def test_a_hostile_village_name_stays_text_in_the_overview_payload():
    names = [XSS, "{{ 7*191 }}村", "</script><script>alert(1)</script>", "甲|乙村", "{% raw %}村"]
    rs = [result(f"429901100{201 + i}", 114.0 + i * 0.01, 30.0, name=n) for i, n in enumerate(names)]
    m = build_overview_map(rs, [])
    page = standalone_html(m)
    assert "</script><script>alert" not in page and "<img src=x" not in page
    assert "{{ 7*191 }}" not in page and "{% raw %}" not in page and "1337" not in page
    assert sorted(d["name"] for d in dots(m)) == sorted(html.escape(n).replace("|", "&#124;") for n in names)


def test_a_province_overview_stays_under_a_megabyte_with_every_village():
    from bench.bench_geo import province as big

    rs, roads = big()  # 25,000 villages in 1,250 townships, 200 winding roads
    m = build_overview_map(rs, roads, belt_membership([r.village for r in rs], roads))
    assert len(dots(m)) == len(rs) == 25_000
    assert len({d["code"] for d in dots(m)}) == 25_000
    assert len(m.get_root().render().encode()) < 1_000_000


def test_locate_leaves_out_villages_without_a_point():
    rs = [*county(), result("429901100299", None, None)]
    assert len(locate([r.village for r in rs]).codes) == len(rs) - 1
    assert len(layers(county_map(rs))["村庄（测评结果）"]["features"]) == len(rs) - 1


def test_the_legend_and_layers_speak_english_when_asked():
    m = county_map(lang="en")
    assert "Villages (result)" in layers(m)
    assert "passed (2)" in json.loads(next(c for c in m._children.values() if isinstance(c, maps.Legend)).html_js)


def test_repo_never_holds_leaflet_files():
    root = Path(__file__).resolve().parents[1]
    tracked = [p for p in root.rglob("leaflet*.js") if ".venv" not in p.parts and "static" not in p.parts]
    assert tracked == []


# --- python -m survey map -----------------------------------------------------------------------


def html_escaped(name: str) -> str:
    """How a name appears in the page's script: HTML-escaped, then JSON-escaped."""
    return json.dumps(html.escape(name), ensure_ascii=False)[1:-1].replace("&", "\\u0026")


def test_map_command_writes_a_standalone_file_of_the_newest_round(tmp_path, capsys):
    db = build_map_db(tmp_path / "map.db")
    out = tmp_path / "reports" / "map.html"
    assert main(["--db", str(db), "map", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", page) and not CDN.search(page)
    for name, *_ in VILLAGES.values():
        assert html_escaped(name) in page
    assert "<img src=x" not in page
    assert f"{out}: 5 villages (3 assessed in round 2026-B3), 1 belts" in capsys.readouterr().err


def test_map_command_without_any_round_draws_every_village_not_assessed(tmp_path, capsys):
    db = tmp_path / "plain.db"
    store.import_registry(db, [VillageRow(code="429901100201", name="甲村", township="城关镇", county="示范县",
                                          lon=114.0, lat=30.0, title=None, title_year=None, households=None,
                                          demo=None, line=2)])
    assert main(["--db", str(db), "map", "--out", str(tmp_path / "m.html")]) == 0
    assert '"s":"none"' in (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "1 villages (0 assessed in round -), 0 belts" in capsys.readouterr().err


def test_map_command_refuses_an_unknown_round(tmp_path, capsys):
    db = build_map_db(tmp_path / "map.db")
    assert main(["--db", str(db), "map", "--round", "2030-X", "--out", str(tmp_path / "m.html")]) == 1
    assert "2030-X" in capsys.readouterr().err and not (tmp_path / "m.html").exists()


def test_overview_without_roads_or_results_still_draws():
    assert "L.map(" in standalone_html(build_overview_map(province(2, 3), []))
    assert "L.map(" in standalone_html(build_overview_map([], []))
