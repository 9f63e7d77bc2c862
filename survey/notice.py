"""The public notice (公示) of a village's ten-star households as a Word document the village
prints and posts: the households put on notice with their stars and tier, the notice's days and
where objections go, signed by the village committee.

The data is :func:`survey.households.notice_list` (the disqualified are left out: they get no
title, and why is not published). Text from data is only ever text (:mod:`survey.wordfile`).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from core import config
from core.errors import UsageError
from survey.auth import User
from survey.households import NoticeList, notice_list
from survey.stars import load_stars
from survey.wordfile import chinese_date, para, save, style, table, text


def _days(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days + 1


def title(n: NoticeList) -> str:
    return f"{n.village.name}{n.period_label}十星级文明户评定结果公示"


def notice_docx(n: NoticeList) -> bytes:
    """The notice as a .docx file (bytes)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    stars = load_stars()
    names = {s.code: s.name for s in stars.stars}
    doc = docx.Document()
    style(doc)
    props = doc.core_properties
    props.title, props.author, props.subject = text(title(n)), text(f"{n.village.name}村民委员会"), "公示"
    props.created = props.modified = config.now().replace(tzinfo=None, microsecond=0)
    doc.add_paragraph(text(title(n)), style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    start, end = date.fromisoformat(n.start), date.fromisoformat(n.end)
    para(doc, f"经农户自评申报、村民代表评议、村民委员会审核，{n.village.township}{n.village.name}"
              f"{n.period_label}十星级文明户评定结果如下，现予公示。")
    para(doc, f"公示时间：{chinese_date(start)}至{chinese_date(end)}（共 {_days(n.start, n.end)} 天）。")
    para(doc, f"公示期间如有异议，请向{n.objections}反映。")
    table(doc, ("序号", "村民小组", "户号", "户主", "星数", "所获星级", "等级"),
          [(i, h.group or "", h.number, h.head, h.rating.count,  # type: ignore[union-attr]
            "、".join(names.get(c, c) for c in h.rating.stars),  # type: ignore[union-attr]
            h.rating.tier.name if h.rating.tier else "—")  # type: ignore[union-attr]
           for i, h in enumerate(n.households, 1)], {0: 1.2, 1: 1.8, 2: 1.5, 3: 2.0, 4: 1.2, 6: 1.4})
    tiers = Counter(h.rating.tier.code for h in n.households if h.rating and h.rating.tier)
    parts = [f"{t.name} {tiers[t.code]} 户" for t in reversed(stars.tiers)]
    para(doc, f"共 {len(n.households)} 户，其中" + "、".join(parts) + "。")
    doc.add_paragraph()
    for line in (f"{n.village.name}村民委员会", chinese_date(start)):
        para(doc, line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return save(doc)


def write_notice(db_path: str | Path, user: User, village: str, period: str, out: str | Path,
                 objections: str | None = None) -> Path:
    """Write the notice of ``village`` and ``period`` to ``out`` (a .docx file, atomically)."""
    from survey.csvio import atomic_write

    path = Path(out)
    if path.suffix.lower() != ".docx":
        raise UsageError("households_out", value=str(out))
    data = notice_docx(notice_list(db_path, user, village, period, objections))
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, data)
