"""Submissions back from ODK Collect and KoboCollect: the exports of the round's XLSForm
(:mod:`survey.xlsform`) as people download them, read into the same pipeline as every other
submission (validate → score → store, all or nothing).

What is read:

- **ODK Central**, "download all": a ZIP holding ``<form id>.csv`` and the photos in ``media/``;
  or that CSV alone. Headers are the question paths joined by ``-`` (``garbage-LJ01_item-LJ01``),
  or bare names when group names were removed; a geopoint is four columns ``…-Latitude``,
  ``-Longitude``, ``-Altitude``, ``-Accuracy``; the instance id is ``meta-instanceID`` (and
  ``KEY``); ``SubmitterName`` and ``FormVersion`` follow.
- **KoboToolbox**: CSV (``;`` or ``,``) or XLSX, headers joined by ``/`` (or bare); a geopoint is
  the full value plus ``_location_latitude`` … ``_location_precision``; ``_uuid`` is the
  instance id without ``uuid:``; ``_submitted_by`` the account.

Columns are matched to the form's fields by name whatever the group prefix. The hidden fields
``xf_round`` and ``xf_version`` say which round and form version each row is of; a row of
another form or version is refused, naming the version the round expects. Grades follow from
the criteria answered (:func:`survey.scoring.grade_from_criteria`). The instance id
(``uuid:…``) is the submission id, so importing the same export again adds nothing. Photos in a
ZIP are attached to their items, prepared as on the tablet (upright, downscaled, watermarked,
SHA-256 of the original). Every problem is reported at once as ``FILE:LINE: column: message``;
when there is any, nothing is written.

Every reader has limits (:class:`Limits`), checked before the expensive work; the ZIP checks
(member paths first, then counts, sizes and compression ratios) are one function,
:func:`check_zip`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from core.constants import LAT_RANGE, LON_RANGE
from core.errors import DataError, Problem, UsageError, problem
from survey import store
from survey import xlsform as xf
from survey.auth import User
from survey.rubric import Item, Rubric

#: Characters that join a group path to a field name in export headers (Central ``-``,
#: Kobo ``/``, or the separator an office chose for Kobo).
SEPARATORS = "-/.:"


@dataclass(frozen=True)
class Limits:
    """What an import accepts at most."""

    file_bytes: int = 512 * 2**20  # the uploaded file
    table_bytes: int = 64 * 2**20  # the CSV/XLSX (inside a ZIP: uncompressed)
    rows: int = 20_000
    columns: int = 2_000
    cell_chars: int = 10_000
    note_chars: int = 2_000
    members: int = 50_000  # entries of a ZIP
    unpacked_bytes: int = 4 * 2**30  # all entries of a ZIP, uncompressed
    ratio: int = 200  # uncompressed ÷ compressed size of one ZIP entry (a zip bomb is larger)
    photo_bytes: int = 40 * 2**20  # one photo file


LIMITS = Limits()


# --- guards ------------------------------------------------------------------------------------


def _limit(file: str, what: str, what_en: str, limit: int, value: int, line: int | None = None,
           column: str | None = None) -> Problem:
    return problem("limit_exceeded", file, line, column, what=what, what_en=what_en, limit=limit, value=value)


def unsafe_member(name: str) -> bool:
    """True when a ZIP member path would leave the folder it is unpacked into: an absolute path,
    a drive letter, a ``..`` part (backslashes count as separators)."""
    path = name.replace("\\", "/")
    return (path.startswith("/") or re.match(r"^[A-Za-z]:", path) is not None
            or ".." in PurePosixPath(path).parts or "\x00" in path)


def check_zip(zf: zipfile.ZipFile, name: str, limits: Limits = LIMITS) -> list[Problem]:
    """Every reason not to read ``zf`` further: paths escaping the folder (checked first, before
    anything is read), too many members, too large unpacked, a member compressed suspiciously
    well (a zip bomb). Only the central directory is looked at."""
    infos = zf.infolist()
    problems = [problem("odk_zip_path", name, None, None, value=i.filename)
                for i in infos if unsafe_member(i.filename)]
    if problems:
        return problems
    if len(infos) > limits.members:
        return [_limit(name, "压缩包文件数", "the number of ZIP entries", limits.members, len(infos))]
    total = sum(i.file_size for i in infos)
    if total > limits.unpacked_bytes:
        problems.append(_limit(name, "解压后大小（字节）", "the unpacked size (bytes)", limits.unpacked_bytes, total))
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > limits.ratio * max(i.compress_size, 1):
            problems.append(_limit(name, f"“{i.filename}”的压缩比", f"the compression ratio of {i.filename!r}",
                                   limits.ratio, i.file_size // max(i.compress_size, 1)))
    return problems


# --- reading the table -------------------------------------------------------------------------


@dataclass
class Table:
    """A table as read: header cells and (line, cells) rows, every cell text."""

    name: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    header_line: int = 1


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text an export means (12-digit codes stay digits)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _check_cells(table: Table, limits: Limits) -> list[Problem]:
    problems: list[Problem] = []
    if len(table.headers) > limits.columns:
        return [_limit(table.name, "列数", "the number of columns", limits.columns, len(table.headers),
                       table.header_line)]
    if len(table.rows) > limits.rows:
        return [_limit(table.name, "数据行数", "the number of rows", limits.rows, len(table.rows))]
    for line, cells in table.rows:
        for n, text in enumerate(cells):
            if len(text) > limits.cell_chars:
                column = table.headers[n] if n < len(table.headers) else f"#{n + 1}"
                problems.append(_limit(table.name, "单元格字数", "a cell's length", limits.cell_chars,
                                       len(text), line, column))
    return problems


def read_csv(data: bytes, name: str, limits: Limits = LIMITS) -> Table:
    """A CSV export: UTF-8 (with or without BOM), ``,`` or ``;`` (the one the header uses)."""
    if len(data) > limits.table_bytes:
        raise DataError([_limit(name, "数据表大小（字节）", "the table size (bytes)", limits.table_bytes, len(data))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DataError([problem("odk_encoding", name, line)]) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    previous = 0
    try:
        for cells in reader:
            rows.append((previous + 1, [c.strip() for c in cells]))
            previous = reader.line_num
            if len(rows) > limits.rows + 1:
                break
    except csv.Error as exc:
        raise DataError([problem("file_unreadable", name, reader.line_num or None, detail=str(exc))]) from None
    return _split(rows, name)


def read_xlsx(data: bytes, name: str, limits: Limits = LIMITS) -> Table:
    """A Kobo XLSX export: the first sheet, headers in its first non-blank row."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            problems = check_zip(zf, name, limits)
            size = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise DataError([problem("file_unreadable", name, detail=str(exc))]) from None
    if size > limits.table_bytes * 4:  # XML is bulkier than CSV
        problems.append(_limit(name, "数据表大小（字节）", "the table size (bytes)", limits.table_bytes * 4, size))
    if problems:
        raise DataError(problems)
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise DataError([problem("file_unreadable", name, detail=str(exc) or type(exc).__name__)]) from None
    try:
        rows = []
        for number, cells in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            rows.append((number, [_cell(c) for c in cells]))
            if len(rows) > limits.rows + 1:
                break
    finally:
        book.close()
    return _split(rows, name)


