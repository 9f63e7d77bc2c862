"""The CSV dialect of the provincial files (provincial-export.md), reusable by every CSV we write.

RFC 4180: comma, CRLF, double quotes only where needed, header row first. Encodings: UTF-8 with
BOM (default) or ``gbk``, written as GB18030 with a warning for each record holding characters GBK
alone cannot encode. Cells are formatted by the *kind* of their column:

=========  =====================================================================
``text``   guarded against spreadsheet formulas (leading ``'``), empty for None
``code``   a digit string as is (never a number, leading zeros kept)
``dec1``   a Decimal with exactly one decimal, rounded half up from the exact value
``int``    an integer
``coord``  a coordinate with 6 decimals
=========  =====================================================================

Files are written atomically: a temporary file in the same directory, then ``os.replace``.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal

from core.errors import Problem, UsageError, render

Kind = Literal["text", "code", "dec1", "int", "coord"]
#: Accepted ``encoding`` options; ``gbk`` is written as GB18030.
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gbk")
#: Text that a spreadsheet would run as a formula when it starts a cell.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_TENTH = Decimal("0.1")
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@dataclass(frozen=True)
class Column:
    """One column of a written table: its header and the kind of its values."""

    header: str
    kind: Kind = "text"


def fmt1(value: Decimal | int) -> str:
    """Exactly one decimal, rounded half up from the exact value: 6.25 -> ``6.3``.

    Floats are refused: their binary value is not the exact value (0.05 is 0.05000000000000000277).
    """
    if type(value) is not Decimal:
        if isinstance(value, float) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"fmt1 takes a Decimal or an int, got {type(value).__name__}")
        value = Decimal(value)
    rounded = value.quantize(_TENTH, rounding=ROUND_HALF_UP)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:f}"


def fmt_coord(value: float | Decimal) -> str:
    """A WGS84 coordinate with 6 decimals (about 0.1 m)."""
    return f"{value:.6f}"


def guard(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (=, +, -, @, tab, CR first)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text(value: object) -> str:
    return "" if value is None else guard(str(value))


def _code(value: object) -> str:
    return "" if value is None else str(value)


def _dec1(value: object) -> str:
    return "" if value is None else fmt1(value)  # type: ignore[arg-type]


def _int(value: object) -> str:
    return "" if value is None else str(int(value))  # type: ignore[call-overload]


def _coord(value: object) -> str:
    return "" if value is None else fmt_coord(value)  # type: ignore[arg-type]


_FORMATTERS = {"text": _text, "code": _code, "dec1": _dec1, "int": _int, "coord": _coord}


def format_rows(columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> list[list[str]]:
    """Every row as the text written to the file (the header is not included)."""
    formatters = [_FORMATTERS[c.kind] for c in columns]
    width = len(formatters)
    out = []
    for row in rows:
        if len(row) != width:
            raise ValueError(f"a row has {len(row)} values for {width} columns")
        out.append([f(v) for f, v in zip(formatters, row)])
    return out


def check_encoding(encoding: str) -> str:
    """``encoding`` when it is one of :data:`ENCODINGS`, else a UsageError."""
    if encoding not in ENCODINGS:
        raise UsageError("encoding_option", value=encoding)
    return encoding


def gbk_warnings(name: str, records: Sequence[Sequence[str]]) -> list[Problem]:
    """One warning per record holding characters GBK cannot encode, located at the physical
    line where the record starts (the header is line 1)."""
    warnings: list[Problem] = []
    line = 1
    for record in records:
        text = "".join(record)
        try:
            text.encode("gbk")
        except UnicodeEncodeError:
            bad = "".join(dict.fromkeys(ch for ch in text if not _gbk_ok(ch)))
            # (the message names the line itself: its field is "line", which problem() takes too)
            warnings.append(Problem(file=name, line=line, field=None, key="gbk_unrepresentable",
                                    message=render("gbk_unrepresentable", line=line, value=bad),
                                    fields=(("line", line), ("value", bad))))
        line += 1 + text.count("\n")
    return warnings


def _gbk_ok(ch: str) -> bool:
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def csv_bytes(
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    encoding: str = "utf-8-sig",
    name: str = "",
) -> tuple[bytes, list[Problem]]:
    """The file's bytes and its warnings (GBK only). ``name`` locates the warnings."""
    check_encoding(encoding)
    records = [[c.header for c in columns], *format_rows(columns, rows)]
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(records)
    text = buf.getvalue()
    if encoding == "gbk":
        return text.encode("gb18030"), gbk_warnings(name, records)
    return text.encode("utf-8-sig"), []


def atomic_write(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename:
    readers see the old file or the whole new one, and a failure leaves nothing behind."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_csv(
    path: str | os.PathLike,
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    encoding: str = "utf-8-sig",
) -> list[Problem]:
    """Write one CSV file atomically; returns its warnings."""
    data, warnings = csv_bytes(columns, rows, encoding, name=Path(path).name)
    atomic_write(path, data)
    return warnings
