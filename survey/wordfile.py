"""Word documents in Chinese (the round bulletin, the public notice of ten-star households):
the fonts a Chinese office expects, grid tables, paragraphs and dates, written by python-docx.

Text from data is only ever text: python-docx escapes it (no XML is built by hand), and the few
characters XML cannot hold at all (control characters) become U+FFFD (:func:`text`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

#: Characters XML 1.0 cannot hold (python-docx would refuse them): C0 controls but tab, LF, CR.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The text width of an A4 page with python-docx's default margins, cm.
WIDTH_CM = 15.9


def chinese_date(day: date) -> str:
    """``2026年5月20日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def text(value: Any) -> str:
    """Data as document text: str of it, with characters XML cannot hold replaced."""
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


def style(doc: Any) -> None:
    """Fonts a Chinese office expects (宋体 body, 黑体 headings), black headings."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    def font(name: str, latin: str, east: str, size: float | None = None, bold: bool | None = None) -> None:
        s = doc.styles[name]
        s.font.name = latin
        s.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east)
        if size:
            s.font.size = Pt(size)
        if bold is not None:
            s.font.bold = bold
        s.font.color.rgb = RGBColor(0, 0, 0)

    font("Normal", "Times New Roman", "宋体", 12)
    font("Title", "Times New Roman", "宋体", 20, True)
    font("Heading 1", "Times New Roman", "黑体", 15, True)
    font("Heading 2", "Times New Roman", "黑体", 13, True)
    font("Caption", "Times New Roman", "宋体", 10.5, False)
    doc.styles["Table Grid"].font.size = Pt(10.5)


def table(doc: Any, headers: Sequence[str], rows: Iterable[Sequence[Any]],
          widths: Mapping[int, float] | None = None) -> None:
    """A grid table: a bold header row (repeated on every page), then one row per record;
    every cell is text. ``widths``: column index -> width in cm (the others share the rest)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    rows = [[text(v) for v in row] for row in rows]
    grid = doc.add_table(rows=1 + len(rows), cols=len(headers))
    grid.style = doc.styles["Table Grid"]
    header = grid.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(repeat)
    for cell, title in zip(header.cells, headers):
        cell.paragraphs[0].add_run(text(title)).bold = True
    for tr, row in zip(grid.rows[1:], rows):
        for cell, value in zip(tr.cells, row):
            cell.text = value
    if widths:
        rest = (WIDTH_CM - sum(widths.values())) / max(1, len(headers) - len(widths))
        grid.autofit = False
        for i, column in enumerate(grid.columns):
            width = column.width = Cm(widths.get(i, rest))  # the grid (LibreOffice) and each cell (Word)
            for cell in column.cells:
                cell.width = width


def para(doc: Any, value: str, style_name: str | None = None) -> Any:
    return doc.add_paragraph(text(value), style=style_name)


def save(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