def _split(rows: list[tuple[int, list[str]]], name: str) -> Table:
    rows = [(line, cells) for line, cells in rows if any(cells)]
    if not rows:
        raise DataError([problem("file_empty", name)])
    (header_line, headers), data = rows[0], rows[1:]
    if not data:
        raise DataError([problem("file_empty", name)])
    return Table(name, [h.lstrip("\ufeff").strip() for h in headers], data, header_line)


# --- reading the export ------------------------------------------------------------------------


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, line: int | None = None,
                column: str | None = None) -> bytes:
    """The bytes of one ZIP entry (already checked by :func:`check_zip`); a damaged or
    encrypted entry is a located problem."""
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, zlib.error) as exc:
        raise DataError([problem("file_unreadable", name, line, column,
                                 detail=f"{info.filename}: {exc}")]) from None


@dataclass
class Export:
    """An export as read: its table, and for a ZIP the archive and its files by base name."""

    table: Table
    archive: zipfile.ZipFile | None = None
    media: dict[str, zipfile.ZipInfo] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """``kobo`` when the headers are KoboToolbox's, else ``odk`` (Central)."""
        kobo = {"_uuid", "_submission_time", "_submitted_by", "__version__", "_id"}
        return "kobo" if kobo & set(self.table.headers) else "odk"

    def form_name(self) -> str:
        """The form the export is of, as far as the file tells (for messages)."""
        return Path(self.table.name.split("!")[-1]).stem


