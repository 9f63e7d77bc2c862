"""Village registry reading (interchange.md "Village registry"): every format, every rule, and
messages that name file, line and field, with all problems of a file reported at once."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import Point, Polygon

from core.errors import DataError
from survey.registry import VillageRow, read_villages, read_villages_bytes

HEADER = "区划代码,村名,乡镇（街道）,县,经度,纬度,文明村称号,称号年份,户数,示范村\n"
GOOD = (
    HEADER
    + "421399101201,张家湾村,城关镇,示范县,113.91,30.62,县级,2021,350,是\n"
    + "421399101202,李庄村,城关镇,示范县,113.92,30.63,,,,否\n"
)


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems(path, **kwargs) -> list[str]:
    with pytest.raises(DataError) as exc:
        read_villages(path, **kwargs)
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_read_the_same_rows(tmp_path, encoding):
    rows = read_villages(write(tmp_path, "v.csv", GOOD, encoding))
    assert rows[0] == VillageRow("421399101201", "张家湾村", "城关镇", "示范县", 113.91, 30.62, "县级", 2021, 350,
                                 True, 2)
    assert (rows[1].title, rows[1].title_year, rows[1].households, rows[1].demo) == ("无", None, None, False)


def test_gb18030_only_character_survives(tmp_path):
    text = "区划代码,村,乡镇,经度,纬度\n421399101201,㭎树湾村,城关镇,113.9,30.6\n"
    assert read_villages(write(tmp_path, "v.csv", text, "gb18030"))[0].name == "㭎树湾村"


def test_unreadable_encoding_is_reported(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes(b"\x81\x30\xff\xfe\x00code\n")
    [message] = problems(path)
    assert message.startswith(f"{path}:1: ") and "UTF-8" in message and "GB18030" in message


def test_header_aliases_brackets_spaces_and_bom(tmp_path):
    text = ("\ufeff 行政区划代码 ,村委会名称,乡镇(街道),县（市、区）,lng,latitude,称号,命名年份,总户数,demonstration\n"
            "421399101201,张家湾村,城关镇,示范县,113.9,30.6,国家级,2019,80,1\n")
    [row] = read_villages(write(tmp_path, "v.csv", text))
    assert (row.code, row.name, row.township, row.county) == ("421399101201", "张家湾村", "城关镇", "示范县")
    assert (row.title, row.title_year, row.households, row.demo) == ("全国", 2019, 80, True)


def test_absent_optional_columns_are_none(tmp_path):
    [row] = read_villages(write(tmp_path, "v.csv", "code,name,township,lon,lat\n421399101201,A村,T镇,113.9,30.6\n"))
    assert (row.county, row.title, row.title_year, row.households, row.demo) == (None, None, None, None, None)


def test_tab_separated_csv(tmp_path):
    text = "区划代码\t村\t乡镇\t经度\t纬度\n421399101201\t张家湾村\t城关镇\t113.9\t30.6\n"
    assert read_villages(write(tmp_path, "v.csv", text))[0].name == "张家湾村"


def test_missing_required_columns_all_named(tmp_path):
    found = problems(write(tmp_path, "v.csv", "村名,乡镇\nA村,T镇\n"))
    assert len(found) == 3
    assert found[0].startswith(f"{tmp_path / 'v.csv'}:1: 区划代码: ")
    assert any(":1: 经度: " in p for p in found) and any(":1: 纬度: " in p for p in found)
    assert "行政区划代码" in found[0]  # the accepted headers are listed


def test_every_row_problem_is_reported_with_line_and_field(tmp_path):
    text = (HEADER
            + "421399101201,张家湾村,城关镇,示范县,113.9,30.6,县级,2021,350,是\n"
            + '421399101202,"李\n庄村",城关镇,示范县,113.9,30.6,,,,\n'  # lines 3–4
            + "4.21399E+11,王村,城关镇,示范县,200,60,乡级,21,-3,也许\n"  # line 5
            + "421399101201,张家湾村,城关街道,另一县,113.9,30.6,,,,\n"  # line 6
            + ",,,,,,,,,\n"  # blank row: skipped
            + "421399101203,,,,,,,,,\n")  # line 8
    found = problems(write(tmp_path, "v.csv", text), display_name="村庄名录.csv")
    expected_starts = [
        "村庄名录.csv:5: 区划代码: ", "村庄名录.csv:5: 经度: ", "村庄名录.csv:5: 纬度: ",
        "村庄名录.csv:5: 文明村称号: ", "村庄名录.csv:5: 称号年份: ", "村庄名录.csv:5: 户数: ",
        "村庄名录.csv:5: 示范村: ",
        "村庄名录.csv:6: 区划代码: ", "村庄名录.csv:6: 乡镇（街道）: ", "村庄名录.csv:6: 县: ",
        "村庄名录.csv:8: 村名: ", "村庄名录.csv:8: 乡镇（街道）: ", "村庄名录.csv:8: 经度: ", "村庄名录.csv:8: 纬度: ",
    ]
    assert [p[: len(s)] for p, s in zip(found, expected_starts)] == expected_starts
    assert len(found) == len(expected_starts)
    assert "第一次出现在第 2 行" in found[7]
    assert "421399101" in found[8] and "城关镇" in found[8] and "城关街道" in found[8]
    assert "设为文本" in found[0]


def test_non_number_coordinates(tmp_path):
    text = "区划代码,村,乡镇,经度,纬度\n421399101201,A村,T镇,东经113,30.6\n"
    [message] = problems(write(tmp_path, "v.csv", text))
    assert ":2: 经度: " in message and "东经113" in message


def test_header_only_file_is_empty(tmp_path):
    [message] = problems(write(tmp_path, "v.csv", HEADER))
    assert "没有数据行" in message


def test_missing_file_and_unknown_format(tmp_path):
    assert "找不到文件" in problems(tmp_path / "nope.csv")[0]
    assert ".pdf" in problems(write(tmp_path, "v.pdf", "x"))[0]


def test_xlsx_numeric_code_is_text_but_lossy_float_is_rejected(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["说明：示范县村庄名录"])  # a title row above the header is tolerated
    sheet.append(["区划代码", "村", "乡镇", "经度", "纬度", "示范村"])
    sheet.append([421399101201, "张家湾村", "城关镇", 113.9, 30.6, True])
    sheet.append(["421399101202", "李庄村", "城关镇", 113.9, 30.6, "否"])
    path = tmp_path / "v.xlsx"
    book.save(path)
    rows = read_villages(path)
    assert [(r.code, r.line, r.demo) for r in rows] == [("421399101201", 3, True), ("421399101202", 4, False)]

    sheet.append([421399101203.5, "王村", "城关镇", 113.9, 30.6, "否"])
    book.save(path)
    [message] = problems(path)
    assert message.startswith(f"{path}:5: 区划代码: ") and "E+11" in message and "设为文本" in message


def test_workbook_is_read_by_its_content_whatever_the_suffix(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["区划代码", "村", "乡镇", "经度", "纬度"])
    book.active.append(["421399101201", "张家湾村", "城关镇", 113.9, 30.6])
    path = tmp_path / "v.xls"
    book.save(path)  # an .xlsx saved under an .xls name
    assert read_villages(path)[0].code == "421399101201"


def test_damaged_xls_is_unreadable(tmp_path):
    path = tmp_path / "v.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    [message] = problems(path)
    assert message.startswith(f"{path}: ") and "无法读取文件" in message


def test_bytes_upload_names_the_uploaded_file(tmp_path):
    rows = read_villages_bytes(GOOD.encode("gbk"), "名录.csv")
    assert len(rows) == 2
    with pytest.raises(DataError) as exc:
        read_villages_bytes(HEADER.encode() + b"1,A,T,C,113,30,,,,\n", "名录.csv")
    assert str(exc.value.problems[0]).startswith("名录.csv:2: 区划代码: ")


def layer(rows, geoms, crs="EPSG:4326"):
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


def test_geojson_points_and_polygons_without_lon_lat_columns(tmp_path):
    gdf = layer({"区划代码": ["421399101201", "421399101202"], "村名": ["张家湾村", "李庄村"],
                 "乡镇": ["城关镇", "城关镇"], "文明村称号": ["省级", None]},
                [Point(113.9, 30.6), Polygon([(114, 30.5), (114.02, 30.5), (114.02, 30.52), (114, 30.52)])])
    path = tmp_path / "v.geojson"
    gdf.to_file(path)
    rows = read_villages(path)
    assert (rows[0].lon, rows[0].lat, rows[0].title) == (113.9, 30.6, "省级")
    assert 114 < rows[1].lon < 114.02 and 30.5 < rows[1].lat < 30.52 and rows[1].title == "无"
    assert [r.line for r in rows] == [1, 2]


def test_geojson_feature_problems_use_the_feature_number(tmp_path):
    gdf = layer({"code": ["421399101201", "42"], "name": ["A村", "B村"], "township": ["T镇", "T镇"]},
                [Point(113.9, 30.6), None])
    path = tmp_path / "v.geojson"
    gdf.to_file(path)
    found = problems(path)
    assert [p.split(": ")[0] + ": " + p.split(": ")[1] for p in found] == [
        f"{path}:2: code", f"{path}:2: geometry"]


def test_layer_without_crs_in_metres_is_refused_saying_so(tmp_path):
    feature = {"type": "Feature", "properties": {"code": "421399101201", "name": "A村", "township": "T镇"},
               "geometry": {"type": "Point", "coordinates": [778058, 3388857]}}
    path = tmp_path / "v.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    [found] = problems(path)
    assert found.startswith(f"{path}:1: geometry: ") and "看来是米" in found and "778058, 3388857" in found


def test_zipped_shapefile_in_utm_comes_back_in_wgs84(tmp_path):
    gdf = layer({"code": ["421399101201"], "name": ["张家湾村"], "township": ["城关镇"], "title": ["市级"]},
                [Point(113.9, 30.6)]).to_crs("EPSG:32649")
    assert gdf.geometry.x.iloc[0] > 100000  # metres
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "villages.shp", encoding="gbk")
    path = tmp_path / "villages.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    [row] = read_villages(path)
    assert (row.code, row.name, row.township, row.title) == ("421399101201", "张家湾村", "城关镇", "市级")
    assert row.lon == pytest.approx(113.9, abs=1e-6) and row.lat == pytest.approx(30.6, abs=1e-6)
