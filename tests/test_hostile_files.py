"""Hostile files: every reader refuses them with a located catalogue message, before the expensive
work, and the database is left exactly as it was.

The files are built at test time by ``tests/hostile_files.py`` (nothing binary is committed).
The bombs (a gigabyte zip member, a sheet declaring 17 billion cells, a 12,500 × 12,500 PNG,
billion laughs, a recursive alias, a JSON line 100,000 levels deep) run in a child process
under a 1.5 GB address-space ceiling: a regression fails the test instead of taking the machine
down. Limits are lowered with ``monkeypatch`` where the real one would need a large file.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import struct
import zipfile
from pathlib import Path

import hostile_files as hf
import pytest
from PIL import Image

from core import config, limits
from core.errors import DataError
from survey import auth, cli, demo, fieldwork, service, store
from survey.rubric import load_rubric

RUBRIC = config.REPO_ROOT / "data" / "rubric"
ROUND = demo.DEMO_ROUND.id
OP = auth.operator()
#: A village of the demo registry (the first data row of its CSV).
VILLAGE = (config.REPO_ROOT / "data" / "demo" / "villages.csv").read_text(encoding="utf-8-sig").splitlines()[1][:12]


# --- the database, and proof that it did not change ---------------------------------------------

@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "demo.db"
    service.load_demo(path, OP)
    return path


@pytest.fixture
def db(_demo_template, tmp_path) -> Path:
    """A fresh copy of the demo database; the test fails if the test changed it."""
    path = tmp_path / "hostile.db"
    shutil.copyfile(_demo_template, path)
    before = snapshot(path)
    yield path
    assert snapshot(path) == before, "a refused file changed the database"


def snapshot(path: Path) -> tuple:
    """Counts, data_version and a hash of the full SQL dump."""
    con = sqlite3.connect(path)
    try:
        dump = "\n".join(con.iterdump())
    finally:
        con.close()
    return store.stats(path), store.data_version(path), hashlib.sha256(dump.encode()).hexdigest()


def refused(call, *args, **kwargs) -> list[tuple]:
    """(key, file, line, field) of every problem of the DataError ``call`` raises."""
    with pytest.raises(DataError) as exc:
        call(*args, **kwargs)
    return [(p.key, p.file, p.line, p.field) for p in exc.value.problems]


def keys(problems) -> list[str]:
    return [p[0] for p in problems]


def in_child(call: str, *args, **kwargs) -> list[tuple]:
    """Problems of ``call`` run under the memory ceiling; fails on a crash or a success."""
    result = hf.run_limited(call, *map(str, args), **kwargs)
    assert "problems" in result, f"the child did not refuse the file: {result}"
    return [tuple(p) for p in result["problems"]]


# --- spreadsheets --------------------------------------------------------------------------------

def test_sheet_declaring_a1_xfd1048576_is_read_as_stored(db, tmp_path):
    """The dimension is not trusted: the one value in row 1,048,576 is read (and found wrong)
    without a million rows of 16,384 cells in between (was: 23.6 GB, killed)."""
    path = hf.declared_huge_xlsx(tmp_path / "名录.xlsx")
    assert path.stat().st_size < 10_000
    found = in_child("villages_file", db, path)
    assert found[0] == ("code_digits", str(path), 1_048_576, "区划代码")
    assert {p[2] for p in found} == {1_048_576}


def test_xlsx_zip_bomb_is_refused_before_openpyxl(db, tmp_path):
    path = hf.bomb_xlsx(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 2 * 1024 * 1024  # 1 GB of shared strings in ~1 MB
    assert keys(in_child("villages_file", db, path)) == ["zip_ratio", "zip_unpacked"]


@pytest.mark.parametrize("empty", [False, True], ids=["value", "formatted-empty"])
def test_xlsx_cells_beyond_the_column_limit_are_refused_at_their_row(db, tmp_path, empty):
    path = hf.wide_xlsx(tmp_path / "wide.xlsx", empty=empty)
    assert refused(service.import_villages_file, db, OP, path) == [("too_many_columns", str(path), 2, None)]


def test_xlsx_rows_beyond_the_limit_are_refused_at_the_first_one(db, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "TABLE_ROWS", 2)
    path = hf.xlsx(tmp_path / "v.xlsx")  # header + 2 rows
    assert refused(service.import_villages_file, db, OP, path) == [("too_many_rows", str(path), 3, None)]


def test_xlsx_with_too_many_parts_is_refused(db, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "ZIP_MEMBERS", 5)
    path = hf.xlsx(tmp_path / "v.xlsx")  # openpyxl writes 9 parts
    assert keys(refused(service.import_villages_file, db, OP, path)) == ["zip_members"]


# --- CSV -----------------------------------------------------------------------------------------

HEADER = "区划代码,村名,乡镇,经度,纬度,文明村称号\n"
ROW = "429901001001,李庄村,城关镇,113.91,30.61,县级\n"


def csv_file(tmp_path, text: str, encoding: str = "utf-8", name: str = "v.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_over_the_byte_limit_is_refused_before_reading(db, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "TABLE_BYTES", 100)
    path = csv_file(tmp_path, HEADER + ROW * 5)
    assert refused(service.import_villages_file, db, OP, path) == [("too_large", str(path), None, None)]


def test_csv_rows_columns_and_cells_limits_are_located(db, tmp_path, monkeypatch):
    path = csv_file(tmp_path, HEADER + ROW + ROW.rstrip("\n") + ",x" * 300 + "\n")
    assert refused(service.import_villages_file, db, OP, path) == [("too_many_columns", str(path), 3, None)]
    monkeypatch.setattr(limits, "TABLE_ROWS", 3)
    path = csv_file(tmp_path, HEADER + "\n" + ROW * 3)  # the blank line 2 is not a row
    assert refused(service.import_villages_file, db, OP, path) == [("too_many_rows", str(path), 5, None)]
    monkeypatch.setattr(limits, "TABLE_CELLS", 15)
    assert refused(service.import_villages_file, db, OP, path) == [("too_many_cells", str(path), 4, None)]


def test_csv_trailing_empty_columns_are_not_columns(db, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "TABLE_COLUMNS", 6)
    path = csv_file(tmp_path, HEADER + ROW.rstrip("\n") + "," * 20 + "\n"
                    + "4299010010,李庄村,城关镇,113.91,30.61,县级\n")
    assert refused(service.import_villages_file, db, OP, path) == [("code_digits", str(path), 3, "区划代码")]


def test_overlong_fields_are_refused_with_their_line_and_column(db, tmp_path):
    name = "村" * (limits.FIELD_CHARS + 1)
    path = csv_file(tmp_path, HEADER + ROW + f"429901001002,{name},城关镇,113.92,30.62,\n")
    assert refused(service.import_villages_file, db, OP, path) == [("text_long", str(path), 3, "村名")]


def test_csv_invalid_in_both_encodings_names_its_line(db, tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes((HEADER + ROW).encode() + b"429901001002,\xff\xfe\xff,x,113.9,30.6,\n")
    assert refused(service.import_villages_file, db, OP, path) == [("file_encoding", str(path), 3, None)]


# cases handled before, kept handled
def test_duplicate_code_and_bad_title_in_a_gbk_csv_stay_refused(db, tmp_path):
    path = csv_file(tmp_path, HEADER + ROW + ROW.replace("县级", "乡级"), "gbk")
    assert refused(service.import_villages_file, db, OP, path) == [
        ("code_duplicate", str(path), 3, "区划代码"), ("title_unknown", str(path), 3, "文明村称号")]


def test_nan_and_infinity_coordinates_stay_refused(db, tmp_path):
    path = csv_file(tmp_path, HEADER + "429901001001,李庄村,城关镇,nan,30.61,\n"
                    + "429901001002,张村,城关镇,113.9,Infinity,\n" + "429901001003,王村,城关镇,-inf,1e999,\n")
    assert refused(service.import_villages_file, db, OP, path) == [
        ("lon_range", str(path), 2, "经度"), ("lat_range", str(path), 3, "纬度"),
        ("lon_range", str(path), 4, "经度"), ("lat_range", str(path), 4, "纬度")]


# --- uploads (the setup page) --------------------------------------------------------------------

@pytest.mark.parametrize("name", ["..", ".", "/", "", "a/..", "..\\", "名录\x00.csv", "x/\n.csv"])
def test_upload_names_that_are_no_file_name_are_refused(db, name):
    [found] = refused(service.import_villages_bytes, db, OP, (HEADER + ROW).encode(), name)
    assert found[0] == "upload_name" and "\x00" not in found[1] and "\n" not in found[1]


def test_upload_name_with_path_parts_is_read_under_its_base_name(db):
    data = (HEADER + ROW.replace("429901001001", "4299010010")).encode()
    assert refused(service.import_villages_bytes, db, OP, data, "../../etc/名录.csv") == [
        ("code_digits", "名录.csv", 2, "区划代码")]


def test_oversized_upload_is_refused_before_it_is_written(db, monkeypatch):
    monkeypatch.setattr(limits, "TABLE_BYTES", 10)
    monkeypatch.setattr(limits, "LAYER_BYTES", 10)
    assert keys(refused(service.import_villages_bytes, db, OP, (HEADER + ROW).encode(), "v.csv")) == ["too_large"]


# --- layers: villages and roads ------------------------------------------------------------------

def shapefile_zip(tmp_path, gdf, drop: tuple[str, ...] = (), extra=None, name="layer.zip") -> Path:
    parts = hf.shapefile_parts(tmp_path / f"parts-{name}", gdf)
    return hf.zipped_shapefile(tmp_path / name, {s: d for s, d in parts.items() if s not in drop}, extra=extra)


def test_zipped_shapefile_without_shx_is_a_message_on_the_command_line(db, tmp_path, capsys):
    path = shapefile_zip(tmp_path, hf.village_layer(), drop=(".shx",))
    assert cli.main(["--db", str(db), "import-villages", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"{path}: ") and "缺少 .shx" in err and "no .shx" in err


def test_zipped_shapefile_without_shx_is_a_message_on_the_setup_page(db, tmp_path):
    path = shapefile_zip(tmp_path, hf.village_layer(), drop=(".shx",))
    assert refused(service.import_villages_bytes, db, OP, path.read_bytes(), "村.zip") == [
        ("shapefile_parts", "村.zip", None, None)]


def test_zipped_shapefile_without_shx_shows_the_message_on_the_page(_demo_template, tmp_path, monkeypatch):
    from scoped_db import sign_in
    from streamlit.testing.v1 import AppTest

    from ui import keys as ui_keys

    db = tmp_path / "page.db"
    shutil.copyfile(_demo_template, db)
    monkeypatch.setenv("SURVEY_DB", str(db))
    data = shapefile_zip(tmp_path, hf.village_layer(), drop=(".shx",)).read_bytes()
    at = AppTest.from_file(str(config.REPO_ROOT / "pages" / "setup.py"), default_timeout=30)
    sign_in(at, config.db_path(), "admin")
    at.run()
    at.file_uploader(key=ui_keys.SETUP_UPLOAD).set_value(("村.zip", data, "application/zip"))
    at.run()
    before = snapshot(db)  # (signing in wrote an account and a session)
    at.button(key=ui_keys.SETUP_IMPORT).click()
    at.run()
    assert not at.exception
    assert at.code[0].value.startswith("村.zip: ") and "缺少 .shx" in at.code[0].value
    assert snapshot(db) == before


def test_shapefile_zip_bomb_is_refused_before_extraction(db, tmp_path):
    parts = hf.shapefile_parts(tmp_path / "parts", hf.village_layer())
    del parts[".cpg"]  # without it the .dbf is read whole to guess its encoding
    dbf = parts[".dbf"]
    parts[".dbf"] = hf.Bomb(1024 * hf.MiB, b" ", dbf[:-1], b"\x1a")  # records padded with a GB of blanks
    path = hf.zipped_shapefile(tmp_path / "bomb.zip", parts)
    assert keys(in_child("villages_file", db, path)) == ["zip_ratio", "zip_unpacked"]


@pytest.mark.parametrize("member", ["../layer.cpg", "/etc/layer.cpg", "C:/layer.cpg", "..\\..\\layer.cpg"])
def test_zip_member_escaping_its_folder_is_refused(db, tmp_path, member):
    path = shapefile_zip(tmp_path, hf.village_layer(), extra={member: b"UTF-8"})
    assert refused(service.import_villages_file, db, OP, path) == [("zip_path", str(path), None, None)]


def test_zip_with_two_shapefiles_or_none_is_refused(db, tmp_path):
    parts = hf.shapefile_parts(tmp_path / "parts", hf.village_layer())
    members = {f"{stem}{s}": d for stem in ("a", "b") for s, d in parts.items()}
    path = hf.write_zip(tmp_path / "two.zip", members)
    assert keys(refused(service.import_villages_file, db, OP, path)) == ["shapefile_count"]
    path = hf.write_zip(tmp_path / "none.zip", {"readme.txt": b"hello"})
    assert keys(refused(service.import_villages_file, db, OP, path)) == ["shapefile_count"]


def test_not_a_zip_and_a_damaged_shp_are_messages(db, tmp_path):
    path = tmp_path / "v.zip"
    path.write_bytes(b"PK\x03\x04 this is not a zip")
    assert keys(refused(service.import_villages_file, db, OP, path)) == ["file_unreadable"]
    parts = hf.shapefile_parts(tmp_path / "parts", hf.village_layer())
    path = hf.zipped_shapefile(tmp_path / "bad.zip", {**parts, ".shp": b"<OGRVRTDataSource/>"})
    assert keys(refused(service.import_villages_file, db, OP, path)) == ["layer_content"]
    path = hf.zipped_shapefile(tmp_path / "cut.zip", {**parts, ".shp": parts[".shp"][:60]})
    assert keys(refused(service.import_villages_file, db, OP, path)) == ["file_unreadable"]


def test_geojson_that_is_not_json_never_reaches_gdal(db, tmp_path):
    path = tmp_path / "roads.geojson"
    path.write_text('<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource>'
                    "</OGRVRTLayer></OGRVRTDataSource>", encoding="utf-8")
    assert refused(service.import_roads_file, db, OP, path) == [("layer_content", str(path), None, None)]


def test_projected_roads_with_no_crs_are_refused_saying_metres(db, tmp_path):
    """Was: accepted, then every ``map`` died in GEOS on non-finite buffers."""
    path = hf.geojson(tmp_path / "roads.geojson", [
        ({"name": "G316"}, {"type": "LineString", "coordinates": [[113.8, 30.5], [113.9, 30.6]]}),
        ({"name": "S207"}, {"type": "LineString", "coordinates": [[778058, 3388857], [779000, 3390000]]})])
    assert refused(service.import_roads_file, db, OP, path) == [("crs_missing_metres", str(path), 2, "geometry")]


def test_projected_shapefile_without_prj_is_refused_saying_metres(db, tmp_path):
    roads = hf.village_layer(metres=True)
    path = shapefile_zip(tmp_path, roads, drop=(".prj",))
    assert refused(service.import_villages_file, db, OP, path) == [("crs_missing_metres", str(path), 1, "geometry")]


def test_every_road_vertex_must_be_finite_and_in_china(db, tmp_path):
    path = hf.geojson(tmp_path / "roads.geojson", [
        ({"name": "G316"}, {"type": "LineString", "coordinates": [[113.8, 30.5], [150.0, 30.6]]}),
        ({"name": "S207"}, {"type": "LineString", "coordinates": [[113.8, 30.5], [113.9, 60.0], [113.9, 30.6]]}),
        ({"name": "S311"}, {"type": "LineString", "coordinates": [[113.8, 30.5], [113.9, 30.6]]})])
    assert refused(service.import_roads_file, db, OP, path) == [
        ("lon_range", str(path), 1, "geometry"), ("lat_range", str(path), 2, "geometry")]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_non_finite_vertices_are_refused(db, tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString

    marker = 113.987654321  # written, then turned into NaN in the .shp (GDAL refuses to write one)
    roads = gpd.GeoDataFrame({"name": ["G316", "S207"]}, crs=4326, geometry=[
        LineString([(113.8, 30.5), (113.9, 30.6)]), LineString([(113.8, 30.5), (marker, 30.6)])])
    parts = hf.shapefile_parts(tmp_path / "parts", roads)
    parts[".shp"] = parts[".shp"].replace(struct.pack("<d", marker), struct.pack("<d", float("nan")))
    path = hf.zipped_shapefile(tmp_path / "roads.zip", parts)
    found = refused(service.import_roads_file, db, OP, path)
    assert found == [("lon_range", str(path), 2, "geometry")]
    path = hf.geojson(tmp_path / "roads.geojson", [
        ({"name": "G316"}, {"type": "LineString", "coordinates": [[113.8, 30.5], [113.9, 30.6]]})])
    path.write_text(path.read_text().replace("30.6", "1e999"))  # GDAL's JSON parser refuses it
    assert refused(service.import_roads_file, db, OP, path) == [("file_unreadable", str(path), None, None)]


def test_layer_feature_and_vertex_limits(db, tmp_path, monkeypatch):
    path = hf.geojson(tmp_path / "roads.geojson", [
        ({"name": "G316"}, {"type": "LineString", "coordinates": [[113.8, 30.5], [113.9, 30.6], [114, 30.7]]}),
        ({"name": "S207"}, {"type": "LineString", "coordinates": [[113.8, 30.5], [113.9, 30.6]]})])
    monkeypatch.setattr(limits, "LAYER_VERTICES", 4)
    assert keys(refused(service.import_roads_file, db, OP, path)) == ["layer_vertices"]
    monkeypatch.setattr(limits, "LAYER_FEATURES", 1)
    assert keys(refused(service.import_roads_file, db, OP, path)) == ["layer_features"]
    monkeypatch.setattr(limits, "LAYER_BYTES", 100)
    assert keys(refused(service.import_roads_file, db, OP, path)) == ["too_large"]


# --- submissions (JSON Lines) --------------------------------------------------------------------

def submission(**override) -> dict:
    rubric = load_rubric()
    obj = {"id": "h-1", "village": VILLAGE, "round": ROUND, "date": "2026-05-20", "surveyor": "王芳",
           "lon": 113.91, "lat": 30.62, "gps_accuracy_m": 8.5,
           "answers": {i.code: (True if i.type == "check" else 0 if i.type == "count" else i.grade_names[0])
                       for i in rubric.items},
           "veto": [], "notes": {}}
    obj.update(override)
    return obj


def jsonl(tmp_path, lines: list, name: str = "subs.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join((x if isinstance(x, bytes) else
                               (x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)).encode()) + b"\n"
                              for x in lines))
    return path


def test_village_code_of_the_demo_exists(db):
    assert store.village(db, submission()["village"]).code == submission()["village"]


def test_invalid_utf8_is_reported_with_its_line(db, tmp_path):
    good = json.dumps(submission(), ensure_ascii=False).encode()
    path = jsonl(tmp_path, [good, json.dumps(submission(id="h-2")), good.replace("王芳".encode(), b"\xcd\xf5\xb7")])
    found = refused(service.import_submissions_file, db, OP, path)
    assert ("utf8_line", str(path), 3, None) in found
    assert ("sub_id_duplicate", str(path), 1, "id") not in found


def test_json_100000_levels_deep_is_refused_before_parsing(db, tmp_path):
    path = jsonl(tmp_path, [submission(), hf.deep_json()])
    assert in_child("submissions", db, path) == [("json_depth", str(path), 2, None)]


@pytest.mark.parametrize("field", ["lon", "lat", "gps_accuracy_m", "answers"])
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_in_every_number(db, tmp_path, field, constant):
    text = json.dumps(submission())
    if field == "answers":
        count = next(i.code for i in load_rubric().items if i.type == "count")
        text = text.replace(f'"{count}": 0', f'"{count}": {constant}')
    else:
        text = text.replace(f'"{field}": ', f'"{field}": {constant}, "_{field}": ')
    assert constant in text
    path = jsonl(tmp_path, [text])
    assert refused(service.import_submissions_file, db, OP, path) == [("json_constant", str(path), 1, None)]


@pytest.mark.parametrize(("field", "key"), [("lon", "sub_field_type"), ("lat", "sub_field_type"),
                                            ("gps_accuracy_m", "gps_accuracy_range")])
def test_numbers_that_overflow_to_infinity_are_refused(db, tmp_path, field, key):
    text = json.dumps(submission()).replace(f'"{field}": ', f'"{field}": 1e999, "_{field}": ')
    path = jsonl(tmp_path, [text])
    assert refused(service.import_submissions_file, db, OP, path) == [(key, str(path), 1, field)]


def test_an_integer_of_5000_digits_is_a_message(db, tmp_path):
    text = json.dumps(submission()).replace('"gps_accuracy_m": 8.5', '"gps_accuracy_m": ' + "9" * 5000)
    path = jsonl(tmp_path, [text])
    assert keys(refused(service.import_submissions_file, db, OP, path)) == ["json"]


def test_overlong_texts_in_a_submission_are_refused(db, tmp_path):
    item = next(i.code for i in load_rubric().items)
    path = jsonl(tmp_path, [
        submission(notes={item: "村口" * limits.NOTE_CHARS}),
        submission(id="x" * (limits.FIELD_CHARS + 1)),
        submission(id="h-3", surveyor="王" * 10_000, notes={"k" * 1000: "x"}),
        submission(id="h-4", veto=["V" * 10_000]),  # codes are checked against the rubric
        submission(id="h-5", notes={item: "村口两处"})])
    with pytest.raises(DataError) as exc:
        service.import_submissions_file(db, OP, path)
    assert [(p.key, p.file, p.line, p.field) for p in exc.value.problems] == [
        ("text_long", str(path), 1, f"notes.{item}"), ("text_long", str(path), 2, "id"),
        ("text_long", str(path), 3, "surveyor"), ("text_long", str(path), 3, "notes"),
        ("veto_unknown", str(path), 4, "veto")]
    assert max(len(str(p)) for p in exc.value.problems) < 400  # no long text is repeated back


def test_a_line_over_the_limit_is_refused_and_the_next_line_read(db, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "LINE_BYTES", 4096)
    path = jsonl(tmp_path, [submission(notes={"LJ01": "长" * 5000}), submission(id="h-2", village="1")])
    assert keys(refused(service.import_submissions_file, db, OP, path)) == ["line_long", "village_unknown"]


def test_submissions_file_over_the_byte_limit(db, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "JSONL_BYTES", 100)
    path = jsonl(tmp_path, [submission()])
    assert refused(service.import_submissions_file, db, OP, path) == [("too_large", str(path), None, None)]


def test_a_browser_position_of_nan_or_infinity_is_no_position():
    from survey import gps

    for lon, lat in (("NaN", 30.6), (113.9, "Infinity"), (float("-inf"), 30.6)):
        assert isinstance(gps.from_browser({"coords": {"longitude": lon, "latitude": lat}}), gps.Refused)
    fix = gps.from_browser({"coords": {"longitude": 113.9, "latitude": 30.6, "accuracy": "NaN"}})
    assert (fix.lon, fix.lat, fix.accuracy_m) == (113.9, 30.6, None)


# --- the rubric (YAML) ---------------------------------------------------------------------------

def rubric_with(tmp_path, file: str, text: str) -> Path:
    folder = tmp_path / "rubric"
    shutil.copytree(RUBRIC, folder)
    (folder / file).write_text(text, encoding="utf-8")
    return folder


def test_billion_laughs_yaml_is_refused_at_its_first_anchor(db, tmp_path):
    folder = rubric_with(tmp_path, "veto.yaml", hf.billion_laughs())
    path = jsonl(tmp_path, [submission()])
    found = in_child("submissions", db, path, rubric_dir=str(folder))
    assert found == [("yaml_alias", str(folder / "veto.yaml"), 1, None)]


def test_recursive_yaml_alias_is_refused(db, tmp_path):
    folder = rubric_with(tmp_path, "veto.yaml", hf.RECURSIVE_ALIAS)
    path = jsonl(tmp_path, [submission()])
    found = in_child("submissions", db, path, rubric_dir=str(folder))
    assert found == [("yaml_alias", str(folder / "veto.yaml"), 2, None)]


def test_deep_yaml_and_large_yaml_are_refused(tmp_path, monkeypatch):
    folder = rubric_with(tmp_path, "veto.yaml", "a: " + "[" * 500 + "]" * 500 + "\n")
    assert refused(load_rubric, folder) == [("yaml_depth", str(folder / "veto.yaml"), 1, None)]
    monkeypatch.setattr(limits, "RUBRIC_BYTES", 1000)
    found = refused(load_rubric, rubric_with(tmp_path / "2", "veto.yaml", "# x\n"))
    assert found[0][0] == "too_large"


# --- photos --------------------------------------------------------------------------------------

def encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def test_12500_by_12500_png_is_refused_from_its_header(db, tmp_path):
    """Was: 2 GB, then accepted."""
    path = tmp_path / "photo.png"
    path.write_bytes(hf.huge_png())
    assert path.stat().st_size < 1024 * 1024
    village = store.villages(db)[0].code
    assert in_child("photo", db, path, village, ROUND) == [("photo_pixels", "photo.png", None, None)]


def photo_refused(db, data: bytes) -> list[tuple]:
    village = store.villages(db)[0]
    draft = fieldwork.open_draft(db, OP, ROUND, village.code, "王芳")
    return refused(fieldwork.add_photo, db, OP, draft, "LJ01", data, "photo")


def test_photo_over_pil_own_bomb_limit_gets_our_message(db):
    assert keys(photo_refused(db, hf.huge_png(15_000, 15_000))) == ["photo_pixels"]  # 225 MP


def test_photo_pixel_limit_applies_to_heic_before_decoding(db, monkeypatch):
    from pillow_heif import from_pillow

    heic = io.BytesIO()
    from_pillow(Image.new("RGB", (64, 64), (90, 140, 60))).save(heic, quality=50)
    monkeypatch.setattr(limits, "PHOTO_PIXELS", 64 * 63)
    assert keys(photo_refused(db, heic.getvalue())) == ["photo_pixels"]


def test_photo_bytes_and_formats(db, monkeypatch):
    assert keys(photo_refused(db, encode(Image.new("RGB", (8, 8)), "TIFF"))) == ["photo_unreadable"]
    assert keys(photo_refused(db, b"%!PS-Adobe-3.0 EPSF-3.0\n")) == ["photo_unreadable"]
    monkeypatch.setattr(limits, "PHOTO_BYTES", 100)
    assert keys(photo_refused(db, encode(Image.new("RGB", (64, 64)), "PNG") + bytes(200))) == ["photo_too_large"]


def test_a_50_megapixel_photo_is_accepted():
    """8,160 × 6,120: a real phone photo stays under the limit (checked by the header only)."""
    assert limits.PHOTO_PIXELS >= 8160 * 6120 and limits.PHOTO_PIXELS >= 9248 * 6936


# --- the guards themselves -----------------------------------------------------------------------

def test_inspect_zip_reports_every_problem_at_once(tmp_path):
    path = hf.write_zip(tmp_path / "x.zip", {"ok.txt": b"x", "../up.txt": b"x", "big.bin": hf.Bomb(300 * hf.MiB)})
    found = [(p.key, p.file) for p in _problems(limits.inspect_zip, path, "x.zip")]
    assert found == [("zip_path", "x.zip"), ("zip_ratio", "x.zip"), ("zip_unpacked", "x.zip")]
    members = limits.inspect_zip(hf.write_zip(tmp_path / "y.zip", {"a/b.txt": b"x"}), "y")
    assert [m.filename for m in members] == ["a/b.txt"]


def test_inspect_zip_counts_members_before_reading_the_directory(tmp_path):
    path = hf.write_zip(tmp_path / "many.zip", {f"f{n}.txt": b"" for n in range(50)})
    assert [p.key for p in _problems(limits.inspect_zip, path, "many.zip", max_members=10)] == ["zip_members"]
    with zipfile.ZipFile(tmp_path / "z64.zip", "w", allowZip64=True) as zf:
        zf.writestr("a.txt", b"x")
    assert len(limits.inspect_zip(tmp_path / "z64.zip", "z64")) == 1


def test_load_json_guards():
    assert limits.load_json('{"a": [1, {"b": "[[[[[[["}]}', "f", 1, max_depth=3) == {"a": [1, {"b": "[[[[[[["}]}
    assert [p.key for p in _problems(limits.load_json, "[[[1]]]", "f", 1, max_depth=2)] == ["json_depth"]
    assert [p.key for p in _problems(limits.load_json, '{"a": NaN}', "f", 1)] == ["json_constant"]
    assert [p.key for p in _problems(limits.load_json, '{"a": ', "f", 1)] == ["json"]


def test_upload_name_takes_the_base_name():
    assert limits.upload_name("C:\\Users\\王\\名录.csv") == "名录.csv"
    assert limits.upload_name("名录.xlsx") == "名录.xlsx"


def _problems(call, *args, **kwargs):
    with pytest.raises(DataError) as exc:
        call(*args, **kwargs)
    return exc.value.problems
