"""The county's other rules: the file (validated like the rubric, every problem located), the
overrides per database and county with who and when, values out of range refused, and the tools
reading them (targets and what counts as civilized, GPS warnings, the map radius, the road
buffer); the settings page as an administrator sees it."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from builders import admin, reviewer
from scoped_db import sign_in
from streamlit.testing.v1 import AppTest
from test_targets import C1, CHENG, build_db

from core.errors import DataError, NotFound, UsageError
from survey import fieldwork, gps, settings, store
from survey.settings import parse_settings
from ui import keys

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "settings.py")
ADMIN = admin()


@pytest.fixture
def db(tmp_path):
    return build_db(tmp_path / "s.db")


def test_the_shipped_file_holds_the_briefs_defaults_and_where_they_come_from():
    values = settings.file_values()
    shipped = settings.defaults()
    assert (shipped.radius_m, shipped.buffer_m, shipped.gps_accuracy_m, shipped.gps_distance_m) == (
        D(5000), D(2000), D(100), D(3000))
    assert (shipped.civilized_from, shipped.target, shipped.township_target, shipped.veto_months) == (
        "县级", D(50), D(50), 12)
    assert shipped.civilized_titles == frozenset({"县级", "市级", "省级", "全国"})
    assert all(v.source.startswith("领域说明 §") for v in values.values())
    assert list(values) == list(settings.SPECS)


FILE = """\
radius_m: {value: -5, source: 领域说明 §4}
buffer_m: {value: 2000, source: 领域说明 §4}
gps_accuracy_m: {value: 100, source: x}
gps_distance_m: {value: 3000}
civilized_from: {value: 乡级, source: x}
target: {value: 101, source: x}
township_target: {value: 50, source: x}
veto_months: {value: 0, source: x}
colour: {value: red, source: x}
"""


def test_a_wrong_file_reports_every_problem_with_its_line():
    with pytest.raises(DataError) as err:
        parse_settings(FILE, "data/settings.yaml")
    found = {(p.line, p.field, p.key) for p in err.value.problems}
    assert found == {(1, "radius_m", "setting_range"), (4, "gps_distance_m.source", "rubric_missing"),
                     (5, "civilized_from", "setting_choice"), (6, "target", "setting_range"),
                     (8, "veto_months", "setting_range"), (9, "colour", "setting_unknown")}
    radius = next(str(p) for p in err.value.problems if p.field == "radius_m")
    assert radius.startswith("data/settings.yaml:1: radius_m: “radius_m”应为大于 0、不超过 100000 的米数，实为 -5")
    with pytest.raises(DataError) as err:
        parse_settings("radius_m: {value: 5000, source: x}\n", "s.yaml")
    assert {p.field for p in err.value.problems if p.key == "setting_missing"} == set(settings.SPECS) - {"radius_m"}


def test_a_place_gets_its_countys_value_else_the_databases_else_the_files(db):
    assert settings.load(db, C1).radius_m == D(5000)
    settings.change(db, ADMIN, "", "radius_m", "8000", "市文明办 2026 年 2 号文")
    settings.change(db, ADMIN, C1, "radius_m", 3000.5, "县文明办会议纪要")
    assert settings.load(db).radius_m == D(8000) and settings.load(db, C1).radius_m == D("3000.5")
    rows = {r.key: r for r in settings.rows(db, ADMIN, C1)}
    r = rows["radius_m"]
    assert (settings.text(r.value), r.origin, settings.text(r.default), r.by, r.actor) == (
        "3000.5", "county", "5000", "县文明办会议纪要", ADMIN.name)
    assert r.at and r.source.startswith("领域说明 §4")
    assert rows["buffer_m"].origin == "file" and rows["buffer_m"].by is None
    assert settings.reset(db, ADMIN, C1, "radius_m") and not settings.reset(db, ADMIN, C1, "radius_m")
    assert settings.load(db, C1).radius_m == D(8000)
    audit = store.audit_rows(db, entity="setting", limit=10)
    assert [a["action"] for a in audit] == ["setting.reset", "setting.set", "setting.set"]
    assert audit[1]["after"] == {"value": "3000.5", "by": "县文明办会议纪要"}


@pytest.mark.parametrize("key, value", [("radius_m", "-5"), ("radius_m", "0"), ("gps_distance_m", "abc"),
                                        ("target", "100.5"), ("township_target", "-1"), ("veto_months", "1.5"),
                                        ("veto_months", "0"), ("civilized_from", "乡级"), ("buffer_m", "NaN")])
def test_a_value_out_of_range_is_refused_by_name_and_nothing_is_written(db, key, value):
    version = store.data_version(db)
    with pytest.raises(DataError) as err:
        settings.change(db, ADMIN, C1, key, value, "张主任")
    [p] = err.value.problems
    assert p.field == key and p.key in ("setting_range", "setting_choice")
    assert str(p).startswith(f"设置 settings: {key}: ")
    assert store.setting_rows(db) == [] and store.data_version(db) == version


def test_only_an_administrator_changes_settings_and_names_who_decided(db):
    with pytest.raises(UsageError):
        settings.change(db, reviewer(county=C1), C1, "target", "60", "张主任")
    with pytest.raises(UsageError) as err:
        settings.change(db, ADMIN, C1, "target", "60", "  ")
    assert err.value.key == "setting_by"
    with pytest.raises(NotFound):
        settings.change(db, ADMIN, "429999", "target", "60", "张主任")
    with pytest.raises(DataError):
        settings.change(db, ADMIN, "", "colour", "red", "张主任")


def test_the_share_counts_the_titles_the_county_counts_and_its_default_target(db):
    from survey.targets import dashboard_data

    before = dashboard_data(db, "2026-B3", C1)
    assert (before.county.civilized_now, before.county.target) == (2, D(50))  # 甲村 县级, 丁村 市级
    settings.change(db, ADMIN, C1, "civilized_from", "市级", "市文明委：只计市级及以上")
    settings.change(db, ADMIN, C1, "target", "37.5", "县委文件")
    after = dashboard_data(db, "2026-B3", C1)
    assert (after.county.civilized_now, after.county.share_now) == (1, D("12.5"))  # 1 of 8, exactly
    assert (after.county.target, after.default_target, after.civilized_from) == (D("37.5"), D("37.5"), "市级")
    assert after.county.projected == 2 and not after.county.reached and after.county.needed == 1  # 2 of 8 < 37.5 %
    towns = {r.name: r for r in after.townships}
    assert towns["城关镇"].civilized_now == 1  # 甲村 (县级) no longer counts
    assert [r.village.name for r in after.at_risk] == ["丁村"]


def test_the_gps_warnings_use_the_villages_county_limits(db):
    village = store.village(db, CHENG + "201")
    fix = gps.Fix(village.lon, village.lat + 0.03, 150.0, "browser")  # about 3.3 km, 150 m
    warnings = fieldwork.position_warnings(db, ADMIN, village, fix)
    assert [w.key for w in warnings] == ["gps_accuracy", "gps_distance"]
    settings.change(db, ADMIN, C1, "gps_accuracy_m", "200", "县文明办")
    settings.change(db, ADMIN, C1, "gps_distance_m", "5000", "县文明办")
    assert fieldwork.position_warnings(db, ADMIN, village, fix) == []


def test_the_road_buffer_and_the_radiation_radius_come_from_the_settings(db, tmp_path):
    from survey import mapdata, service

    road = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "G316"},
            "geometry": {"type": "LineString", "coordinates": [[113.8, 30.6], [114.0, 30.6]]}}]}
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps(road), encoding="utf-8")
    settings.change(db, ADMIN, "", "buffer_m", "1500", "县文明办")
    service.import_roads_file(db, ADMIN, path)
    assert [r.buffer_m for r in store.roads(db)] == [1500.0]
    settings.change(db, ADMIN, "", "radius_m", "1234", "县文明办")
    assert mapdata.county_map_data(db, "2026-B3").radiation.radius_m == 1234.0


# --- the page ----------------------------------------------------------------------------------


def page(db, monkeypatch) -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=30)
    sign_in(at, db, "admin")
    at.run()
    assert not at.exception, at.exception
    return at


def shown(at):
    from builders import table

    return table(at, "设置项", "当前值", "来自", "默认值", "默认值出处", "改动依据", "改动时间").set_index("设置项")


def test_the_settings_page_lists_every_value_with_its_default_and_source(db, monkeypatch):
    at = page(db, monkeypatch)
    rows = shown(at)
    assert rows.loc["示范村辐射半径", ["当前值", "来自", "默认值"]].tolist() == ["5000", "默认值", "5000"]
    assert rows.loc["示范村辐射半径", "默认值出处"].startswith("领域说明 §4")
    assert rows.loc["一票否决有效期", "当前值"] == "12"
    assert "A 1.0 · B 0.8 · C 0.6 · C# 0.0" in at.dataframe[-1].value["等级系数"].tolist()


def test_changing_a_setting_on_the_page_records_who_and_when(db, monkeypatch):
    at = page(db, monkeypatch)
    at.selectbox(key=keys.SET_SCOPE).set_value(C1).run()
    at.selectbox(key=keys.SET_KEY).set_value("radius_m")
    at.text_input(key=keys.SET_VALUE).input("-5")
    at.text_input(key=keys.SET_BY).input("张主任")
    at.button(key=keys.SET_SAVE).click().run()
    assert "radius_m: “radius_m”应为大于 0、不超过 100000 的米数，实为 '-5'" in at.error[0].value.replace("\\", "")
    assert store.setting_rows(db) == []  # nothing written
    at.text_input(key=keys.SET_VALUE).input("3000")
    at.button(key=keys.SET_SAVE).click().run()
    assert not at.exception
    assert at.success[0].value == "已保存：示范村辐射半径 = 3000"
    row = shown(at).loc["示范村辐射半径"]
    assert (row["当前值"], row["来自"], row["改动依据"]) == ("3000", "本县设置", "张主任") and row["改动时间"]
    at.button(key=keys.SET_RESET).click().run()
    assert at.success[0].value == "已恢复默认：示范村辐射半径"
    assert shown(at).loc["示范村辐射半径", "当前值"] == "5000"


def test_only_administrators_open_the_settings_page(db, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=30)
    sign_in(at, db, "reviewer", county=C1)
    at.run()
    assert [e.value for e in at.error] == ["当前账号无权查看此页面"]
    assert not at.dataframe
