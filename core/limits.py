"""Limits on what a file may make the program do, and small guards that enforce them.

Every reader checks its input against these limits *before* the expensive work (decompressing,
decoding, parsing into objects, handing the file to GDAL, openpyxl or PIL), so a small hostile
file (a zip bomb, a sheet that declares a million rows, a 12,500 × 12,500 PNG of 19 KB, a
"billion laughs" YAML, a JSON line 100,000 levels deep) is refused with a located message
instead of eating the server's memory. Each limit is far above what real county data needs
(the justification is beside it) and far below what hurts a 2-GB server.

Readers look the limits up at call time (``limits.TABLE_ROWS``), so a test may lower one.
This module imports nothing of ``geo``/``survey``: households, ODK exports and OpenRosa uploads
use the same guards.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import zipfile
from pathlib import PurePosixPath
from typing import IO, Any

from core.errors import DataError, Problem, problem

MiB = 1024 * 1024

# --- file sizes ----------------------------------------------------------------------------------

#: A table (CSV, XLSX, XLS village list; later households). The registry of a whole province
#: (25,000 villages) is ~2.5 MB as CSV; a county's 300,000 households ~20 MB. Streamlit's own
#: upload limit is 50 MB (.streamlit/config.toml).
TABLE_BYTES = 64 * MiB
#: A vector layer (a GeoJSON file, or the unpacked parts of a zipped Shapefile). A province's
#: villages as points are ~8 MB of GeoJSON; its roads ~5 MB. GDAL holds a GeoJSON in memory
#: several times over, so this bounds the reader's memory too.
LAYER_BYTES = 64 * MiB
#: A JSON Lines file of submissions. A province's round (25,000 villages) is ~40 MB.
JSONL_BYTES = 256 * MiB
#: One rubric YAML file. The real ones are 1.5–5 KB.
RUBRIC_BYTES = 1 * MiB
#: One photo upload. A 50-MP phone JPEG is 15–25 MB, a 48-MP HEIF 5–10 MB; Streamlit refuses
#: uploads above 50 MB anyway.
PHOTO_BYTES = 50 * MiB

# --- tables --------------------------------------------------------------------------------------

#: Rows of a table (blank rows included in the count only where they hold a value). The most
#: villages of any province is ~70,000; the most households of a county ~300,000.
TABLE_ROWS = 500_000
#: Columns of a table. A registry has 10 fields; 256 is the whole width of an .xls sheet.
TABLE_COLUMNS = 256
#: Cells of a table (rows × the columns actually used): 300,000 households × 6 fields = 1.8 M.
#: Each cell becomes a Python object (~60–100 bytes): 5 M cells is ~500 MB at worst.
TABLE_CELLS = 5_000_000
#: Characters of one text field of a row or a submission (a name, a code, an id, a header):
#: the longest village-committee or township names are under 30 characters.
FIELD_CHARS = 200
#: Characters of one note or remark (a submission's ``notes``): "村口两处" is typical; 4,000
#: characters are two printed pages of Chinese.
NOTE_CHARS = 4_000

# --- layers --------------------------------------------------------------------------------------

#: Features of a vector layer: a province's villages (≤ 70,000) or roads (hundreds).
LAYER_FEATURES = 200_000
#: Coordinates (vertices) of a whole layer: 200 roads of 5,000 vertices are 1 M; 25,000 village
#: polygons of 150 vertices 3.75 M. Buffers and belt queries are linear in them.
LAYER_VERTICES = 5_000_000

# --- zip containers (XLSX, zipped Shapefile; later ODK exports with media) -----------------------

#: Members of a zip. An XLSX holds 10–30 parts, a zipped Shapefile 4–8.
ZIP_MEMBERS = 1_000
#: Total unpacked bytes, from the zip's directory (Python's zipfile never yields more than a
#: member declares). The sheet XML of 25,000 villages is ~10 MB; 5 M cells ~200 MB.
ZIP_UNPACKED_BYTES = 256 * MiB
#: Total unpacked bytes of an XLSX workbook. openpyxl holds every shared string as a Python
#: object (~3.5 × its XML), so this is tighter: 5 M cells of sheet XML are ~125 MB.
XLSX_UNPACKED_BYTES = 128 * MiB
#: Unpacked / packed size of one member. XML, CSV and DBF compress 5–50 ×; deflate's ceiling is
#: ~1,030 × (zeros). Above 200 × a member is a bomb, not data.
ZIP_RATIO = 200
#: The ratio is only judged for members that unpack to more than this: a small file of blanks
#: may compress 500 × and harm nobody.
ZIP_RATIO_FLOOR = 1 * MiB

# --- JSON, YAML ----------------------------------------------------------------------------------

#: Bytes of one JSON Lines line: a submission with 100 notes at NOTE_CHARS (3 bytes a
#: character) is 1.2 MB; a real one ~1.5 KB.
LINE_BYTES = 2 * MiB
#: Nesting of JSON (a submission is 2 levels deep; json.loads recurses once per level).
JSON_DEPTH = 32
#: Nesting of a rubric YAML file (file → sections → item → grades is 4).
YAML_DEPTH = 16

# --- photos --------------------------------------------------------------------------------------

#: Pixels of a photo, read from its header before decoding. 2**26 = 67.1 MP admits the 50-MP
#: (8,160 × 6,120) and 64-MP (9,248 × 6,936) modes of phone cameras and 48-MP HEIFs; PNG and
#: HEIC are decoded in full, so this bounds a decode at 256 MB (RGBA). PIL's own bomb check
#: only *warns* up to 179 MP. 108- and 200-MP modes are refused: phones save 12 MP by default.
PHOTO_PIXELS = 2**26
#: What PIL may open a photo as (no TIFF, PSD, EPS/Ghostscript...). "JPEG" includes MPO (a
#: phone JPEG with a second picture inside); "HEIF" is registered by pillow_heif.
PHOTO_FORMATS = ("JPEG", "PNG", "HEIF")


# --- XML, OpenRosa (ODK Collect sends straight to the server) -----------------------------------

#: One submitted instance document (Collect's ``xml_submission_file``). The round's form fills
#: ~400 elements, ~30 KB; a note at NOTE_CHARS on each of 30 items adds ~360 KB.
XML_BYTES = 2 * MiB
#: Nesting of an instance document (data → section → item group → field is 4).
XML_DEPTH = 32
#: Elements of an instance document (~400 for the county's rubric).
XML_ELEMENTS = 10_000
#: What Collect is told one POST may carry (``X-OpenRosa-Accept-Content-Length``): a larger
#: submission is split by Collect into several POSTs, all but the last marked ``*isIncomplete*``.
#: Collect's photos are 1,600 px at most (the form's ``max-pixels``), 0.3–1 MB each: 20 MB is a
#: submission with 20–60 photographed findings, and keeps each POST short on a weak signal.
OPENROSA_ACCEPT_BYTES = 20 * MiB
#: Files of one POST (Collect puts at most 100 in one).
OPENROSA_FILES = 200
#: Prepared photos (~0.2 MB each) of split submissions held until their last part arrives, in
#: all, and how long a part waits for the rest (Collect sends the parts one after the other).
OPENROSA_HELD_BYTES = 256 * MiB
OPENROSA_HELD_SECONDS = 3600


def openrosa_body_bytes() -> int:
    """The most one POST may carry: what Collect is told, plus the one attachment it adds beyond
    that (a photo, at most PHOTO_BYTES), the XML and the multipart framing (read at call time)."""
    return OPENROSA_ACCEPT_BYTES + PHOTO_BYTES + XML_BYTES + MiB


class _TooDeep(Exception):
    pass


class _TooMany(Exception):
    pass


def load_xml(data: bytes, file: str, max_depth: int | None = None, max_elements: int | None = None) -> Any:
    """The root element of untrusted XML ``data`` (an ``xml.etree`` element): no DTD, no entity,
    no external reference (defusedxml: "billion laughs" and friends), nesting at most
    ``max_depth`` levels and at most ``max_elements`` elements, both counted while parsing so
    the tree is never built past them (defaults :data:`XML_DEPTH`, :data:`XML_ELEMENTS`). The
    size is the caller's to check first (:data:`XML_BYTES`). Every failure is a
    :class:`DataError` with one problem at ``file``."""
    from xml.etree.ElementTree import ParseError, TreeBuilder

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    depth_limit = XML_DEPTH if max_depth is None else max_depth
    count_limit = XML_ELEMENTS if max_elements is None else max_elements

    class Guard(TreeBuilder):
        depth = count = 0

        def start(self, tag: Any, attrs: Any) -> Any:
            self.depth += 1
            self.count += 1
            if self.depth > depth_limit:
                raise _TooDeep
            if self.count > count_limit:
                raise _TooMany
            return super().start(tag, attrs)

        def end(self, tag: Any) -> Any:
            self.depth -= 1
            return super().end(tag)

    parser = DefusedXMLParser(target=Guard(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        return parser.close()
    except _TooDeep:
        raise DataError([problem("xml_depth", file, limit=depth_limit)]) from None
    except _TooMany:
        raise DataError([problem("xml_elements", file, limit=count_limit)]) from None
    except DefusedXmlException:
        raise DataError([problem("xml_dtd", file)]) from None
    except ParseError as exc:
        raise DataError([problem("xml", file, exc.position[0] if exc.position else None, detail=str(exc))]) from None


# --- helpers -------------------------------------------------------------------------------------


def human_bytes(n: int) -> str:
    """``1.5 MB``-style size for messages (binary units, as file managers show them)."""
    if n < 1024:
        return f"{n} B"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024
        if n < 1024 or unit == "TB":
            return f"{n:.1f} {unit}".replace(".0 ", " ")
    raise AssertionError  # pragma: no cover


def check_size(size: int, limit: int, file: str) -> None:
    """Raise ``too_large`` when a file of ``size`` bytes exceeds ``limit``."""
    if size > limit:
        raise DataError([problem("too_large", file, size=human_bytes(size), limit=human_bytes(limit))])


def file_size(path: str | os.PathLike, limit: int, file: str) -> int:
    """The size of ``path`` (``file_missing`` when it is not a regular file), refused above
    ``limit``: checked before anything reads the file."""
    try:
        info = os.stat(path)
    except OSError:
        raise DataError([problem("file_missing", file)]) from None
    if not stat.S_ISREG(info.st_mode):
        raise DataError([problem("file_missing", file)])
    check_size(info.st_size, limit, file)
    return info.st_size


def text_problem(value: Any, file: str, line: int | None, field: str | None,
                 limit: int | None = None) -> Problem | None:
    """``text_long`` when ``value`` is text longer than ``limit`` characters (default
    :data:`FIELD_CHARS`), else None."""
    limit = FIELD_CHARS if limit is None else limit
    if isinstance(value, str) and len(value) > limit:
        return problem("text_long", file, line, field, n=len(value), limit=limit)
    return None


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line holding byte ``offset`` of ``data``."""
    return data.count(b"\n", 0, offset) + 1


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def upload_name(filename: str | None) -> str:
    """The usable base name of an uploaded file: the last part of any path it carries. Raises
    ``upload_name`` for an empty name, ``.``, ``..``, a bare path or control characters."""
    text = filename or ""
    base = re.split(r"[\\/]", text)[-1].strip()
    if base in ("", ".", "..") or _UNSAFE_NAME.search(text) or len(base) > 255:
        shown = _UNSAFE_NAME.sub("?", text)[:80]
        raise DataError([problem("upload_name", shown or "(upload)", value=shown)])
    return base


