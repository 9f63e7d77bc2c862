"""Reading the village registry (interchange.md "Village registry").

:func:`read_villages` reads CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX, XLS, GeoJSON or a
zipped Shapefile, validates *every* row and either returns all rows or raises one
:class:`~core.errors.DataError` listing every problem as ``FILE:LINE: field: message``.
LINE is the 1-based line of a CSV file (header = line 1; a quoted multi-line cell counts all its
lines), the sheet row of a workbook, or the 1-based feature number of a layer.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from core import limits
from core.bulk import collector_paused
from core.constants import LAT_RANGE, LON_RANGE
from core.errors import DataError, Problem, problem
from core.model import county_of, township_of
from survey.tables import (
    STRIP,
    TABLE_SUFFIXES,
    Table,
    aliases,
    cell_text,
    norm,
    read_table_file,
)

#: field -> accepted headers (the first is the canonical Chinese header).
FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("区划代码", "行政区划代码", "统计用区划代码", "村代码", "code"),
    "name": ("村", "村名", "村名称", "村委会", "村委会名称", "name"),
    "township": ("乡镇", "乡镇（街道）", "乡镇名称", "township"),
    "county": ("县", "县（市、区）", "县区", "county"),
    "lon": ("经度", "lon", "lng", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "title": ("文明村称号", "称号", "文明村级别", "title"),
    "title_year": ("称号年份", "命名年份", "title_year"),
    "households": ("户数", "总户数", "households"),
    "demo": ("示范村", "demonstration"),
    # beyond interchange.md: the township's civilized-township title, one value per township
    "township_title": ("文明乡镇称号", "乡镇称号", "township_title"),
    "township_title_year": ("乡镇称号年份", "township_title_year"),
}
REQUIRED = ("code", "name", "township")
LAYER_SUFFIXES = (".geojson", ".json", ".zip")
TITLE_ALIASES = {"": "无", "无": "无", "县级": "县级", "市级": "市级", "省级": "省级", "全国": "全国", "国家级": "全国"}
YES = frozenset({"是", "1", "true", "yes", "y"})
NO = frozenset({"否", "0", "false", "no", "n"})
_CODE = re.compile(r"[0-9]{12}")
_YEAR = re.compile(r"[0-9]{4}")
_INT = re.compile(r"\+?[0-9]+")


@dataclass(frozen=True)
class VillageRow:
    """One validated row. ``None`` means the column is not in the file (the store keeps the
    value it has); a present but empty title cell is ``无``, an empty demo cell ``False``."""

    code: str
    name: str
    township: str
    county: str | None
    lon: float | None
    lat: float | None
    title: str | None
    title_year: int | None
    households: int | None
    demo: bool | None
    line: int
    township_title: str | None = None  # the township's title (None: no such column)
    township_title_year: int | None = None


_norm, _text, _Table = norm, cell_text, Table
_ALIASES = aliases(FIELDS)


def _is_code(header: str) -> bool:
    return _ALIASES.get(_norm(header)) == "code"


# --- readers -----------------------------------------------------------------------------------


def _read_layer(path: Path, name: str) -> _Table:
    import shapely

    from geo.io import read_layer

    gdf = read_layer(path, display_name=name)
    if gdf.empty:
        raise DataError([problem("file_empty", name)])
    geometry = gdf.geometry.name
    headers = [str(c) for c in gdf.columns if c != geometry]
    rows, points = [], []
    records = gdf[headers].to_dict("records") if headers else [{} for _ in range(len(gdf))]
    for number, (record, geom) in enumerate(zip(records, gdf.geometry), start=1):
        rows.append((number, [record[h] for h in headers]))
        if geom is None or geom.is_empty:
            points.append(problem("geometry", name, number, "geometry", value="empty"))
        elif geom.geom_type == "Point":
            points.append((round(geom.x, 7), round(geom.y, 7)))
        elif geom.geom_type in ("Polygon", "MultiPolygon"):
            try:
                point = geom.representative_point()
            except shapely.errors.GEOSException:
                points.append(problem("geometry", name, number, "geometry", value="invalid polygon"))
                continue
            points.append((round(point.x, 7), round(point.y, 7)))
        else:
            points.append(problem("geometry", name, number, "geometry", value=geom.geom_type))
    return _Table(headers, rows, None, points)


# --- validation --------------------------------------------------------------------------------


def _validate(table: _Table, name: str) -> list[VillageRow]:
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        field = _ALIASES.get(_norm(header))
        if field and field not in columns:
            columns[field] = index
    layer = table.points is not None
    for field in REQUIRED + (() if layer else ("lon", "lat")):
        if field not in columns:
            problems.append(
                problem("column_missing", name, table.header_line, FIELDS[field][0],
                        accepted="、".join(FIELDS[field]))
            )
    for header in table.headers:
        found = limits.text_problem(header, name, table.header_line, header[:20] + "…")
        if found:
            problems.append(found)
    if problems:
        raise DataError(problems)

    seen_codes: dict[str, int] = {}
    townships: dict[str, tuple[str, int]] = {}
    counties: dict[str, tuple[str, int]] = {}
    town_titles: dict[str, tuple[str, int]] = {}
    result: list[VillageRow] = []
    # Province scale: 25,000 rows of ten cells. Each row's cells are trimmed once into ``texts``
    # (field -> text, None when the column is absent): the helpers below only look them up.
    present = list(columns.items())  # an absent field: texts.get -> None
    field_chars = limits.FIELD_CHARS
    for row_index, (line, cells) in enumerate(table.rows):
        row_problems: list[Problem] = []
        try:  # every cell a text (a CSV): the longest, by C-level maps; a workbook's numbers: one by one
            too_long = max(map(len, cells), default=0) > field_chars
            trimmed = list(map(str.strip, cells, repeat(STRIP)))
        except TypeError:
            too_long = any(isinstance(c, str) and len(c) > field_chars for c in cells)
            trimmed = list(map(_text, cells))
        if too_long:
            for index, value in enumerate(cells):
                if isinstance(value, str) and len(value) > field_chars:
                    header = table.headers[index] if index < len(table.headers) else f"#{index + 1}"
                    row_problems.append(limits.text_problem(value, name, line, header))  # type: ignore[arg-type]
        width = len(cells)
        texts = {field: trimmed[index] if index < width else "" for field, index in present}

        def cell(field: str, texts: dict[str, str | None] = texts) -> str | None:
            """The trimmed text of ``field``, or None when the column is absent."""
            return texts.get(field)

        def bad(key: str, field: str, row_problems: list[Problem] = row_problems, line: int = line,
                **fields: Any) -> None:
            row_problems.append(problem(key, name, line, table.headers[columns[field]], **fields))

        def required(field: str, texts: dict[str, str | None] = texts) -> str:
            value = texts.get(field) or ""
            if not value:
                bad("field_required", field)
            return value

        code = required("code")
        valid_code = bool(_CODE.fullmatch(code))
        if code and not valid_code:
            bad("code_digits", "code", value=code)
        elif code in seen_codes:
            bad("code_duplicate", "code", value=code, first=seen_codes[code])
        elif code:
            seen_codes[code] = line
        village, township, county = required("name"), required("township"), cell("county") or None
        if valid_code:
            for prefix, value, known, key, field in (
                (township_of(code), township, townships, "township_conflict", "township"),
                (county_of(code), county, counties, "county_conflict", "county"),
            ):
                if not value:
                    continue
                first = known.setdefault(prefix, (value, line))
                if first[0] != value:
                    bad(key, field, prefix=prefix, first=first[0], first_line=first[1], value=value)

        lon = lat = None
        point = table.points[row_index] if layer else None
        if isinstance(point, tuple):
            lon, lat = point
            for value, low, high, key in ((lon, *LON_RANGE, "lon_range"), (lat, *LAT_RANGE, "lat_range")):
                if not low <= value <= high:
                    row_problems.append(problem(key, name, line, "geometry", value=f"{value:.6f}"))
        elif isinstance(point, Problem) and not ("lon" in columns and "lat" in columns):
            row_problems.append(point)
        else:  # a table, or a layer feature without geometry whose lon/lat columns are given
            coords = []
            for field, low, high, key in (("lon", *LON_RANGE, "lon_range"), ("lat", *LAT_RANGE, "lat_range")):
                text = required(field)
                number = None
                if text:
                    try:
                        number = float(text)
                    except ValueError:
                        bad("number", field, value=text)
                    else:
                        if not (math.isfinite(number) and low <= number <= high):
                            bad(key, field, value=text)
                            number = None
                coords.append(number)
            lon, lat = coords

        title = cell("title")
        if title is not None:
            if title in TITLE_ALIASES:
                title = TITLE_ALIASES[title]
            else:
                bad("title_unknown", "title", value=title)
        year_text = cell("title_year")
        title_year = None
        if year_text:
            if _YEAR.fullmatch(year_text):
                title_year = int(year_text)
            else:
                bad("year", "title_year", value=year_text)
        households_text = cell("households")
        households = None
        if households_text:
            if _INT.fullmatch(households_text):
                households = int(households_text)
            else:
                bad("households", "households", value=households_text)
        town_title = cell("township_title")
        if town_title is not None:
            if town_title in TITLE_ALIASES:
                town_title = TITLE_ALIASES[town_title]
                if valid_code:
                    first = town_titles.setdefault(township_of(code), (town_title, line))
                    if first[0] != town_title:
                        bad("township_title_conflict", "township_title", prefix=township_of(code), first=first[0],
                            first_line=first[1], value=town_title)
            else:
                bad("title_unknown", "township_title", value=town_title)
        town_year_text = cell("township_title_year")
        town_year = None
        if town_year_text:
            if _YEAR.fullmatch(town_year_text):
                town_year = int(town_year_text)
            else:
                bad("year", "township_title_year", value=town_year_text)
        demo_text = cell("demo")
        demo = None
        if demo_text is not None:
            flag = demo_text.lower()
            if flag in YES:
                demo = True
            elif flag in NO or flag == "":
                demo = False
            else:
                bad("yes_no", "demo", value=demo_text)

        problems.extend(row_problems)
        if not row_problems:
            result.append(
                VillageRow(code, village, township, county, lon, lat, title, title_year, households, demo, line,
                           town_title, town_year)
            )
    if problems:
        raise DataError(problems)
    return result


# --- entry points ------------------------------------------------------------------------------


def read_villages(path: str | os.PathLike, display_name: str | None = None) -> list[VillageRow]:
    """Read and validate a village registry file; ``display_name`` is printed as FILE in
    problems (default: the path as given). Raises DataError with every problem found. The
    limits of :mod:`core.limits` are checked before the file is parsed."""
    path = Path(path)
    name = display_name or str(path)
    if not path.is_file():
        raise DataError([problem("file_missing", name)])
    suffix = path.suffix.lower()
    if suffix in LAYER_SUFFIXES:
        return _validate(_read_layer(path, name), name)
    if suffix not in TABLE_SUFFIXES:
        raise DataError([problem("file_format", name, suffix=suffix or path.name)])
    with collector_paused():  # 25,000 rows of cells, then as many records: see core.bulk
        table = read_table_file(path, name, _is_code, _is_code)
        return _validate(table, name)


def read_table(path: Path, name: str, fields: dict[str, tuple[str, ...]],
               required: Sequence[str]) -> tuple[list[tuple[int, Any]], dict[str, str]]:
    """Read a table of another kind than the village list (a township list, veto records):
    CSV (UTF-8, BOM, GBK/GB18030), XLSX or XLS, with the same limits, header matching (spaces
    and brackets ignored) and line numbers as the village list. ``fields``: field -> accepted
    headers. Returns the data rows as (line, get) — ``get(field)`` the trimmed text of the
    cell, None when the file has no such column — and field -> the header to name in messages
    (the file's own, else the first accepted one). A required column missing, a header or a
    cell over the field limit: :class:`DataError`."""
    aliases = {_norm(alias): field for field, names in fields.items() for alias in names}

    def is_code(header: str) -> bool:
        return aliases.get(_norm(header)) == "code"

    table = read_table_file(path, name, is_code, is_code)
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        field = aliases.get(_norm(header))
        if field and field not in columns:
            columns[field] = index
    problems = [problem("table_column_missing", name, table.header_line, fields[f][0], accepted="、".join(fields[f]))
                for f in required if f not in columns]
    problems += [p for h in table.headers if (p := limits.text_problem(h, name, table.header_line, h[:20] + "…"))]
    for line, cells in table.rows:
        for index, value in enumerate(cells):
            if isinstance(value, str) and len(value) > limits.FIELD_CHARS:
                header = table.headers[index] if index < len(table.headers) else f"#{index + 1}"
                problems.append(limits.text_problem(value, name, line, header))  # type: ignore[arg-type]
    if problems:
        raise DataError(problems)
    shown = {f: (table.headers[columns[f]] if f in columns else names[0]) for f, names in fields.items()}

    def getter(cells: list[Any]):
        def get(field: str) -> str | None:
            if field not in columns:
                return None
            index = columns[field]
            return _text(cells[index]) if index < len(cells) else ""
        return get

    return [(line, getter(cells)) for line, cells in table.rows], shown


def read_villages_bytes(data: bytes, filename: str) -> list[VillageRow]:
    """:func:`read_villages` for an upload: ``data`` is the file's content, ``filename`` its
    name (its suffix picks the format; its base name is printed as FILE in problems). A name
    that is empty, ``.``, ``..`` or only a path is refused (``upload_name``); the file is
    written to a private folder under a fixed name, never under the uploaded one."""
    name = limits.upload_name(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in TABLE_SUFFIXES + LAYER_SUFFIXES:
        raise DataError([problem("file_format", name, suffix=suffix or name)])
    limits.check_size(len(data), max(limits.TABLE_BYTES, limits.LAYER_BYTES), name)
    with tempfile.TemporaryDirectory(prefix="xiangfeng-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        return read_villages(path, display_name=name)
