"""Reading the tables offices keep in Excel or CSV (village lists, household registers) into rows.

:func:`read_table_file` (or :func:`read_table_bytes` for an upload) reads CSV (UTF-8, UTF-8 with
BOM, GBK/GB18030), XLSX or XLS into a :class:`Table`: its header, the line of its header, and the
non-blank rows as ``(line, cells)``. LINE is the 1-based line of a CSV file (header = line 1; a
quoted multi-line cell counts all its lines) or the sheet row of a workbook. The limits of
:mod:`core.limits` (bytes, rows, columns, cells) are checked before the expensive work, and a
file that breaks one is refused with a located :class:`~core.errors.DataError`. Validating the
rows is the caller's (the registry, the household register): headers are matched with
:func:`norm`, cells read with :func:`cell_text`.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import limits
from core.errors import DataError, Problem, problem

#: The suffixes read as tables.
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")
#: What is trimmed from a cell: BOM, spaces (also full-width and no-break), tabs, line ends.
STRIP = "\ufeff \t\r\n\u3000\u00a0"


def norm(header: object) -> str:
    """A header as matched: no BOM, spaces or brackets (full- or half-width), lower case."""
    text = "" if header is None else str(header)
    return re.sub(r"[\s\ufeff\u3000（）()]", "", text).lower()


def aliases(fields: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Normalised header -> field, from ``field -> accepted headers``."""
    return {norm(alias): field for field, names in fields.items() for alias in names}


def cell_text(value: Any) -> str:
    """A cell as trimmed text: blanks and NaN -> "", integral floats without ``.0``."""
    if type(value) is str:  # most cells (every CSV cell): first
        return value.strip(STRIP)
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
    return str(value).strip(STRIP)


@dataclass
class Table:
    """Raw rows before validation: headers, (line, cells) rows, the header's line, and for
    layers one (lon, lat) or Problem per row taken from the geometry."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    header_line: int | None
    points: list[tuple[float, float] | Problem] | None = None


#: Whether a header cell names the table's key column (the header row is the first naming it).
IsKey = Callable[[str], bool]


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else GB18030; ``file_encoding`` located otherwise."""
    offsets = []
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            offsets.append(exc.start)
    # Located where the encoding that read further failed: that is most likely the file's own.
    raise DataError([problem("file_encoding", name, limits.line_of(data, max(offsets)))])


def capped(rows: Iterable[tuple[int, Sequence[Any]]], name: str,
           trim: bool = False) -> list[tuple[int, list[Any]]]:
    """The non-empty rows of a table, refused as soon as one passes a limit of
    :mod:`core.limits` (rows, columns, cells), located at that row. ``trim``: trailing empty
    cells of a too-wide row do not count (CSV, where each costs a byte: ``a,b,,,``); a
    workbook row is as wide as its last stored cell, even an empty formatted one, and one
    such cell in column XFD would cost 16,384 cells a row: refused at once."""
    out: list[tuple[int, list[Any]]] = []
    cells = 0
    max_columns, max_rows, max_cells = limits.TABLE_COLUMNS, limits.TABLE_ROWS, limits.TABLE_CELLS
    for line, row in rows:
        if not row:
            continue
        width = len(row)
        if width > max_columns:
            if trim:
                row = list(row)
                while row and row[-1] == "":
                    row.pop()
                width = len(row)
            if width > max_columns:
                raise DataError([problem("too_many_columns", name, line, limit=max_columns)])
        if len(out) >= max_rows:
            raise DataError([problem("too_many_rows", name, line, limit=max_rows)])
        cells += width
        if cells > max_cells:
            raise DataError([problem("too_many_cells", name, line, limit=max_cells)])
        out.append((line, row if type(row) is list else list(row)))
    return out


def _blank(cells: list[Any]) -> bool:
    return not any((c.strip(STRIP) if type(c) is str else cell_text(c)) for c in cells)


