"""The CSV dialect of provincial-export.md: what a reader of the written file gets."""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal

import pandas as pd
import pytest

from core.errors import UsageError
from survey import csvio
from survey.csvio import Column, atomic_write, csv_bytes, fmt1, write_csv

COLUMNS = (Column("代码", "code"), Column("名称"), Column("得分", "dec1"), Column("数", "int"), Column("经度", "coord"))


def _text(data: bytes) -> str:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 files start with a BOM"
    return data[3:].decode("utf-8")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("6.25"), "6.3"),
        (Decimal("84.45"), "84.5"),
        (Decimal("0.05"), "0.1"),
        (Decimal("0.04"), "0.0"),
        (Decimal("85"), "85.0"),
        (Decimal("45.5"), "45.5"),
        (Decimal("99.95"), "100.0"),
        (Decimal("14.28571428571428571428571428571428571429"), "14.3"),
        (Decimal("-1"), "-1.0"),
        (Decimal("-0.04"), "0.0"),
        (7, "7.0"),
    ],
)
def test_fmt1_one_decimal_half_up_from_the_exact_value(value, expected):
    assert fmt1(value) == expected


def test_fmt1_refuses_floats():
    # 0.05 as a float is 0.05000000000000000277 and 2.675 is 2.67499999...: never go through floats
    with pytest.raises(TypeError):
        fmt1(2.675)


def test_header_first_crlf_bom_and_minimal_quoting():
    rows = [
        ["421302101001", "普通村", Decimal("85"), 3, 113.123456789],
        ["421302101002", '有,逗号和"引号"', Decimal("6.25"), 0, 113.5],
        ["421302101003", "两行\n名称", None, None, None],
    ]
    data, warnings = csv_bytes(COLUMNS, rows)
    text = _text(data)
    assert warnings == []
    assert text == (
        "代码,名称,得分,数,经度\r\n"
        "421302101001,普通村,85.0,3,113.123457\r\n"
        '421302101002,"有,逗号和""引号""",6.3,0,113.500000\r\n'
        '421302101003,"两行\n名称",,,\r\n'
    )
    assert "None" not in text and "nan" not in text and "NULL" not in text


def test_formula_guard_on_text_cells_only():
    rows = [
        ["421302101001", '=HYPERLINK("http://evil.example","点我")', Decimal("-1"), -1, 113.0],
        ["421302101002", "-1", Decimal("0"), 0, 113.0],
        ["421302101003", "+86", Decimal("1"), 1, 113.0],
        ["421302101004", "@SUM(A1)", Decimal("1"), 1, 113.0],
        ["421302101005", "\t隐藏", Decimal("1"), 1, 113.0],
        ["421302101006", "\r回车", Decimal("1"), 1, 113.0],
        ["421302101007", "a=b-c", Decimal("1"), 1, 113.0],
    ]
    data, _ = csv_bytes(COLUMNS, rows)
    back = list(csv.reader(io.StringIO(_text(data), newline="")))
    names = [r[1] for r in back[1:]]
    assert names == [
        "'=HYPERLINK(\"http://evil.example\",\"点我\")",
        "'-1",
        "'+86",
        "'@SUM(A1)",
        "'\t隐藏",
        "'\r回车",
        "a=b-c",  # only the first character matters
    ]
    # numeric columns are untouched: a negative score stays a number
    assert back[1][2:4] == ["-1.0", "-1"]


def test_codes_stay_digit_strings_with_leading_zeros():
    data, _ = csv_bytes(COLUMNS, [["010203040506", "零开头", Decimal("1"), 1, 100.0]])
    text = _text(data)
    assert "010203040506," in text and "E+" not in text
    df = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(df.columns) == ["代码", "名称", "得分", "数", "经度"]
    assert df.loc[0, "代码"] == "010203040506"
    assert df.loc[0, "得分"] == "1.0"


def test_gbk_option_is_gb18030_with_a_warning_per_line_gbk_cannot_hold():
    rows = [
        ["421302101001", "普通村", Decimal("85"), 3, 113.0],
        ["421302101002", "㭎树村", Decimal("70.5"), 1, 113.0],
        ["421302101003", "又一个\n㭎村", Decimal("70.5"), 1, 113.0],
        ["421302101004", "末村", Decimal("70.5"), 1, 113.0],
    ]
    data, warnings = csv_bytes(COLUMNS, rows, encoding="gbk", name="villages_421302_2026-B3.csv")
    assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode("gb18030")
    assert "㭎树村" in text and "\r\n" in text
    # every GBK character is written with GBK's own bytes
    assert data.startswith("代码,名称,得分,数,经度\r\n421302101001,普通村,".encode("gbk"))
    assert [w.line for w in warnings] == [3, 4]  # the header is line 1; a quoted newline adds a line
    assert all(w.key == "gbk_unrepresentable" and "㭎" in w.message for w in warnings)
    assert str(warnings[0]).startswith("villages_421302_2026-B3.csv:3: ")
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back[2][1] == "㭎树村" and back[3][1] == "又一个\n㭎村"


def test_unknown_encoding_is_a_usage_error():
    with pytest.raises(UsageError, match="utf-8-sig"):
        csv_bytes(COLUMNS, [], encoding="latin-1")


def test_write_csv_reads_back_with_csv_and_pandas(tmp_path):
    path = tmp_path / "t.csv"
    rows = [["421302101001", "㭎村", Decimal("84.45"), 2, 113.25], ["421302101002", None, None, None, None]]
    assert write_csv(path, COLUMNS, rows) == []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        back = list(csv.reader(fh))
    assert back == [
        ["代码", "名称", "得分", "数", "经度"],
        ["421302101001", "㭎村", "84.5", "2", "113.250000"],
        ["421302101002", "", "", "", ""],
    ]
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert df["代码"].tolist() == ["421302101001", "421302101002"]
    assert df["名称"].tolist() == ["㭎村", ""]
    assert sorted(os.listdir(tmp_path)) == ["t.csv"]


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(csvio.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, b"new contents")
    assert sorted(os.listdir(tmp_path)) == ["out.csv"]
    assert path.read_bytes() == b"old"


def test_atomic_write_replaces_and_is_readable(tmp_path):
    path = tmp_path / "out.csv"
    atomic_write(path, b"one")
    atomic_write(path, b"two")
    assert path.read_bytes() == b"two"
    umask = os.umask(0o022)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask, "permissions follow the umask, like open()"
    assert sorted(os.listdir(tmp_path)) == ["out.csv"]
