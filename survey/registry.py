"""Reading the village registry (interchange.md "Village registry").

:func:`read_villages` reads CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX, XLS, GeoJSON or a
zipped Shapefile, validates *every* row and either returns all rows or raises one
:class:`~core.errors.DataError` listing every problem as ``FILE:LINE: field: message``.
LINE is the 1-based line of a CSV file (header = line 1; a quoted multi-line cell counts all its
lines), the sheet row of a workbook, or the 1-based feature number of a layer.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import limits
from core.constants import LAT_RANGE, LON_RANGE
from core.errors import DataError, Problem, problem
from core.model import county_of, township_of

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
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")
LAYER_SUFFIXES = (".geojson", ".json", ".zip")
TITLE_ALIASES = {"": "无", "无": "无", "县级": "县级", "市级": "市级", "省级": "省级", "全国": "全国", "国家级": "全国"}
YES = frozenset({"是", "1", "true", "yes", "y"})
NO = frozenset({"否", "0", "false", "no", "n"})
_CODE = re.compile(r"[0-9]{12}")
_YEAR = re.compile(r"[0-9]{4}")
_INT = re.compile(r"\+?[0-9]+")
_STRIP = "\ufeff \t\r\n\u3000\u00a0"


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


def _norm(header: object) -> str:
    """A header as matched: no BOM, spaces or brackets (full- or half-width), lower case."""
    text = "" if header is None else str(header)
    return re.sub(r"[\s\ufeff\u3000（）()]", "", text).lower()


_ALIASES = {_norm(alias): field for field, aliases in FIELDS.items() for alias in aliases}


def _text(value: Any) -> str:
    """A cell as trimmed text: blanks and NaN -> "", integral floats without ``.0``."""
    if value is None:
        return ""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip(_STRIP)


@dataclass
class _Table:
    """Raw rows before validation: headers, (line, cells) rows, the header's line, and for
    layers one (lon, lat) or Problem per row taken from the geometry."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    header_line: int | None
    points: list[tuple[float, float] | Problem] | None = None


# --- readers -----------------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> str:
    offsets = []
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            offsets.append(exc.start)
    # Located where the encoding that read further failed: that is most likely the file's own.
    raise DataError([problem("file_encoding", name, limits.line_of(data, max(offsets)))])


def _capped(rows: Iterable[tuple[int, Sequence[Any]]], name: str,
            trim: bool = False) -> list[tuple[int, list[Any]]]:
    """The non-empty rows of a table, refused as soon as one passes a limit of
    :mod:`core.limits` (rows, columns, cells), located at that row. ``trim``: trailing empty
    cells of a too-wide row do not count (CSV, where each costs a byte: ``a,b,,,``); a
    workbook row is as wide as its last stored cell, even an empty formatted one, and one
    such cell in column XFD would cost 16,384 cells a row: refused at once."""
    out: list[tuple[int, list[Any]]] = []
    cells = 0
    for line, row in rows:
        if not row:
            continue
        if len(row) > limits.TABLE_COLUMNS:
            if trim:
                row = list(row)
                while row and row[-1] == "":
                    row.pop()
            if len(row) > limits.TABLE_COLUMNS:
                raise DataError([problem("too_many_columns", name, line, limit=limits.TABLE_COLUMNS)])
        if len(out) >= limits.TABLE_ROWS:
            raise DataError([problem("too_many_rows", name, line, limit=limits.TABLE_ROWS)])
        cells += len(row)
        if cells > limits.TABLE_CELLS:
            raise DataError([problem("too_many_cells", name, line, limit=limits.TABLE_CELLS)])
        out.append((line, list(row)))
    return out


def _blank(cells: list[Any]) -> bool:
    return all(_text(c) == "" for c in cells)


def _split_header(rows: list[tuple[int, list[Any]]], name: str,
                  aliases: dict[str, str] | None = None) -> _Table:
    """The header is the first row naming a code column among the first ten non-blank rows
    (title rows above it are skipped), else the first non-blank row; data rows follow it.
    ``aliases``: normalised header -> field of the file's kind (default: the village list's)."""
    aliases = _ALIASES if aliases is None else aliases
    rows = [(line, cells) for line, cells in rows if not _blank(cells)]
    start = next((n for n, (_, cells) in enumerate(rows[:10])
                  if any(aliases.get(_norm(_text(c))) == "code" for c in cells)), 0)
    if len(rows) < start + 2:
        raise DataError([problem("file_empty", name)])
    (header_line, headers), data = rows[start], rows[start + 1:]
    return _Table([_text(h) for h in headers], data, header_line)