def split_header(rows: list[tuple[int, list[Any]]], name: str, is_key: IsKey) -> Table:
    """The header is the first row naming the key column among the first ten non-blank rows
    (title rows above it are skipped), else the first non-blank row; data rows follow it."""
    rows = [(line, cells) for line, cells in rows if not _blank(cells)]
    start = next((n for n, (_, cells) in enumerate(rows[:10])
                  if any(is_key(cell_text(c)) for c in cells)), 0)
    if len(rows) < start + 2:
        raise DataError([problem("file_empty", name)])
    (header_line, headers), data = rows[start], rows[start + 1:]
    return Table([cell_text(h) for h in headers], data, header_line)


def read_csv(data: bytes, name: str, is_key: IsKey) -> Table:
    text = decode(data, name)
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        previous = 0
        for cells in reader:
            yield previous + 1, cells
            previous = reader.line_num

    try:
        rows = capped(numbered(), name, trim=True)
    except csv.Error as exc:
        raise DataError([problem("file_unreadable", name, reader.line_num or None, detail=str(exc))]) from exc
    return split_header(rows, name, is_key)


def read_xlsx(data: bytes, name: str, is_key: IsKey, is_code: IsKey = lambda _: False) -> Table:
    """The first sheet. A cell Excel holds as a float in a column ``is_code`` names (a 12-digit
    code) may have lost digits: it is kept visibly non-text (``4.29901001001E+11``)."""
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
        # as stored, each as wide as its last cell, and capped() refuses the first one too wide.
        sheet.reset_dimensions()
        rows = capped(enumerate(sheet.iter_rows(values_only=True), start=1), name)
    except DataError:
        raise
    except Exception as exc:  # damaged XML inside the workbook
        raise DataError([problem("file_unreadable", name, detail=str(exc)[:300] or type(exc).__name__)]) from exc
    finally:
        book.close()
    table = split_header(rows, name, is_key)
    for index in [i for i, h in enumerate(table.headers) if is_code(h)]:
        for _, cells in table.rows:
            if index < len(cells) and isinstance(cells[index], float):
                cells[index] = f"{cells[index]:.11E}"
    return table


def read_xls(data: bytes, name: str, is_key: IsKey) -> Table:
    import xlrd

    try:
        # ragged_rows: a row is as long as its own cells (not padded to the widest row)
        book = xlrd.open_workbook(file_contents=data, ragged_rows=True, on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception as exc:  # xlrd.XLRDError, struct/compdoc errors on damaged files
        raise DataError([problem("file_unreadable", name, detail=str(exc) or type(exc).__name__)]) from exc
    rows = capped(((r + 1, sheet.row_values(r)) for r in range(sheet.nrows)), name)
    return split_header(rows, name, is_key)


def read_table_bytes(data: bytes, name: str, suffix: str, is_key: IsKey,
                     is_code: IsKey = lambda _: False) -> Table:
    """A table from a file's ``data``: a workbook is recognised by its content whatever its
    suffix says (XLSX/ZIP or OLE2 .xls); else a CSV when ``suffix`` is ``.csv``/``.txt``."""
    limits.check_size(len(data), limits.TABLE_BYTES, name)
    if not data.strip():
        raise DataError([problem("file_empty", name)])
    if data[:4] == b"PK\x03\x04":  # a workbook, whatever its suffix says
        return read_xlsx(data, name, is_key, is_code)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: legacy .xls
        return read_xls(data, name, is_key)
    if suffix in (".csv", ".txt"):
        return read_csv(data, name, is_key)
    raise DataError([problem("file_unreadable", name, detail="not an Excel workbook")])


def read_table_file(path: str | os.PathLike, name: str, is_key: IsKey,
                    is_code: IsKey = lambda _: False) -> Table:
    """:func:`read_table_bytes` of a file, its size checked before it is read."""
    path = Path(path)
    if not path.is_file():
        raise DataError([problem("file_missing", name)])
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError([problem("file_format", name, suffix=suffix or path.name)])
    limits.file_size(path, limits.TABLE_BYTES, name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError([problem("file_unreadable", name, detail=exc.strerror or str(exc))]) from exc
    return read_table_bytes(data, name, suffix, is_key, is_code)  # its size again: it may have grown