def read_export(data: bytes, filename: str, limits: Limits = LIMITS) -> Export:
    """Read an export given as bytes (its name tells the kind: ``.zip``, ``.csv``, ``.xlsx``; a
    ZIP or workbook under another name is known by its content)."""
    name = filename
    if len(data) > limits.file_bytes:
        raise DataError([_limit(name, "文件大小（字节）", "the file size (bytes)", limits.file_bytes, len(data))])
    suffix = Path(filename).suffix.lower()
    if data[:4] == b"PK\x03\x04" and suffix not in (".zip", ".xlsx", ".xlsm"):  # renamed: go by content
        try:
            inside = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            inside = []
        suffix = ".xlsx" if "[Content_Types].xml" in inside else ".zip"
    if suffix == ".csv":
        return Export(read_csv(data, name, limits))
    if suffix in (".xlsx", ".xlsm"):
        return Export(read_xlsx(data, name, limits))
    if suffix != ".zip":
        raise DataError([problem("odk_format", name, value=Path(filename).name)])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DataError([problem("file_unreadable", name, detail=str(exc))]) from None
    problems = check_zip(archive, name, limits)
    if problems:
        raise DataError(problems)
    files = [i for i in archive.infolist() if not i.is_dir()]
    tables = [i for i in files if "/" not in i.filename.strip("/")
              and i.filename.lower().endswith((".csv", ".xlsx"))]
    if len(tables) != 1:
        raise DataError([problem("odk_zip_tables", name, n=len(tables))])
    info = tables[0]
    if info.file_size > limits.table_bytes:
        raise DataError([_limit(name, "数据表大小（字节）", "the table size (bytes)", limits.table_bytes,
                                info.file_size)])
    inner = f"{name}!{info.filename}"
    raw = read_member(archive, info, name)
    table = read_csv(raw, inner, limits) if info.filename.lower().endswith(".csv") else read_xlsx(raw, inner, limits)
    media: dict[str, zipfile.ZipInfo] = {}
    for i in sorted(files, key=lambda i: not i.filename.startswith("media/")):  # media/ first
        if i is not info:
            media.setdefault(PurePosixPath(i.filename).name, i)
    return Export(table, archive, media)


# --- columns -----------------------------------------------------------------------------------


class Columns:
    """Header lookup by field name, whatever the group prefix (``a-b-name``, ``a/b/name``)."""

    def __init__(self, headers: Sequence[str]):
        self.headers = list(headers)
        self._cache: dict[str, int | None] = {}

    def index(self, name: str) -> int | None:
        if name not in self._cache:
            found = None
            for n, header in enumerate(self.headers):
                if header == name or (header.endswith(name) and len(header) > len(name)
                                      and header[-len(name) - 1] in SEPARATORS):
                    found = n
                    break
            self._cache[name] = found
        return self._cache[name]

    def header(self, name: str) -> str:
        n = self.index(name)
        return self.headers[n] if n is not None else name

    def get(self, cells: Sequence[str], *names: str) -> str:
        """The first non-empty cell of the columns ``names`` (empty when none)."""
        for name in names:
            n = self.index(name)
            if n is not None and n < len(cells) and cells[n]:
                return cells[n]
        return ""


# --- rows -> submissions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One export row, validated: the interchange submission object, and its photos."""

    line: int
    obj: dict[str, Any]
    photos: tuple[tuple[str, str, str], ...]  # (item code, file name, column)
    taken: str  # when, for the watermark: "YYYY-MM-DD HH:MM" (or the date)


