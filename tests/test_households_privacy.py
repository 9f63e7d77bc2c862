"""Household names are personal data: with a register full of them, none appears in the
provincial files (CSV, XLSX, GeoJSON), the maps (standalone and the page's), the township table
or the bulletin."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from scoped_db import A1, A2, B1, ROUND, A

from survey import auth, export, mapdata, store
from survey import households as hh
from survey.bulletin import bulletin_docx
from survey.csvio import csv_bytes
from survey.targets import flags_table

#: Heads, a group and household numbers no other data of the database holds.
HEADS = ("欧阳隐私", "司马秘密", "诸葛个人", "Zhuge-Private")
GROUP = "隐私小组"
ALL = [f"S{n:02d}" for n in range(1, 11)]


@pytest.fixture
def households_db(scoped):
    op = auth.operator()
    for village in (A1 + "201", A1 + "202", A2 + "201", B1 + "201"):
        store.import_households(scoped, [hh.HouseholdRow(village, f"HH-{k}", head, GROUP, 4, k + 2)
                                         for k, head in enumerate(HEADS)], actor="test")
        for k in range(len(HEADS)):
            hh.rate(scoped, op, village, f"HH-{k}", "2026", ALL[:k + 7])
        for state in (hh.DISCUSSED, hh.REVIEWED):
            hh.move(scoped, op, village, "2026", state)
        hh.move(scoped, op, village, "2026", hh.NOTICE, start="2026-05-01", end="2026-05-07")
        hh.move(scoped, op, village, "2026", hh.AWARDED, today=date(2026, 5, 8))
    assert hh.village_figures(scoped, op, A1 + "201", "2026").ten_star == 1  # the register is in use
    return scoped


def leaks(data: bytes | str) -> list[str]:
    text = data if isinstance(data, str) else _text(data)
    return [name for name in (*HEADS, GROUP, "HH-0") if name in text]


def _text(data: bytes) -> str:
    """Every text a file holds: a zip's members (XLSX, DOCX) unpacked, else the bytes decoded."""
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("undecodable file")


def test_no_household_name_in_the_provincial_files(households_db, tmp_path):
    result = export.export_round(households_db, auth.operator(), ROUND, tmp_path / "out")
    assert result.files
    for path in result.files:
        assert leaks(path.read_bytes()) == [], path.name
    gbk = export.export_round(households_db, auth.operator(), ROUND, tmp_path / "gbk", "gbk")
    for path in gbk.files:
        assert leaks(path.read_bytes()) == [], path.name
    for county in export.build(households_db, auth.operator(), ROUND):
        assert leaks(export.xlsx_bytes(county)) == []
        assert leaks(export.geojson_bytes(county)) == []
    table = flags_table(households_db, ROUND)
    assert leaks(csv_bytes(export.TOWNSHIP_COLUMNS, export.township_rows(table))[0]) == []


def test_no_household_name_on_the_maps(households_db):
    page = mapdata.standalone_map(households_db, ROUND)
    assert page.villages == 4 and leaks(page.html) == []
    from geo.maps import build_county_map

    data = mapdata.county_map_data(households_db, ROUND)
    html = build_county_map(data.results, data.roads, data.membership).get_root().render()
    assert leaks(html) == []


def test_no_household_name_in_the_bulletin(households_db):
    data, _ = bulletin_docx(households_db, ROUND, A)
    assert "测评通报" in _text(data) and leaks(data) == []


def test_the_names_are_found_where_they_belong_the_village_register_and_its_notice(households_db):
    """The check above can fail: the register's own listing and the notice (a zip, like the
    XLSX and the bulletin) hold the names."""
    from survey.notice import notice_docx

    op = auth.operator()
    listing = csv_bytes(hh.LISTING_COLUMNS, hh.listing(households_db, op, A1 + "201"))[0]
    assert leaks(listing) == [*HEADS, GROUP, "HH-0"]
    notice = notice_docx(hh.notice_list(households_db, op, A1 + "201", "2026"))
    assert set(leaks(notice)) == {*HEADS, GROUP, "HH-0"}
