"""The provincial submission (provincial-export.md): the CSV pair, its companions, the command."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import zipfile
from decimal import Decimal

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from builders import admin, reviewer, surveyor
from shapely.geometry import LineString

from core.errors import NotFound, UsageError
from core.model import STATUS_APPROVED, STATUS_RETURNED, Round, Village, VillageResult
from geo.io import Road
from survey import export, store
from survey.cli import main
from survey.csvio import fmt1
from survey.registry import VillageRow
from survey.roads import save_roads
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission
from survey.targets import TargetPolicy, township_table

# The contract: the headers of provincial-export.md, copied from the spec, in order.
SPEC_VILLAGE_HEADERS = [
    "区划代码", "县", "乡镇", "村", "测评轮次", "测评日期", "测评人", "垃圾治理得分", "移风易俗得分",
    "十星级文明户得分", "总分", "一票否决", "否决事项", "测评结果", "文明村称号", "示范带", "问题数",
    "经度", "纬度", "审核状态", "提交编号",
]
SPEC_TOWNSHIP_HEADERS = [
    "乡镇代码", "乡镇", "村总数", "县级及以上文明村数", "本轮测评村数", "本轮达标村数", "预计文明村数",
    "文明村占比(%)", "预计占比(%)", "目标占比(%)", "是否达到目标", "需新增文明村数",
]

ROUND = "2026-B3"
ADMIN = admin()
EVIL = '=HYPERLINK("http://evil.example","点我")'
RARE = "㭎树村"  # GBK cannot encode 㭎; GB18030 can
PRIVATE = ("户主张三", "13812345678", "420102198001011234")


# --- a small database through the store API ------------------------------------------------------


def vrow(code, name, township, county, lon=113.1, lat=30.1, title="无"):
    return VillageRow(code=code, name=name, township=township, county=county, lon=lon, lat=lat,
                      title=title, title_year=None, households=120, demo=False, line=2)


def answers(rubric, misses=0):
    """Every item answered at its best, then the first ``misses`` items answered at their worst."""
    out = {}
    for i, item in enumerate(rubric.items):
        worst = i < misses
        if item.type == "check":
            out[item.code] = not worst
        elif item.type == "count":
            out[item.code] = 3 if worst else 0
        else:
            out[item.code] = item.grade_names[-1 if worst else 0]
    return out


def sub(sid, village, date, rubric, misses=0, veto=(), lon=None, lat=None, notes=None, surveyor="王芳"):
    return Submission(id=sid, village=village, round=ROUND, date=date, surveyor=surveyor, lon=lon, lat=lat,
                      answers=answers(rubric, misses), veto=tuple(veto), notes=notes or {})


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture
def db(tmp_path, rubric):
    path = tmp_path / "survey.db"
    store.import_registry(path, [
        vrow("421302100001", "张湾村", "城关镇", "测试县", title="县级"),
        vrow("421302100002", EVIL, "城关镇", "测试县", lon=113.2, lat=30.2),
        vrow("421302100003", "-1", "城关镇", "测试县", lon=113.3, lat=30.3),
        vrow("421302101001", RARE, "青石镇", "测试县", lon=113.4, lat=30.4),
        vrow("421302101002", "未测村", "青石镇", "测试县", lon=113.5, lat=30.5, title="市级"),
        vrow("421302102001", "空乡村", "空乡", "测试县", lon=113.6, lat=30.6),
        vrow("421303100001", "邻县村", "邻镇", "邻县", lon=114.0, lat=31.0),
    ])
    store.create_round(path, Round(id=ROUND, name="第三次双月测评"))
    subs = [
        sub("s1-old", "421302100001", "2026-05-01", rubric, misses=10, lon=113.1, lat=30.1),
        sub("s1-new", "421302100001", "2026-05-10", rubric, misses=3, lon=113.100123, lat=30.1000004,
            notes={"LJ01": f"{PRIVATE[0]}家门口，电话{PRIVATE[1]}，身份证{PRIVATE[2]}"}),
        sub("s2", "421302100002", "2026-05-11", rubric, veto=("V3", "V1"), lon=113.2, lat=30.2),
        sub("s3", "421302100003", "2026-05-12", rubric, misses=1),  # no surveyed point
        sub("s4", "421302101001", "2026-05-13", rubric, surveyor="李明", lon=113.4, lat=30.4),
        sub("s5", "421303100001", "2026-05-14", rubric, lon=114.0, lat=31.0),
    ]
    store.save_submissions(path, [(s, score(rubric, s.answers, s.veto)) for s in subs])
    # G1 runs through 张湾村; S1 is about 1.9 km east of it: both belts, G1 nearest
    save_roads(path, [
        Road("S1", LineString([(113.12, 30.0), (113.12, 30.2)]), 2000.0),
        Road("G1", LineString([(113.1, 30.0), (113.1, 30.2)]), 2000.0),
    ])
    store.set_target(path, "421302", Decimal("56"), by="县文明办")
    return path


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def by_code(rows):
    return {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}


# --- the CSV pair --------------------------------------------------------------------------------


def test_headers_are_exactly_the_spec():
    assert [c.header for c in export.VILLAGE_COLUMNS] == SPEC_VILLAGE_HEADERS
    assert [c.header for c in export.TOWNSHIP_COLUMNS] == SPEC_TOWNSHIP_HEADERS


def test_export_round_writes_one_pair_per_county(db, tmp_path):
    out = tmp_path / "out"
    result = export.export_round(db, ADMIN, ROUND, out)
    assert result.warnings == []
    assert sorted(p.name for p in result.files) == [
        "townships_421302_2026-B3.csv", "townships_421303_2026-B3.csv",
        "villages_421302_2026-B3.csv", "villages_421303_2026-B3.csv",
    ]
    assert sorted(os.listdir(out)) == sorted(p.name for p in result.files)  # no temporary file left
    raw = (out / "villages_421302_2026-B3.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == raw.count(b"\n") == 5  # header + 4 assessed villages, CRLF
    assert read_csv(out / "villages_421302_2026-B3.csv")[0] == SPEC_VILLAGE_HEADERS
    assert read_csv(out / "townships_421302_2026-B3.csv")[0] == SPEC_TOWNSHIP_HEADERS
    assert [r[0] for r in read_csv(out / "villages_421303_2026-B3.csv")[1:]] == ["421303100001"]


def test_village_rows_hold_the_counting_submission(db, tmp_path, rubric):
    export.export_round(db, ADMIN, ROUND, tmp_path, county="421302")
    rows = read_csv(tmp_path / "villages_421302_2026-B3.csv")
    # only assessed villages, sorted by code; 未测村 and 空乡村 have no submission
    assert [r[0] for r in rows[1:]] == ["421302100001", "421302100002", "421302100003", "421302101001"]
    got = by_code(rows)

    zhang = got["421302100001"]
    expected = score(rubric, answers(rubric, misses=3))  # the later submission counts
    assert zhang["提交编号"] == "s1-new" and zhang["测评日期"] == "2026-05-10"
    assert zhang["县"] == "测试县" and zhang["乡镇"] == "城关镇" and zhang["村"] == "张湾村"
    assert zhang["测评轮次"] == ROUND and zhang["测评人"] == "王芳"
    assert zhang["垃圾治理得分"] == fmt1(expected.sections["garbage"])
    assert zhang["移风易俗得分"] == fmt1(expected.sections["customs"])
    assert zhang["十星级文明户得分"] == fmt1(expected.sections["tenstar"])
    assert zhang["总分"] == fmt1(expected.total)
    assert zhang["问题数"] == str(expected.findings) and expected.findings > 0
    assert zhang["测评结果"] == ("达标" if expected.passed else "未达标")
    assert zhang["一票否决"] == "否" and zhang["否决事项"] == ""
    assert zhang["文明村称号"] == "县级"
    assert zhang["示范带"] == "G1、S1"  # nearest road first
    assert (zhang["经度"], zhang["纬度"]) == ("113.100123", "30.100000")  # the surveyed point
    assert zhang["审核状态"] == "待审核"

    vetoed = got["421302100002"]
    assert vetoed["一票否决"] == "是" and vetoed["测评结果"] == "未达标" and vetoed["总分"] == "100.0"
    names = [rubric.veto_item(c).name for c in ("V1", "V3")]  # in rubric order
    assert vetoed["否决事项"] == "；".join(names) and all(n for n in names)
    assert vetoed["村"] == "'" + EVIL  # formula guard
    assert vetoed["示范带"] == ""

    minus = got["421302100003"]
    assert minus["村"] == "'-1"  # text that looks like a number is guarded...
    assert (minus["经度"], minus["纬度"]) == ("113.300000", "30.300000")  # registry point
    assert got["421302101001"]["村"] == RARE and got["421302101001"]["测评人"] == "李明"


def test_a_returned_submission_never_counts_and_approved_ones_say_so(db, tmp_path, rubric):
    store.decide(db, ["s1-new"], STATUS_RETURNED, by="审核员", comment="照片不清")
    store.decide(db, ["s2"], STATUS_APPROVED, by="审核员", comment=None)
    export.export_round(db, ADMIN, ROUND, tmp_path, county="421302")
    got = by_code(read_csv(tmp_path / "villages_421302_2026-B3.csv"))
    older = score(rubric, answers(rubric, misses=10))
    assert got["421302100001"]["提交编号"] == "s1-old" and got["421302100001"]["总分"] == fmt1(older.total)
    assert got["421302100001"]["审核状态"] == "待审核"
    assert got["421302100002"]["审核状态"] == "已通过"


def test_township_rows_follow_the_share_rules(db, tmp_path):
    export.export_round(db, ADMIN, ROUND, tmp_path, county="421302")
    rows = read_csv(tmp_path / "townships_421302_2026-B3.csv")
    assert [r[0] for r in rows[1:]] == ["421302100", "421302101", "421302102"]  # every township, sorted
    got = by_code(rows)
    # 青石镇: 2 villages, 1 titled (not assessed), 1 assessed and passed -> 2 projected
    assert [got["421302101"][h] for h in SPEC_TOWNSHIP_HEADERS[1:]] == [
        "青石镇", "2", "1", "1", "1", "2", "50.0", "100.0", "56.0", "是", "0"]
    # 空乡: 1 untitled village, not assessed: 0 %, needs 1 to reach 56 %
    assert [got["421302102"][h] for h in SPEC_TOWNSHIP_HEADERS[1:]] == [
        "空乡", "1", "0", "0", "0", "0", "0.0", "0.0", "56.0", "否", "1"]


def test_township_rows_exact_arithmetic_56_percent_of_25():
    villages = [Village(code=f"421302100{i:03d}", name=f"村{i}", township_code="421302100", township="城关镇",
                        county_code="421302", county="测试县", lon=113.0, lat=30.0,
                        title="县级" if i < 13 else "无") for i in range(25)]
    results = [VillageResult(village=v, round_id=ROUND) for v in villages]
    table = township_table(results, TargetPolicy(default=Decimal("56")))
    data, _ = export.csv_bytes(export.TOWNSHIP_COLUMNS, export.township_rows(table))
    row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1]
    # 13 of 25 is 52 %; 56 % of 25 is exactly 14, so one more is needed (not two)
    assert row == ["421302100", "城关镇", "25", "13", "0", "0", "13", "52.0", "52.0", "56.0", "否", "1"]


def test_status_labels_and_numeric_columns_are_not_guarded(rubric):
    v = Village(code="421302100009", name="+86村", township_code="421302100", township="@镇",
                county_code="421302", county="测试县", lon=113.0, lat=30.0)
    r = VillageResult(village=v, round_id=ROUND, submission_id="-x1", date="2026-05-20", surveyor="王芳",
                      sections={"garbage": Decimal("-1"), "customs": Decimal("6.25"), "tenstar": Decimal("0.05")},
                      total=Decimal("84.45"), passed=False, findings=0, status="approved")
    data, _ = export.csv_bytes(export.VILLAGE_COLUMNS, export.village_rows([r], rubric, {}))
    row = dict(zip(SPEC_VILLAGE_HEADERS, list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1]))
    assert row["村"] == "'+86村" and row["乡镇"] == "'@镇" and row["提交编号"] == "'-x1"
    assert ((row["垃圾治理得分"], row["移风易俗得分"], row["十星级文明户得分"], row["总分"])
            == ("-1.0", "6.3", "0.1", "84.5"))
    assert row["问题数"] == "0" and row["审核状态"] == "已通过" and row["测评结果"] == "未达标"


def test_csv_reads_back_with_pandas_keeping_codes_as_text(db, tmp_path):
    export.export_round(db, ADMIN, ROUND, tmp_path, county="421302")
    df = pd.read_csv(tmp_path / "villages_421302_2026-B3.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(df.columns) == SPEC_VILLAGE_HEADERS
    assert df["区划代码"].str.fullmatch(r"\d{12}").all()
    assert df["村"].tolist() == ["张湾村", "'" + EVIL, "'-1", RARE]
    towns = pd.read_csv(tmp_path / "townships_421302_2026-B3.csv", dtype={"乡镇代码": str}, encoding="utf-8-sig")
    assert towns["乡镇代码"].tolist() == ["421302100", "421302101", "421302102"]
    assert towns["目标占比(%)"].tolist() == [56.0, 56.0, 56.0]


def test_gbk_option_warns_about_rows_gbk_cannot_hold(db, tmp_path):
    result = export.export_round(db, ADMIN, ROUND, tmp_path, encoding="gbk", county="421302")
    raw = (tmp_path / "villages_421302_2026-B3.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("gb18030"), newline="")))
    assert rows[0] == SPEC_VILLAGE_HEADERS and rows[4][3] == RARE
    assert "城关镇".encode("gbk") in raw and RARE.encode("gb18030") in raw
    assert [(w.file, w.line) for w in result.warnings] == [("villages_421302_2026-B3.csv", 5)]
    assert "㭎" in str(result.warnings[0])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"round_id": "2099-X"}, NotFound), ({"county": "999999"}, NotFound), ({"encoding": "latin-1"}, UsageError)],
)
def test_bad_requests_write_no_file(db, tmp_path, kwargs, error):
    out = tmp_path / "out"
    args = {"round_id": ROUND, **kwargs}
    with pytest.raises(error):
        export.export_round(db, ADMIN, out_dir=out, **args)
    assert not out.exists()


def test_a_scope_narrows_the_tables_and_only_a_whole_county_exports(db):
    # a reviewer of one county sees that county only; another county looks unknown
    [county] = export.build(db, reviewer("421302"), ROUND)
    assert county.county_code == "421302"
    with pytest.raises(NotFound):
        export.build(db, reviewer("421302"), ROUND, "421303")
    # a reviewer of some townships cannot speak for the county: no provincial files at all
    with pytest.raises(UsageError) as err:
        export.build(db, reviewer("421302", ("421302101",)), ROUND, "421302")
    assert err.value.key == "export_county_only"
    with pytest.raises(UsageError) as err:
        export.build(db, surveyor("王芳", "421302"), ROUND, "421302")
    assert err.value.key == "forbidden"


def test_nothing_personal_leaves(db, tmp_path):
    [county] = export.build(db, ADMIN, ROUND, "421302")
    pair, _ = county.csv_pair()
    zipped, _ = export.csv_zip([county])
    blobs = [*pair.values(), export.geojson_bytes(county)]
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        blobs += [zf.read(n) for n in zf.namelist()]
    wb = openpyxl.load_workbook(io.BytesIO(export.xlsx_bytes(county)))
    blobs.append("\n".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row).encode())
    texts = [blob.decode("utf-8-sig") for blob in blobs]
    assert all(any(name in text for text in texts) for name in ("王芳", "李明"))  # display names only
    for text in texts:
        for secret in PRIVATE:
            assert secret not in text


# --- companions ----------------------------------------------------------------------------------


def test_zip_holds_the_csv_pair(db):
    [county] = export.build(db, ADMIN, ROUND, "421302")
    data, warnings = export.csv_zip([county], encoding="gbk")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["townships_421302_2026-B3.csv", "villages_421302_2026-B3.csv"]
        assert zf.read("villages_421302_2026-B3.csv").decode("gb18030").startswith("区划代码,")
    assert [w.line for w in warnings] == [5]


def test_xlsx_has_two_sheets_with_text_code_cells(db, tmp_path):
    [county] = export.build(db, ADMIN, ROUND, "421302")
    path = export.write_xlsx(county, tmp_path)
    assert path.name == "provincial_421302_2026-B3.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["村级测评", "乡镇汇总"]
    villages, towns = wb["村级测评"], wb["乡镇汇总"]
    assert [c.value for c in villages[1]] == SPEC_VILLAGE_HEADERS
    assert [c.value for c in towns[1]] == SPEC_TOWNSHIP_HEADERS
    codes = [row[0] for row in villages.iter_rows(min_row=2)]
    assert [c.value for c in codes] == ["421302100001", "421302100002", "421302100003", "421302101001"]
    assert all(c.data_type == "s" and c.number_format == "@" for c in codes)
    assert all(row[0].data_type == "s" and row[0].number_format == "@" for row in towns.iter_rows(min_row=2))
    evil = villages.cell(row=3, column=4)
    assert evil.data_type == "s" and evil.value == "'" + EVIL  # stored as text, never as a formula
    total = villages.cell(row=3, column=11)
    assert total.value == 100.0 and total.number_format == "0.0"
    assert towns.cell(row=2, column=10).value == 56.0 and towns.cell(row=2, column=3).value == 3


def test_geojson_points_in_wgs84(db, tmp_path):
    [county] = export.build(db, ADMIN, ROUND, "421302")
    path = export.write_geojson(county, tmp_path)
    assert path.name == "villages_421302_2026-B3.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 4
    first = doc["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [113.100123, 30.1]}
    assert list(first["properties"]) == SPEC_VILLAGE_HEADERS
    assert first["properties"]["区划代码"] == "421302100001" and first["properties"]["示范带"] == "G1、S1"
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 4326 and (frame.geom_type == "Point").all()
    assert frame["区划代码"].tolist() == ["421302100001", "421302100002", "421302100003", "421302101001"]


def test_a_village_with_no_point_has_empty_coordinates_and_a_null_geometry(rubric):
    v = Village(code="421302100009", name="无坐标村", township_code="421302100", township="城关镇",
                county_code="421302", county="测试县", lon=None, lat=None)
    r = VillageResult(village=v, round_id=ROUND, submission_id="s9", date="2026-05-20", surveyor="王芳",
                      sections={}, total=Decimal("90"), passed=True, findings=1, status="pending")
    rows = export.village_rows([r], rubric, {})
    county = export.CountyExport("421302", "测试县", ROUND, rows, [])
    data, _ = export.csv_bytes(export.VILLAGE_COLUMNS, rows)
    assert data.decode("utf-8-sig").splitlines()[1].split(",")[7:19] == [
        "", "", "", "90.0", "否", "", "达标", "无", "", "1", "", ""]
    [feature] = json.loads(export.geojson_bytes(county))["features"]
    assert feature["geometry"] is None and feature["properties"]["经度"] is None


# --- command line --------------------------------------------------------------------------------


def test_cli_export(db, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["export", "--db", str(db), "--round", ROUND, "--out", str(out), "--county", "421302",
                 "--encoding", "gbk"]) == 0
    captured = capsys.readouterr()
    assert captured.out.split() == [str(out / "villages_421302_2026-B3.csv"), str(out / "townships_421302_2026-B3.csv")]
    assert "villages_421302_2026-B3.csv:5:" in captured.err and "㭎" in captured.err
    assert main(["export", "--db", str(db), "--round", "nope", "--out", str(tmp_path / "none")]) == 1
    assert "nope" in capsys.readouterr().err and not (tmp_path / "none").exists()


# --- a real spreadsheet ---------------------------------------------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (Debian libreoffice-calc) is not installed")
def test_libreoffice_converts_the_csv_with_chinese_and_codes_intact(db, tmp_path):
    export.export_round(db, ADMIN, ROUND, tmp_path / "csv", county="421302")
    conv = tmp_path / "xlsx"
    sources = sorted(str(p) for p in (tmp_path / "csv").iterdir())
    # what a user picks in Calc's import dialog: comma, double quote, UTF-8 (76), column 1 as text (2)
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--infilter=CSV:44,34,76,1,1/2", "--convert-to", "xlsx", "--outdir", str(conv), *sources],
        check=True, capture_output=True, timeout=180,
    )
    for name in ("villages_421302_2026-B3", "townships_421302_2026-B3"):
        expected = read_csv(tmp_path / "csv" / f"{name}.csv")
        ws = openpyxl.load_workbook(conv / f"{name}.xlsx").active
        got = [list(r) for r in ws.iter_rows(values_only=True)]
        assert got[0] == expected[0]  # Chinese headers intact
        assert [r[0] for r in got[1:]] == [r[0] for r in expected[1:]]  # codes: same digit strings
        assert all(isinstance(r[0], str) and r[0].isdigit() for r in got[1:])
        assert [r[1] for r in got[1:]] == [r[1] for r in expected[1:]]
    ws = openpyxl.load_workbook(conv / "villages_421302_2026-B3.xlsx").active
    names = [ws.cell(row=i, column=4) for i in range(2, 6)]
    assert [c.value for c in names] == ["张湾村", "'" + EVIL, "'-1", RARE]
    assert all(c.data_type == "s" for c in names)  # the guarded name never became a formula