def _required_columns(rubric: Rubric) -> list[str]:
    names = [xf.VILLAGE, xf.VETO_ANY, xf.VETO]
    for item in rubric.items:
        if item.type == "grade":
            names += [xf.criterion_field(item.code, n) for n in range(1, len(item.criteria) + 1)]
        else:
            names.append(item.code)
    return names


_YES_NO = f"{xf.YES}/{xf.NO}"


def _yes_no(value: str) -> bool | None:
    return {xf.YES: True, xf.NO: False}.get(value)


def _shanghai(text: str) -> str | None:
    """An ISO date-time (Collect's ``start``/``end``) as ``YYYY-MM-DD HH:MM`` in Asia/Shanghai."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class Fields(Protocol):
    """The fields of one filled form, by name whatever the group path: an export's row
    (:class:`RowFields`) or a submitted instance document (:mod:`survey.openrosa`)."""

    def get(self, *names: str) -> str:
        """The first non-empty value of the fields ``names`` (empty when none)."""

    def header(self, name: str) -> str:
        """Where the field ``name`` is, for messages: the column or element path."""

    def has(self, name: str) -> bool:
        """Whether the form has a field ``name`` (empty or not)."""


@dataclass(frozen=True)
class RowFields:
    """The cells of one export row as :class:`Fields`."""

    cols: Columns
    cells: Sequence[str]

    def get(self, *names: str) -> str:
        return self.cols.get(self.cells, *names)

    def header(self, name: str) -> str:
        return self.cols.header(name)

    def has(self, name: str) -> bool:
        return self.cols.index(name) is not None


class RowReader:
    """Turns filled forms (:class:`Fields`: an export's rows, Collect's instance documents) into
    interchange objects, collecting every problem located: one mapping for every way a form
    comes back."""

    def __init__(self, name: str, limits: Limits = LIMITS):
        self.name, self.limits = name, limits
        self.rubric: Rubric = None  # type: ignore[assignment]  # set per row
        self.problems: list[Problem] = []

    def bad(self, key: str, line: int | None, column: str | None, **fields: Any) -> None:
        self.problems.append(problem(key, self.name, line, column, **fields))

    def row(self, rubric: Rubric, line: int | None, f: Fields) -> Row | None:
        """The interchange object of one filled form, or None (its problems recorded)."""
        self.rubric = rubric
        before = len(self.problems)
        get = f.get
        sid = get("instanceID", "KEY")
        if not sid and get("_uuid"):
            sid = "uuid:" + get("_uuid")
        if not sid:
            self.bad("odk_id", line, f.header("instanceID"))
        date = (get(xf.TODAY) or get(xf.START, xf.END, "SubmissionDate", "_submission_time"))[:10]
        surveyor = get(xf.USERNAME, "SubmitterName", "_submitted_by")
        if not surveyor:
            self.bad("odk_surveyor", line, f.header(xf.USERNAME))
        lat, lon, accuracy = self._location(line, f)
        answers: dict[str, Any] = {}
        notes: dict[str, str] = {}
        photos: list[tuple[str, str, str]] = []
        self.unmet: dict[str, list[int]] = {}  # grade item -> its criteria not met (1-based)
        for item in self.rubric.items:
            value = self._answer(item, line, f)
            if value is not None:
                answers[item.code] = value
            note = get(xf.note_field(item.code))
            if len(note) > self.limits.note_chars:
                self.problems.append(_limit(self.name, "问题说明字数", "a note's length",
                                            self.limits.note_chars, len(note), line,
                                            f.header(xf.note_field(item.code))))
            elif note:
                notes[item.code] = note
            photo = get(xf.photo_field(item.code))
            if photo:
                photos.append((item.code, photo, f.header(xf.photo_field(item.code))))
        veto = self._veto(line, f)
        if len(self.problems) > before:
            return None
        obj = {"id": sid, "village": get(xf.VILLAGE), "round": get(xf.ROUND_FIELD), "date": date,
               "surveyor": surveyor, "lon": lon, "lat": lat, "gps_accuracy_m": accuracy,
               "answers": answers, "veto": veto, "notes": notes}
        if self.unmet:
            obj["unmet"] = self.unmet
        taken = _shanghai(get(xf.END, xf.START)) or date
        return Row(line, obj, tuple(photos), taken)

    def _location(self, line: int | None, f: Fields) -> tuple[float | None, float | None, float | None]:
        get = f.get
        loc = xf.LOCATION
        parts = [get(f"{loc}-Latitude", f"_{loc}_latitude"), get(f"{loc}-Longitude", f"_{loc}_longitude"),
                 get(f"{loc}-Altitude", f"_{loc}_altitude"), get(f"{loc}-Accuracy", f"_{loc}_precision")]
        column = f.header(f"{loc}-Latitude") if f.has(f"{loc}-Latitude") else f.header(loc)
        if not any(parts):
            whole = get(loc)
            if not whole:
                return None, None, None
            parts = [*whole.split(), "", "", "", ""][:4]
        lat, lon, accuracy = _number(parts[0]), _number(parts[1]), _number(parts[3]) if parts[3] else None
        if lat is None or lon is None or (parts[3] and accuracy is None):
            self.bad("odk_geopoint", line, column, value=" ".join(p for p in parts if p))
            return None, None, None
        if not LON_RANGE[0] <= lon <= LON_RANGE[1]:
            self.bad("lon_range", line, column, value=lon)
        if not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
            self.bad("lat_range", line, column, value=lat)
        if accuracy is not None and accuracy < 0:
            self.bad("gps_accuracy_range", line, column, value=accuracy)
        return lat, lon, accuracy

    def _answer(self, item: Item, line: int | None, f: Fields) -> Any:
        from survey.scoring import grade_from_criteria

        c, get = f, f.get
        if item.type == "check":
            text = get(item.code)
            if not text:
                self.bad("item_unanswered", line, c.header(item.code), value=item.code)
            elif _yes_no(text) is None:
                self.bad("odk_choice", line, c.header(item.code), expected=_YES_NO, value=text)
            return _yes_no(text)
        if item.type == "count":
            text = get(item.code)
            if not text:
                self.bad("item_unanswered", line, c.header(item.code), value=item.code)
                return None
            number = _number(text)
            if number is None or not number.is_integer() or number < 0:
                self.bad("answer_count", line, c.header(item.code), item=item.code, value=text)
                return None
            return int(number)
        met: list[bool] = []
        for n in range(1, len(item.criteria) + 1):
            name = xf.criterion_field(item.code, n)
            text = get(name)
            if not text:
                self.bad("item_unanswered", line, c.header(name), value=name)
            elif _yes_no(text) is None:
                self.bad("odk_choice", line, c.header(name), expected=_YES_NO, value=text)
            else:
                met.append(text == xf.YES)
        stated = get(item.code)
        if stated and stated not in item.grade_names:
            self.bad("answer_grade", line, c.header(item.code), item=item.code,
                     grades="/".join(item.grade_names), value=stated)
            return None
        if len(met) != len(item.criteria):
            return None
        grade = grade_from_criteria(item, met)
        self.unmet[item.code] = [n for n, m in enumerate(met, start=1) if not m]
        if stated and stated != grade:
            self.bad("odk_grade", line, c.header(item.code), value=stated, n=len(met), met=sum(met),
                     expected=grade)
            return None
        return grade

    def _veto(self, line: int | None, f: Fields) -> list[str]:
        c, get = f, f.get
        answer = get(xf.VETO_ANY)
        if not answer:
            self.bad("sub_field_missing", line, c.header(xf.VETO_ANY))
            return []
        if _yes_no(answer) is None:
            self.bad("odk_choice", line, c.header(xf.VETO_ANY), expected=_YES_NO, value=answer)
            return []
        if answer == xf.NO:
            return []
        codes = get(xf.VETO).split()
        known = {v.code for v in self.rubric.veto}
        for code in codes:
            if code not in known:
                self.bad("veto_unknown", line, c.header(xf.VETO), value=code)
        if not codes:
            self.bad("odk_veto_missing", line, c.header(xf.VETO))
        return [code for code in codes if code in known]


# --- the use case ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OdkImport:
    """What an import did: submissions added, already stored (skipped), photos stored, the
    source (``odk`` or ``kobo``) and the warnings (returned, never printed)."""

    added: int
    skipped: int
    photos: int
    source: str
    warnings: tuple[Problem, ...] = ()


def _rubrics(cols: Columns, table: Table, db_path: str | Path,
             export: Export) -> tuple[dict[str, Rubric], list[Problem]]:
    """The rubric of each round the rows name; a problem per unknown round and per distinct
    wrong version (at its first line, with the number of its rows)."""
    from core.errors import NotFound
    from survey.service import rubric_for_round

    for column in (xf.ROUND_FIELD, xf.VERSION_FIELD):
        if cols.index(column) is None:
            return {}, [problem("odk_other_form", table.name, table.header_line, column,
                                value=export.form_name())]
    rubrics: dict[str, Rubric | None] = {}
    wrong: dict[tuple[str, str], list[int]] = {}
    problems: list[Problem] = []
    for line, cells in table.rows:
        round_id, version = cols.get(cells, xf.ROUND_FIELD), cols.get(cells, xf.VERSION_FIELD)
        if round_id not in rubrics:
            try:
                rubrics[round_id] = rubric_for_round(db_path, round_id)
            except NotFound:
                rubrics[round_id] = None
                problems.append(problem("round_unknown", table.name, line, cols.header(xf.ROUND_FIELD),
                                        value=round_id, known=_known_rounds(db_path)))
        rubric = rubrics[round_id]
        if rubric is not None and version != xf.form_version(round_id, rubric):
            wrong.setdefault((round_id, version), []).append(line)
    for (round_id, version), lines in wrong.items():
        problems.append(problem("odk_version", table.name, lines[0], cols.header(xf.VERSION_FIELD),
                                value=version, n=len(lines), round=round_id,
                                expected=xf.form_version(round_id, rubrics[round_id])))  # type: ignore[arg-type]
    return {r: x for r, x in rubrics.items() if x is not None}, problems


def _known_rounds(db_path: str | Path) -> str:

    return "、".join(r.id for r in store.rounds(db_path)) or "（无 none）"


def import_export(db_path: str | Path, user: User, data: bytes, filename: str,
                  limits: Limits = LIMITS) -> OdkImport:
    """Import an ODK Central or KoboToolbox export given as bytes, all or nothing, as ``user``
    (a reviewer or admin: villages outside their scope are unknown to them; the command line
    is :func:`survey.auth.operator`). :class:`DataError` lists every problem."""
    from survey.audit import note_rubric
    from survey.scoring import score
    from survey.service import pinned
    from survey.submissions import parse_submission

    if not user.reviews:
        raise UsageError("forbidden")
    export = read_export(data, filename, limits)
    table = export.table
    problems = _check_cells(table, limits)
    if problems:
        raise DataError(problems)
    cols = Columns(table.headers)
    rubrics, problems = _rubrics(cols, table, db_path, export)
    if problems:
        raise DataError(problems)
    missing = list(dict.fromkeys(n for r in rubrics.values() for n in _required_columns(r)
                                 if cols.index(n) is None))
    if missing:
        raise DataError([problem("odk_column_missing", table.name, table.header_line, m) for m in missing])
    villages = {v.code: v for v in _in_scope(db_path, user)}
    reader = RowReader(table.name, limits)
    subs: list[tuple[Any, Row]] = []
    first: dict[str, int] = {}
    for line, cells in table.rows:
        rubric = rubrics[cols.get(cells, xf.ROUND_FIELD)]
        row = reader.row(rubric, line, RowFields(cols, cells))
        if row is None:
            continue
        sid = row.obj["id"]
        if sid in first:
            reader.bad("sub_id_duplicate", line, cols.header("instanceID"), value=sid, first=first[sid])
            continue
        first[sid] = line
        sub, found = parse_submission(row.obj, rubric, villages, table.name, line)
        reader.problems.extend(_relocate(found, cols))
        if sub is not None:
            subs.append((sub, row))
    new = {sub.id for sub, _ in subs} - store.stored_ids(db_path, [sub.id for sub, _ in subs])
    prepared, named = _photos(export, reader, [(s, r) for s, r in subs if s.id in new], villages, limits)
    if reader.problems:
        raise DataError(reader.problems)
    warnings = []
    if export.archive is None and named:
        warnings.append(problem("odk_no_media", table.name, None, None, n=named))
    actor = user.name
    for rubric in {id(r): r for r in rubrics.values()}.values():
        note_rubric(db_path, rubric, actor)
    # the veto a surveyor ticks is a report (suspected until the office confirms it): it does not
    # count; the office's records in force are applied by the store
    scored = [(sub, score(rubrics[sub.round], sub.answers, (), sub.unmet)) for sub, _ in subs]
    added, skipped = store.save_submissions(db_path, scored, located={sub.id: (table.name, row.line)
                                                                      for sub, row in subs},
                                            actor=actor, origin=export.source, photos=prepared,
                                            versions={r: pinned(rubrics[r]) for r in {sub.round for sub, _ in subs}})
    return OdkImport(added, skipped, sum(len(p) for p in prepared.values()), export.source,
                     tuple(warnings))


def _photos(export: Export, reader: RowReader, subs: list[tuple[Any, Row]], villages: dict[str, Any],
            limits: Limits) -> tuple[dict[str, list[Any]], int]:
    """The photos of new submissions, prepared as on the tablet (from a ZIP's files), and how
    many photos the rows name. Problems (a file missing, too large, not a picture) go to
    ``reader``."""
    from survey import photos as kit
    from survey.store import NewPhoto

    prepared: dict[str, list[Any]] = {}
    named = 0
    name = reader.name
    for sub, row in subs:
        for code, filename, column in row.photos:
            named += 1
            if export.archive is None:
                continue
            info = export.media.get(PurePosixPath(filename.replace("\\", "/")).name)
            if info is None:
                reader.bad("odk_media_missing", row.line, column, value=filename)
                continue
            if info.file_size > limits.photo_bytes:
                reader.problems.append(_limit(name, "照片大小（字节）", "a photo's size (bytes)",
                                              limits.photo_bytes, info.file_size, row.line, column))
                continue
            village = villages[sub.village]
            try:
                photo = kit.prepare(read_member(export.archive, info, name, row.line, column), kit.stamp_lines(
                    village.name, village.code, row.taken, sub.surveyor), filename=filename)
            except DataError as exc:
                reader.problems.extend(_at(p, name, row.line, column) for p in exc.problems)
                continue
            prepared.setdefault(sub.id, []).append(
                NewPhoto(code, photo.sha256, photo.jpeg, photo.width, photo.height))
    return prepared, named


def _at(p: Problem, file: str, line: int, column: str) -> Problem:
    """``p`` located at ``file``/``line``/``column`` (a photo's problem, found in the ZIP)."""
    return Problem(file=file, line=line, field=column, key=p.key, message=p.message)


def _relocate(found: list[Problem], cols: Columns) -> list[Problem]:
    """Problems of :func:`parse_submission` with the export's column names as fields."""
    names = {"id": "instanceID", "village": xf.VILLAGE, "round": xf.ROUND_FIELD, "date": xf.TODAY,
             "surveyor": xf.USERNAME}
    out = []
    for p in found:
        field_ = p.field or ""
        column = names.get(field_) or (field_.split(".", 1)[1] if field_.startswith("answers.") else None)
        out.append(Problem(p.file, p.line, cols.header(column) if column else p.field, p.key, p.message))
    return out


def _in_scope(db_path: str | Path, user: User) -> list:
    from survey.auth import villages_in

    return villages_in(db_path, user.scope)


def import_file(db_path: str | Path, user: User, path: str | Path, limits: Limits = LIMITS) -> OdkImport:
    """Import an export file (its size is checked before it is read)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError([problem("file_missing", str(path))]) from None
    if size > limits.file_bytes:
        raise DataError([_limit(str(path), "文件大小（字节）", "the file size (bytes)", limits.file_bytes, size)])
    return import_export(db_path, user, path.read_bytes(), str(path), limits)
