"""Issue 19, the maps and belts items: veto names and no "None" in popups (12), a village's
page from its popup and back (9), belts managed on a page (10), real township boundaries (11),
the tile notice (17), pinyin pickers (18), the portrait sidebar rule (14). Real-browser checks
are in tests/browser/test_ui_maps_browser.py."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from builders import table
from shapely.geometry import Polygon, box, mapping
from streamlit.testing.v1 import AppTest
from test_map_page import CHENG, COUNTY, HEKOU, PASSWORD, REVIEWER, build_map_db, folium_args, run

from core import limits
from core.errors import DataError, NotFound, UsageError
from core.pinyin import matches, sort_key
from geo import maps
from geo.io import read_boundaries
from survey import auth, belts, mapdata, store
from survey.rubric import load_rubric
from ui import keys, style

ROOT = Path(__file__).resolve().parents[1]
BELTS_PAGE = str(ROOT / "pages" / "belts.py")
SETUP_PAGE = str(ROOT / "pages" / "setup.py")


@pytest.fixture
def db(tmp_path):
    return build_map_db(tmp_path / "map.db")


def problem_keys(exc: DataError) -> list[str]:
    return [p.key for p in exc.problems]


def script(at: AppTest) -> str:
    return folium_args(at)["script"]


# --- item 12: veto names, not codes; "None" nowhere ------------------------------------------------


def test_map_popups_name_vetoes_in_words_and_never_show_none(db, monkeypatch):
    text = script(run(db, monkeypatch))
    v1 = load_rubric().veto_item("V1")
    assert f'"{v1.name}"' in text  # 丁村's veto, by its name
    assert '"V1"' not in text
    assert "None" not in text


def test_the_standalone_map_names_vetoes_too(db):
    page = mapdata.standalone_map(db).html.decode()
    assert load_rubric().veto_item("V1").name in page and "None" not in page


# --- item 9: from a village on the map to its page, and back --------------------------------------


def test_a_popup_links_to_the_village_page_keeping_the_township_and_base_layer(db, monkeypatch):
    at = run(db, monkeypatch, **{keys.MAP_SCOPE: HEKOU})
    text = script(at)
    assert f'"l":"../../map?scope={HEKOU}\\u0026amp;village={HEKOU}201"' in text
    assert "查看测评详情、照片和记录" in text  # the link's words (maps.LABELS["detail"])


def village_page(db, monkeypatch, code, user=REVIEWER, **params) -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / "map.py"), default_timeout=60)
    at.session_state[keys.AUTH_USER] = user
    at.query_params["village"] = code
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_village_page_shows_its_submission_photos_and_history_then_leads_back(db, monkeypatch):
    at = village_page(db, monkeypatch, HEKOU + "201", scope=HEKOU)
    assert at.title[0].value == f"丁村（河口镇 · {HEKOU}201）"
    assert "测评轮次 2026-B3 的提交" in [s.value for s in at.subheader]
    submissions = table(at, "村", "审核状态")
    assert submissions["村"].tolist() == ["丁村"]
    veto = load_rubric().veto_item("V1").text
    assert any(veto in e.value.replace("\\", "") for e in at.error)  # the veto, in words
    assert at.expander  # the village's history
    at.button(key=keys.MAP_BACK).click().run()
    assert at.title[0].value == "地图：测评结果与文明示范带"
    assert "village" not in at.query_params
    assert at.selectbox(key=keys.MAP_SCOPE).value == HEKOU  # the township kept in the address
    assert "乙村" not in script(at)


def test_a_village_not_assessed_shows_its_history(db, monkeypatch):
    at = village_page(db, monkeypatch, CHENG + "203")
    assert at.title[0].value == f"丙村（城关镇 · {CHENG}203）"
    assert [i.value for i in at.info] == ["本轮尚未测评这个村"]


def test_a_village_out_of_scope_looks_unknown(db, monkeypatch):
    auth.add_user(db, "hekou", "reviewer", COUNTY, PASSWORD, townships=[HEKOU], by=auth.operator())
    at = village_page(db, monkeypatch, CHENG + "201", user="hekou")
    assert [e.value for e in at.error] == [f"找不到这个村（代码 {CHENG}201）"]
    assert not at.dataframe


# --- item 17: an online base layer says when its tiles fail ----------------------------------------


def test_online_base_layers_carry_a_tile_error_notice_and_the_offline_one_none(db):
    data = mapdata.county_map_data(db, "2026-B3")
    osm = maps.build_county_map(data.results, data.roads, data.membership, base="osm").get_root().render()
    assert "tileerror" in osm and "xf-tile-notice" in osm
    assert "需要联网" in osm and "OpenStreetMap" in osm
    offline = maps.build_county_map(data.results, data.roads, data.membership).get_root().render()
    assert "tileerror" not in offline


# --- item 11: real township boundaries ---------------------------------------------------------------


def _square(lon, lat, d=0.05) -> Polygon:
    return box(lon - d, lat - d, lon + d, lat + d)


def geojson(tmp_path, features, name="boundaries.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": mapping(geom) if geom is not None else None}
        for props, geom in features]}, ensure_ascii=False), encoding="utf-8")
    return path


def shapefile_zip(tmp_path, crs: str | None, name="boundaries.zip") -> Path:
    frame = gpd.GeoDataFrame({"code": [CHENG, HEKOU], "name": ["城关镇", "河口镇"]},
                             geometry=[_square(114.01, 30.0), _square(114.10, 30.0)], crs="EPSG:4326")
    folder = tmp_path / "shp"
    folder.mkdir()
    (frame.to_crs(crs) if crs else frame.set_crs(None, allow_override=True)).to_file(
        folder / "towns.shp", encoding="utf-8")
    out = tmp_path / name
    with zipfile.ZipFile(out, "w") as zf:
        for part in folder.iterdir():
            if crs or part.suffix != ".prj":
                zf.write(part, part.name)
    return out


def test_boundaries_from_geojson_keyed_by_township_code(tmp_path):
    path = geojson(tmp_path, [({"code": CHENG, "name": "城关镇"}, _square(114.01, 30.0)),
                              ({"code": HEKOU}, _square(114.10, 30.0))])
    found = read_boundaries(path)
    assert [(b.code, b.name) for b in found] == [(CHENG, "城关镇"), (HEKOU, None)]
    assert found[0].geometry.geom_type == "MultiPolygon"


def test_a_zipped_shapefile_in_a_projected_crs_is_reprojected_to_wgs84(tmp_path):
    found = read_boundaries(shapefile_zip(tmp_path, "EPSG:3857"))
    assert [b.code for b in found] == [CHENG, HEKOU]
    x, y = found[0].geometry.centroid.x, found[0].geometry.centroid.y
    assert abs(x - 114.01) < 1e-6 and abs(y - 30.0) < 1e-3


def test_a_shapefile_without_its_crs_is_refused_saying_so(tmp_path):
    with pytest.raises(DataError) as caught:
        read_boundaries(shapefile_zip(tmp_path, None), display_name="towns.zip")
    [p] = caught.value.problems
    assert p.key == "boundary_crs_missing" and str(p).startswith("towns.zip: crs: ")


def test_every_bad_feature_is_located(tmp_path):
    path = geojson(tmp_path, [({"code": CHENG}, _square(114.01, 30.0)), ({"code": "4299"}, _square(114.1, 30.0)),
                              ({"code": HEKOU}, box(114.2, 30.0, 114.2, 30.0).centroid)])
    with pytest.raises(DataError) as caught:
        read_boundaries(path, display_name="b.geojson")
    assert [(p.key, p.line, p.field) for p in caught.value.problems] == [
        ("boundary_code", 2, "code"), ("boundary_geometry", 3, "geometry")]
    assert str(caught.value.problems[0]).startswith("b.geojson:2: code: ")


def test_reader_limits_are_checked_before_the_work(tmp_path, monkeypatch):
    path = geojson(tmp_path, [({"code": CHENG}, _square(114.01, 30.0)), ({"code": HEKOU}, _square(114.1, 30.0))])
    monkeypatch.setattr(limits, "LAYER_FEATURES", 1)
    with pytest.raises(DataError) as caught:
        read_boundaries(path)
    assert problem_keys(caught.value) == ["layer_features"]
    monkeypatch.setattr(limits, "LAYER_FEATURES", 10)
    monkeypatch.setattr(limits, "LAYER_VERTICES", 6)
    with pytest.raises(DataError) as caught:
        read_boundaries(path)
    assert problem_keys(caught.value) == ["layer_vertices"]
    monkeypatch.setattr(limits, "LAYER_BYTES", 10)
    with pytest.raises(DataError) as caught:
        read_boundaries(path)
    assert problem_keys(caught.value) == ["too_large"]


def test_importing_boundaries_is_all_or_nothing_and_idempotent(db, tmp_path):
    admin = auth.operator()
    bad = geojson(tmp_path, [({"code": CHENG}, _square(114.01, 30.0)), ({"code": "x"}, _square(114.1, 30.0))],
                  name="bad.geojson")
    with pytest.raises(DataError):
        belts.import_boundaries_file(db, admin, bad)
    assert store.boundaries(db) == []
    good = geojson(tmp_path, [({"code": CHENG}, _square(114.01, 30.0)), ({"code": HEKOU}, _square(114.1, 30.0))])
    assert belts.import_boundaries_file(db, admin, good) == belts.BoundaryImport(2, 0, 0)
    trail = len(store.audit_rows(db, limit=1000))
    assert belts.import_boundaries_file(db, admin, good) == belts.BoundaryImport(0, 0, 2)
    assert len(store.audit_rows(db, limit=1000)) == trail  # nothing changed, nothing recorded
    elsewhere = geojson(tmp_path, [({"code": "110101001"}, _square(116.4, 39.9))], name="beijing.geojson")
    with pytest.raises(DataError) as caught:
        belts.import_boundaries_file(db, admin, elsewhere)
    assert problem_keys(caught.value) == ["boundary_county"]
    with pytest.raises(UsageError):
        belts.import_boundaries_file(db, auth.User("r", "r", "reviewer", COUNTY), good)


def test_import_boundaries_command(db, tmp_path):
    good = geojson(tmp_path, [({"code": CHENG}, _square(114.01, 30.0))])
    done = subprocess.run([sys.executable, "-m", "survey", "--db", str(db), "import-boundaries", str(good)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 township boundaries added" in done.stderr
    bad = geojson(tmp_path, [({"code": "12"}, _square(114.01, 30.0))], name="bad.geojson")
    done = subprocess.run([sys.executable, "-m", "survey", "--db", str(db), "import-boundaries", str(bad)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and f"{bad}:1: code: " in done.stderr


def test_maps_draw_the_real_boundaries_instead_of_derived_areas(db, monkeypatch, tmp_path):
    derived, real = json.dumps("乡镇范围（由村点推算）"), json.dumps("乡镇范围")  # as the layer control names them
    assert derived in script(run(db, monkeypatch))
    belts.import_boundaries_file(db, auth.operator(), geojson(tmp_path, [
        ({"code": CHENG}, _square(114.01, 30.0)), ({"code": HEKOU}, _square(114.1, 30.0))]))
    text = script(run(db, monkeypatch))
    assert derived not in text and real in text
    assert "[113.96,29.95]" in text  # the corner of 城关镇's square, as imported
    auth.add_user(db, "hekou", "reviewer", COUNTY, PASSWORD, townships=[HEKOU], by=auth.operator())
    text = script(run(db, monkeypatch, user="hekou"))
    assert "[113.96,29.95]" not in text and "[114.05,29.95]" in text  # only the township of the scope


def test_the_setup_page_imports_boundaries_and_lists_every_problem(db, monkeypatch, tmp_path):
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(SETUP_PAGE, default_timeout=60)
    at.session_state[keys.AUTH_USER] = "admin"
    auth.add_user(db, "admin", "admin", COUNTY, PASSWORD, by=auth.operator())
    at.run()
    bad = geojson(tmp_path, [({"code": "12"}, _square(114.01, 30.0))], name="bad.geojson").read_bytes()
    at.file_uploader(key=keys.SETUP_BOUNDARY_UPLOAD).set_value(("乡镇界.geojson", bad, "application/json"))
    at.run()
    at.button(key=keys.SETUP_BOUNDARY_IMPORT).click().run()
    assert not at.exception
    assert any("1 处问题" in e.value for e in at.error)
    assert "乡镇界.geojson:1: code: " in at.code[0].value
    good = geojson(tmp_path, [({"code": CHENG}, _square(114.01, 30.0))]).read_bytes()
    at.file_uploader(key=keys.SETUP_BOUNDARY_UPLOAD).set_value(("乡镇界.geojson", good, "application/json"))
    at.run()
    at.button(key=keys.SETUP_BOUNDARY_IMPORT).click().run()
    assert any("新增 1 个" in s.value for s in at.success)
    assert [b.code for b in store.boundaries(db)] == [CHENG]


# --- item 10: belts managed on a page ----------------------------------------------------------------


def belts_page(db, monkeypatch, user="admin") -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    if user == "admin":
        auth.add_user(db, "admin", "admin", COUNTY, PASSWORD, by=auth.operator())
    at = AppTest.from_file(BELTS_PAGE, default_timeout=60)
    at.session_state[keys.AUTH_USER] = user
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_road_buffer_is_set_on_the_page_and_recorded(db, monkeypatch):
    at = belts_page(db, monkeypatch)
    assert table(at, "示范带", "缓冲距离(米)", "成员村")["缓冲距离(米)"].tolist() == ["2000"]
    at.number_input(key=f"{keys.BELTS_BUFFER}_G107").set_value(2500.0)
    at.button(key=keys.BELTS_SET_BUFFER).click().run()
    assert [s.value for s in at.success] == ["已把“G107”的缓冲距离设为 2500 米"]
    assert table(at, "示范带", "缓冲距离(米)", "成员村")["缓冲距离(米)"].tolist() == ["2500"]
    [row] = [r for r in store.audit_rows(db, limit=100) if r["action"] == "road.buffer"]
    assert row["actor"] == "admin" and row["after"] == {"buffer_m": 2500.0}


def test_a_village_is_added_by_hand_with_who_and_why(db, monkeypatch):
    at = belts_page(db, monkeypatch)
    at.text_input(key=keys.BELTS_TOWN + "_q").input("cg").run()  # 城关镇 by its initials
    assert at.selectbox(key=keys.BELTS_TOWN).value == CHENG
    at.text_input(key=keys.BELTS_VILLAGE + "_q").input("bing").run()  # 丙村, just outside the belt
    assert at.selectbox(key=keys.BELTS_VILLAGE).value == CHENG + "203"
    at.button(key=keys.BELTS_APPLY).click().run()  # no reason given
    assert [e.value for e in at.error] == ["请写明手动调整的原因"]
    at.text_input(key=keys.BELTS_REASON).input("村口新修游客中心，属示范带").run()
    at.button(key=keys.BELTS_APPLY).click().run()
    assert [s.value for s in at.success] == ["已保存：丙村 · G107"]
    [row] = table(at, "村", "调整人", "原因").to_dict("records")
    assert (row["村"], row["调整"], row["调整人"], row["原因"]) == (
        "丙村", "加入示范带", "admin", "村口新修游客中心，属示范带")
    assert table(at, "示范带", "缓冲距离(米)", "成员村")["成员村"].tolist() == [3]
    [audit] = [r for r in store.audit_rows(db, limit=100) if r["action"] == "belt.override"]
    assert audit["actor"] == "admin" and audit["after"]["reason"] == "村口新修游客中心，属示范带"


def test_the_radiation_radius_is_set_on_the_page_and_used_by_the_map(db, monkeypatch):
    at = belts_page(db, monkeypatch)
    at.number_input(key=keys.BELTS_RADIUS).set_value(3000.0)
    at.button(key=keys.BELTS_SET_RADIUS).click().run()
    assert [s.value for s in at.success] == ["辐射半径已设为 3000 米"]
    assert mapdata.county_map_data(db, "2026-B3").radiation.radius_m == 3000.0
    from survey import settings  # one radius: the county setting the settings page shows too

    assert settings.load(db, COUNTY).radius_m == 3000
    assert next(r for r in settings.rows(db, auth.operator(), COUNTY) if r.key == "radius_m").origin != "file"
    assert "示范村辐射带动（半径 3 公里）" in [s.value for s in run(db, monkeypatch).subheader]


def test_roads_are_imported_by_administrators_only(db, monkeypatch):
    assert belts_page(db, monkeypatch).expander  # the import box
    assert not belts_page(db, monkeypatch, user=REVIEWER).expander
    with pytest.raises(UsageError):
        belts.import_roads_bytes(db, auth.User(REVIEWER, REVIEWER, "reviewer", COUNTY), b"{}", "roads.geojson")


def test_belts_respect_roles_and_scope(db, monkeypatch):
    surveyor = auth.User("s", "s", "surveyor", COUNTY)
    with pytest.raises(UsageError):
        belts.set_radius(db, surveyor, 3000)
    at = AppTest.from_file(BELTS_PAGE, default_timeout=60)
    monkeypatch.setenv("SURVEY_DB", str(db))
    auth.add_user(db, "surv1", "surveyor", COUNTY, PASSWORD, by=auth.operator())
    at.session_state[keys.AUTH_USER] = "surv1"
    at.run()
    assert [e.value for e in at.error] == ["当前账号无权查看此页面"]
    hekou = auth.User("hekou", "hekou", "reviewer", COUNTY, townships=(HEKOU,))
    with pytest.raises(NotFound):  # a village outside the scope looks unknown
        belts.set_member(db, hekou, "G107", CHENG + "203", True, "why")
    with pytest.raises(NotFound):
        belts.set_member(db, auth.operator(), "G999", CHENG + "203", True, "why")
    with pytest.raises(UsageError):
        belts.set_radius(db, auth.operator(), 10)


# --- item 18: pinyin ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["qs", "qingshi", "QS", "qshi", "qing shi", "青石", "shic"])
def test_pinyin_initials_or_full_pinyin_find_a_village(query):
    assert matches(query, "青石村")


@pytest.mark.parametrize("query", ["sq", "qx", "qingshu"])
def test_other_pinyin_does_not(query):
    assert not matches(query, "青石村")


def test_names_sort_by_pinyin():
    assert sorted(["青石村", "河口镇", "安乐乡", "城关镇"], key=sort_key) == ["安乐乡", "城关镇", "河口镇", "青石村"]


def test_the_map_township_picker_finds_by_pinyin(db, monkeypatch):
    at = run(db, monkeypatch)
    at.text_input(key=keys.MAP_SCOPE_QUERY).input("hk").run()
    assert at.selectbox(key=keys.MAP_SCOPE).value == HEKOU
    assert at.selectbox(key=keys.MAP_SCOPE).options == ["河口镇"]
    assert "丁村" in script(at) and "乙村" not in script(at)
    at.text_input(key=keys.MAP_SCOPE_QUERY).input("chengguan").run()
    assert at.selectbox(key=keys.MAP_SCOPE).value == CHENG


# --- item 14: the portrait sidebar rule ------------------------------------------------------------


@pytest.mark.parametrize("size, state", [
    ({"width": 800, "height": 1280}, "collapsed"), ({"width": 1024, "height": 1366}, "collapsed"),
    ({"width": 1366, "height": 768}, "auto"), ({"width": 1280, "height": 800}, "auto"), (None, "auto"),
    ({"width": "800", "height": 1280}, "auto")])
def test_a_portrait_tablet_starts_with_the_sidebar_collapsed(monkeypatch, size, state):
    import streamlit as st

    monkeypatch.setattr(st, "session_state", {keys.VIEWPORT: size})
    assert style.sidebar_state() == state


def test_the_touch_css_is_our_own_and_asks_44_px():
    assert "min-height: 44px" in style.CSS and "http" not in style.CSS