def _read_csv(data: bytes, name: str, aliases: dict[str, str] | None = None) -> _Table:
    text = _decode(data, name)
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        previous = 0
        for cells in reader:
            yield previous + 1, cells
            previous = reader.line_num

    try:
        rows = _capped(numbered(), name, trim=True)
    except csv.Error as exc:
        raise DataError([problem("file_unreadable", name, reader.line_num or None, detail=str(exc))]) from exc
    return _split_header(rows, name, aliases)


def _read_xlsx(data: bytes, name: str, aliases: dict[str, str] | None = None) -> _Table:
    import openpyxl

    # Before openpyxl unpacks anything: a zip bomb or a zip of a million parts is refused here.
    limits.inspect_zip(data, name, max_unpacked=limits.XLSX_UNPACKED_BYTES)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException/... on bad files
        raise DataError([problem("file_unreadable", name, detail=str(exc) or type(exc).__name__)]) from exc
    try:
        sheet = book.worksheets[0]
        # Never trust the sheet's declared <dimension> (it may say A1:XFD1048576, and read-only
        # openpyxl would then pad every row to 16,384 cells and yield a million rows): rows come
        # as stored, each as wide as its last cell, and _capped refuses the first one too wide.
        sheet.reset_dimensions()
        rows = _capped(enumerate(sheet.iter_rows(values_only=True), start=1), name)
    except DataError:
        raise
    except Exception as exc:  # damaged XML inside the workbook
        raise DataError([problem("file_unreadable", name, detail=str(exc)[:300] or type(exc).__name__)]) from exc
    finally:
        book.close()
    table = _split_header(rows, name, aliases)
    # A code cell Excel holds as a float may have lost digits: keep it visibly non-text.
    code_index = next((i for i, h in enumerate(table.headers)
                       if (_ALIASES if aliases is None else aliases).get(_norm(h)) == "code"), None)
    if code_index is not None:
        for _, cells in table.rows:
            if code_index < len(cells) and isinstance(cells[code_index], float):
                cells[code_index] = f"{cells[code_index]:.11E}"
    return table


def _read_xls(data: bytes, name: str, aliases: dict[str, str] | None = None) -> _Table:
    import xlrd

    try:
        # ragged_rows: a row is as long as its own cells (not padded to the widest row)
        book = xlrd.open_workbook(file_contents=data, ragged_rows=True, on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception as exc:  # xlrd.XLRDError, struct/compdoc errors on damaged files
        raise DataError([problem("file_unreadable", name, detail=str(exc) or type(exc).__name__)]) from exc
    rows = _capped(((r + 1, sheet.row_values(r)) for r in range(sheet.nrows)), name)
    return _split_header(rows, name, aliases)


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
    for row_index, (line, cells) in enumerate(table.rows):
        row_problems: list[Problem] = []
        for index, value in enumerate(cells):
            if isinstance(value, str) and len(value) > limits.FIELD_CHARS:
                header = table.headers[index] if index < len(table.headers) else f"#{index + 1}"
                row_problems.append(limits.text_problem(value, name, line, header))  # type: ignore[arg-type]

        def cell(field: str, cells: list[Any] = cells) -> str | None:
            """The trimmed text of ``field``, or None when the column is absent."""
            if field not in columns:
                return None
            index = columns[field]
            return _text(cells[index]) if index < len(cells) else ""

        def bad(key: str, field: str, row_problems: list[Problem] = row_problems, line: int = line,
                **fields: Any) -> None:
            row_problems.append(problem(key, name, line, table.headers[columns[field]], **fields))

        def required(field: str) -> str:
            value = cell(field) or ""
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
    limits.file_size(path, limits.TABLE_BYTES, name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError([problem("file_unreadable", name, detail=exc.strerror or str(exc))]) from exc
    limits.check_size(len(data), limits.TABLE_BYTES, name)  # it may have grown since
    if not data.strip():
        raise DataError([problem("file_empty", name)])
    if data[:4] == b"PK\x03\x04":  # a workbook, whatever its suffix says
        table = _read_xlsx(data, name)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: legacy .xls
        table = _read_xls(data, name)
    elif suffix in (".csv", ".txt"):
        table = _read_csv(data, name)
    else:
        raise DataError([problem("file_unreadable", name, detail="not an Excel workbook")])
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
    if not path.is_file():
        raise DataError([problem("file_missing", name)])
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError([problem("file_format", name, suffix=suffix or path.name)])
    limits.file_size(path, limits.TABLE_BYTES, name)
    data = path.read_bytes()
    if not data.strip():
        raise DataError([problem("file_empty", name)])
    aliases = {_norm(alias): field for field, names in fields.items() for alias in names}
    if data[:4] == b"PK\x03\x04":
        table = _read_xlsx(data, name, aliases)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        table = _read_xls(data, name, aliases)
    elif suffix in (".csv", ".txt"):
        table = _read_csv(data, name, aliases)
    else:
        raise DataError([problem("file_unreadable", name, detail="not an Excel workbook")])
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
