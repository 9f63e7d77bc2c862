"""Hostile files, built at test time (nothing binary is committed), and a runner that feeds one
to the program in a child process under a memory ceiling.

Builders write small files that would cost a lot to read naively: a zip member of a gigabyte of
blanks in 1 MB (a deflated megabyte of one byte repeats byte for byte after a full flush, so
the bomb costs one CRC pass to build), a 12,500 × 12,500 PNG of a few hundred KB, a workbook
that declares ``A1:XFD1048576``.

``python tests/hostile_files.py '{"call": ..., "args": [...]}'`` (what :func:`run_limited` runs)
sets ``RLIMIT_AS`` first, then calls the use case and prints one JSON line: the problems
``[key, file, line, field]`` of the DataError, or ``{"ok": ...}``. A reader that regresses into
reading the bomb dies of MemoryError in the child, not the machine.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The child's address-space ceiling: the interpreter with geopandas, GDAL and PIL loaded takes
#: ~0.55 GB of it; each bomb here costs at least 1 GB more when it is read.
CEILING = 1536 * 1024 * 1024
MiB = 1024 * 1024


# --- zips ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bomb:
    """A zip member of ``prefix``, then ``size`` bytes of ``fill``, then ``suffix``."""

    size: int
    fill: bytes = b"\0"
    prefix: bytes = b""
    suffix: bytes = b""


def _deflated(bomb: Bomb) -> tuple[bytes, int, int]:
    """Raw deflate of ``bomb``, its CRC-32 and length. The fill is one megabyte block deflated
    once and repeated (after a full flush a block has no reference to what came before)."""
    chunk = bomb.fill * MiB
    whole, rest = divmod(bomb.size, MiB)
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = head.compress(bomb.prefix) + head.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    end = tail.compress(bomb.fill * rest + bomb.suffix) + tail.flush()
    crc = zlib.crc32(bomb.prefix)
    for _ in range(whole):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(bomb.fill * rest + bomb.suffix, crc)
    return first + block * whole + end, crc, len(bomb.prefix) + bomb.size + len(bomb.suffix)


def write_zip(path: Path, members: dict[str, bytes | Bomb]) -> Path:
    """A zip of ``members``: name -> content, or name -> a :class:`Bomb` (deflated ~1,000:1).
    Written by hand: zipfile would spend seconds compressing the filler."""
    out = io.BytesIO()
    central = []
    for name, content in members.items():
        if isinstance(content, Bomb):
            data, crc, size = _deflated(content)
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            data, crc, size = c.compress(content) + c.flush(), zlib.crc32(content), len(content)
        raw = name.encode("utf-8")
        flags = 0x800 if not raw.isascii() else 0
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 8, 0, 0x21, crc, len(data), size,
                              len(raw), 0) + raw)
        out.write(data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 8, 0, 0x21, crc, len(data),
                                   size, len(raw), 0, 0, 0, 0, 0, offset) + raw)
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), start, 0))
    path.write_bytes(out.getvalue())
    return path


def zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


# --- workbooks -----------------------------------------------------------------------------------

VILLAGE_HEADER = ["区划代码", "村名", "乡镇", "经度", "纬度"]
VILLAGE_ROWS = [["429901001001", "李庄村", "城关镇", 113.91, 30.61],
                ["429901001002", "张家湾村", "城关镇", 113.92, 30.62]]


def xlsx(path: Path, rows: list[list] | None = None) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    for row in [VILLAGE_HEADER] + (VILLAGE_ROWS if rows is None else rows):
        book.active.append(row)
    book.save(path)
    return path


def edit_xlsx(path: Path, edit) -> Path:
    """Rewrite the workbook's zip with ``edit(members)`` applied (a dict it may change)."""
    members: dict[str, bytes | Bomb] = dict(zip_members(path))
    edit(members)
    return write_zip(path, members)


def declared_huge_xlsx(path: Path) -> Path:
    """A small workbook whose sheet declares ``A1:XFD1048576`` (17 billion cells) and holds one
    more value in the sheet's last row: a reader trusting the declaration makes a million rows
    of 16,384 cells."""
    xlsx(path)

    def declare(members):
        sheet = members["xl/worksheets/sheet1.xml"].decode()
        start = sheet.index("<dimension ref=\"")
        end = sheet.index("/>", start)
        sheet = sheet[:start] + '<dimension ref="A1:XFD1048576"' + sheet[end:]
        at = sheet.index("</sheetData>")
        sheet = sheet[:at] + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>' + sheet[at:]
        members["xl/worksheets/sheet1.xml"] = sheet.encode()

    return edit_xlsx(path, declare)


def wide_xlsx(path: Path, empty: bool = False) -> Path:
    """A workbook with one value (or, ``empty``, one formatted empty cell) in column XFD
    (16,384) of row 2."""
    xlsx(path)
    cell = '<c r="XFD2" s="0"/>' if empty else '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c>'

    def widen(members):
        sheet = members["xl/worksheets/sheet1.xml"].decode()
        at = sheet.index("</row>", sheet.index('<row r="2"'))
        members["xl/worksheets/sheet1.xml"] = (sheet[:at] + cell + sheet[at:]).encode()

    return edit_xlsx(path, widen)