# --- JSON ----------------------------------------------------------------------------------------

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class _Constant(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


#: One decoder, made once (``json.loads(text, parse_constant=...)`` builds one per call).
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def json_depth(text: str) -> int:
    """The deepest nesting of arrays/objects in JSON ``text`` (strings skipped)."""
    depth = deepest = 0
    for token in _JSON_TOKENS.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load_json(text: str, file: str, line: int | None = None, max_depth: int | None = None) -> Any:
    """``json.loads`` for untrusted text: nesting deeper than ``max_depth`` (default
    :data:`JSON_DEPTH`) is refused *before* parsing (json.loads recurses once per level), and
    NaN / Infinity / -Infinity, which JSON does not have, are refused. Every failure is a
    :class:`DataError` with one problem located at ``file``/``line``."""
    max_depth = JSON_DEPTH if max_depth is None else max_depth
    # Fast path: fewer openers than the limit cannot nest deeper than it.
    if text.count("[") + text.count("{") > max_depth and json_depth(text) > max_depth:
        raise DataError([problem("json_depth", file, line, limit=max_depth)])
    try:
        return _DECODER.decode(text)
    except _Constant as exc:
        raise DataError([problem("json_constant", file, line, value=str(exc))]) from None
    except json.JSONDecodeError as exc:
        raise DataError([problem("json", file, line, detail=f"{exc.msg} (column {exc.colno})")]) from None
    except RecursionError:
        raise DataError([problem("json_depth", file, line, limit=max_depth)]) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise DataError([problem("json", file, line, detail=str(exc)[:120])]) from None


# --- zip containers ------------------------------------------------------------------------------

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


def _directory_entries(fp: IO[bytes]) -> tuple[int, int] | None:
    """(entries, central directory bytes) from a zip's end record, read without building the
    directory; None when there is no end record (not a zip)."""
    fp.seek(0, io.SEEK_END)
    size = fp.tell()
    tail_len = min(size, 22 + 65535)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        return None
    entries, cd_size = struct.unpack("<HI", tail[at + 10:at + 16])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:  # ZIP64: the real numbers are elsewhere
        locator = tail[at - 20:at] if at >= 20 else b""
        if locator[:4] == _ZIP64_LOCATOR:
            (offset,) = struct.unpack("<Q", locator[8:16])
            if offset + 56 <= size:
                fp.seek(offset)
                record = fp.read(56)
                if record[:4] == _ZIP64_EOCD:
                    entries, cd_size = struct.unpack("<QQ", record[32:48])
    return entries, cd_size


def unsafe_member(name: str) -> bool:
    """True when a member's path would leave the folder it is extracted to: absolute, a drive
    letter, a ``..`` part, or a NUL."""
    norm = name.replace("\\", "/")
    return (norm.startswith("/") or bool(re.match(r"^[A-Za-z]:", norm)) or "\x00" in norm
            or ".." in PurePosixPath(norm).parts)


def inspect_zip(source: str | os.PathLike | bytes | IO[bytes], file: str, *,
                max_members: int | None = None, max_unpacked: int | None = None,
                max_ratio: float | None = None) -> list[zipfile.ZipInfo]:
    """Check a zip *before* anything extracts it or hands it to a library: at most
    ``max_members`` members (read from the end record, before Python builds the directory), at
    most ``max_unpacked`` bytes unpacked in all, no member unpacking more than ``max_ratio``
    times its packed size, no member path that escapes its folder (absolute, ``..``, drive
    letter) and no symbolic link. Returns the members (directories left out); raises
    :class:`DataError` listing every problem. Defaults: the ``ZIP_*`` limits."""
    max_members = ZIP_MEMBERS if max_members is None else max_members
    max_unpacked = ZIP_UNPACKED_BYTES if max_unpacked is None else max_unpacked
    max_ratio = ZIP_RATIO if max_ratio is None else max_ratio
    if isinstance(source, bytes | bytearray):
        fp: IO[bytes] = io.BytesIO(source)
        close = False
    elif isinstance(source, str | os.PathLike):
        try:
            fp = open(source, "rb")  # noqa: SIM115 (closed below)
        except OSError:
            raise DataError([problem("file_missing", file)]) from None
        close = True
    else:
        fp, close = source, False
    try:
        found = _directory_entries(fp)
        if found is None:
            raise DataError([problem("file_unreadable", file, detail="not a zip file")])
        entries, cd_size = found
        # A directory entry is at least 46 bytes; 1 KB each is generous for real names.
        if entries > max_members or cd_size > max(max_members, 1) * 1024:
            raise DataError([problem("zip_members", file, n=max(entries, cd_size // 46), limit=max_members)])
        fp.seek(0)
        try:
            infos = zipfile.ZipFile(fp).infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise DataError([problem("file_unreadable", file, detail=str(exc) or type(exc).__name__)]) from None
    finally:
        if close:
            fp.close()
    if len(infos) > max_members:
        raise DataError([problem("zip_members", file, n=len(infos), limit=max_members)])
    problems: list[Problem] = []
    members = []
    total = 0
    for info in infos:
        mode = info.external_attr >> 16
        if unsafe_member(info.filename) or stat.S_ISLNK(mode):
            problems.append(problem("zip_path", file, None, None, value=info.filename[:120]))
            continue
        if info.is_dir():
            continue
        total += info.file_size
        if (info.file_size > ZIP_RATIO_FLOOR
                and info.file_size > max_ratio * max(info.compress_size, 1)):
            problems.append(problem("zip_ratio", file, None, None, value=info.filename[:120],
                                    ratio=info.file_size // max(info.compress_size, 1),
                                    limit=int(max_ratio)))
        members.append(info)
    if total > max_unpacked:
        problems.append(problem("zip_unpacked", file, size=human_bytes(total), limit=human_bytes(max_unpacked)))
    if problems:
        raise DataError(problems)
    return members


def extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: str | os.PathLike,
                   file: str) -> int:
    """Copy one member (checked by :func:`inspect_zip`) to ``target``, never writing more than
    it declares; returns the bytes written."""
    written = 0
    try:
        with zf.open(info) as src, open(target, "wb") as dst:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:
                    raise DataError([problem("zip_unpacked", file, size=human_bytes(written),
                                             limit=human_bytes(info.file_size))])
                dst.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:  # CRC, truncated, encrypted
        raise DataError([problem("file_unreadable", file, detail=str(exc) or type(exc).__name__)]) from None
    return written