def bomb_xlsx(path: Path, size: int = 1024 * MiB) -> Path:
    """A workbook whose shared strings (which openpyxl reads whole) hold one string of ``size``
    spaces: 1 GB in ~1 MB by default."""
    xlsx(path, [["429901001001", "李庄村", "城关镇", 113.91, 30.61]])

    def inflate(members):
        types = members["[Content_Types].xml"].decode()
        at = types.index("</Types>")
        members["[Content_Types].xml"] = (types[:at] + '<Override PartName="/xl/sharedStrings.xml" ContentType='
                                          '"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                          'sharedStrings+xml"/>' + types[at:]).encode()
        members["xl/sharedStrings.xml"] = Bomb(size, b" ", b'<?xml version="1.0" encoding="UTF-8"?>'
                                                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                                                b' count="1" uniqueCount="1"><si><t xml:space="preserve">',
                                                b"</t></si></sst>")

    return edit_xlsx(path, inflate)


# --- layers --------------------------------------------------------------------------------------

def village_layer(crs: str | int | None = 4326, metres: bool = False):
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame({"code": ["429901001001"], "name": ["李庄村"], "township": ["城关镇"]},
                           geometry=[Point(113.91, 30.61)], crs=4326)
    if metres:
        gdf = gdf.to_crs(32649)
    return gdf if crs else gdf.set_crs(None, allow_override=True)


def shapefile_parts(folder: Path, gdf, stem: str = "layer") -> dict[str, bytes]:
    """The files of ``gdf`` written as a Shapefile: suffix -> bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    gdf.to_file(folder / f"{stem}.shp", encoding="utf-8")
    return {p.suffix: p.read_bytes() for p in folder.glob(f"{stem}.*")}


def zipped_shapefile(path: Path, parts: dict[str, bytes | Bomb], stem: str = "layer",
                     extra: dict[str, bytes | Bomb] | None = None) -> Path:
    members: dict[str, bytes | Bomb] = {f"{stem}{suffix}": data for suffix, data in parts.items()}
    members.update(extra or {})
    return write_zip(path, members)


def geojson(path: Path, features: list[tuple[dict, dict | None]], crs: str | None = None) -> Path:
    layer: dict = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}
    if crs:
        layer["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    return path


# --- pictures ------------------------------------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">L", len(data)) + kind + data + struct.pack(">L", zlib.crc32(kind + data))


def huge_png(width: int = 12_500, height: int = 12_500) -> bytes:
    """An 8-bit RGB PNG of black pixels: 469 MB decoded, a few hundred KB on disk."""
    raw_size = height * (1 + 3 * width)  # a filter byte per row, then the pixels: all zeros
    deflated, _, _ = _deflated(Bomb(raw_size))
    adler = ((raw_size % 65521) << 16) | 1  # Adler-32 of zeros: a = 1, b = n
    idat = b"\x78\xda" + deflated + struct.pack(">L", adler)
    header = struct.pack(">2L5B", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


# --- text ----------------------------------------------------------------------------------------

def billion_laughs(levels: int = 9) -> str:
    """YAML whose tree, once aliases are expanded, has 10**levels leaves."""
    lines = ['lol0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, levels):
        refs = ",".join([f"*l{n - 1}"] * 10)
        lines.append(f"lol{n}: &l{n} [{refs}]")
    return "\n".join(lines) + "\n"


RECURSIVE_ALIAS = "pass_mark: 85\nloop: &loop\n  - *loop\n"


def deep_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


# --- the child -----------------------------------------------------------------------------------

def run_limited(call: str, *args: str, rubric_dir: str | None = None, timeout: float = 120) -> dict:
    """Run ``call`` (see :func:`_child`) in a child process under :data:`CEILING`; its result:
    ``{"problems": [[key, file, line, field], ...]}`` or ``{"ok": ...}``; on a crash
    ``{"crash": returncode, "stderr": ...}``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    order = json.dumps({"call": call, "args": list(args), "rubric_dir": rubric_dir})
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), order], check=False, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=env)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"crash": proc.returncode, "stderr": proc.stderr[-3000:]}
    result = json.loads(lines[-1])
    result["peak_rss_mb"] = result.get("peak_rss_mb")
    return result


def _child(order: dict) -> dict:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CEILING, CEILING))
    from core import config
    from core.errors import DataError
    from survey import auth, fieldwork, service

    operator = auth.operator()

    if order.get("rubric_dir"):
        config.RUBRIC_DIR = Path(order["rubric_dir"])
    call, args = order["call"], order["args"]
    try:
        if call == "villages_file":
            result = service.import_villages_file(args[0], operator, args[1])
        elif call == "villages_bytes":
            result = service.import_villages_bytes(args[0], operator, Path(args[1]).read_bytes(), args[2])
        elif call == "roads":
            result = service.import_roads_file(args[0], operator, args[1])
        elif call == "submissions":
            result = service.import_submissions_file(args[0], operator, args[1])
        elif call == "photo":
            db, code, round_id = args[0], args[2], args[3]
            draft = fieldwork.open_draft(db, operator, round_id, code, "王芳")
            result = fieldwork.add_photo(db, operator, draft, "LJ01", Path(args[1]).read_bytes(), "photo.png")
        else:
            raise SystemExit(f"unknown call {call!r}")
    except DataError as exc:
        out: dict = {"problems": [[p.key, p.file, p.line, p.field] for p in exc.problems]}
    else:
        out = {"ok": repr(result)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(_child(json.loads(sys.argv[1])), ensure_ascii=False))
