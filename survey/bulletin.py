"""The round bulletin (测评通报): a Word document of one round and county that the office edits,
signs and sends, and a PDF beside it when LibreOffice is installed.

Contents, in order: the title (``XX县文明村镇创建第X轮测评通报``) and the date in Chinese form
(Beijing time); the headline figures; each township against its target (table and bar chart);
the red and black lists (红黑榜); the most frequent problems with their counts; recurring and
overdue ledger entries (only when ledger rows are given); the villages listed for title review
(:mod:`survey.elimination`); a signature block. Every figure is the dashboard's: the bulletin
is composed from :func:`survey.targets.dashboard_data` and formatted the same way. A round in
which the county has no submission gives a bulletin that says so, with no tables.

Text from data is only ever text: python-docx escapes it (no XML is built by hand here), the
few characters XML cannot hold at all (control characters) become U+FFFD, and chart labels are
drawn with mathtext off (a ``$`` in a name stays a ``$``). Charts are drawn by matplotlib (Agg,
no display, no internet) with Noto Sans CJK found as :func:`survey.photos.cjk_font` finds it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import warnings as warnings_module
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.errors import NotFound, Problem, UsageError, problem
from core.model import Round, TownshipRow
from survey.csvio import fmt1
from survey.elimination import (
    DEFAULT_ROUNDS,
    DEFAULT_SHARE,
    ReviewList,
    review_list,
    score_text,
)
from survey.targets import (
    Dashboard,
    chart_records,
    rank_records,
    share,
    township_records,
)
from survey.trends import Counts, counting, counting_rounds
from survey.wordfile import chinese_date
from survey.wordfile import para as _para
from survey.wordfile import save as _save
from survey.wordfile import style as _style
from survey.wordfile import table as _table
from survey.wordfile import text as _text

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.auth import Scope, User

BEIJING = ZoneInfo("Asia/Shanghai")
#: How many items the "most frequent problems" section lists.
TOP_PROBLEMS = 10
#: The longest a LibreOffice conversion may take (seconds).
PDF_TIMEOUT_S = 180
#: Headers of the ledger rows the bulletin reads (../shared/spec/ledger.md, version 1).
LEDGER_COLUMNS = ("村", "乡镇", "项目编码", "问题", "发现日期", "整改期限", "状态", "逾期", "反复出现")

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 99 -> 九十九; other numbers as digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def beijing_today() -> date:
    return datetime.now(BEIJING).date()


# --- the data of a bulletin ---------------------------------------------------------------------


@dataclass(frozen=True)
class FrequentProblem:
    """A rubric item and how many villages of the round were found wanting on it."""

    code: str
    text: str
    villages: int


@dataclass(frozen=True)
class Bulletin:
    """Everything a bulletin shows, composed from the store."""

    county_code: str
    county_name: str
    round: Round
    ordinal: int | None  # the round's place among counting rounds (第X轮); None: it does not count
    day: date
    dashboard: Dashboard
    review: ReviewList
    problems: tuple[FrequentProblem, ...]
    ledger: tuple[Mapping[str, Any], ...] | None  # recurring or overdue entries; None: no ledger

    @property
    def title(self) -> str:
        which = f"第{chinese_number(self.ordinal)}轮" if self.ordinal else self.round.name
        return f"{self.county_name}文明村镇创建{which}测评通报"

    @property
    def assessed(self) -> int:
        return self.dashboard.county.assessed


def ledger_selection(rows: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    """The ledger entries a bulletin lists: recurring (反复出现 是) or overdue (逾期 是), in
    the given order (the ledger file's: by village code, item, id)."""
    return tuple(r for r in rows if r.get("逾期") == "是" or r.get("反复出现") == "是")


def bulletin_data(db_path: str | Path, round_id: str, county: str, scope: Scope | None = None,
                  n: int = 5, review_share: Decimal = DEFAULT_SHARE, review_rounds: int = DEFAULT_ROUNDS,
                  ledger_rows: Iterable[Mapping[str, Any]] | None = None, counts: Counts = counting,
                  today: date | None = None) -> Bulletin:
    """Compose the bulletin of ``county`` for ``round_id`` (NotFound for an unknown round or
    county, or a county outside ``scope``). ``ledger_rows``: the fix-it ledger's rows as
    mappings keyed by the ledger file's headers (ledger.md); None leaves the section out."""
    from survey import store
    from survey.targets import dashboard_data
    from survey.trends import trends_data

    d = dashboard_data(db_path, round_id, county, n, scope)
    t = trends_data(db_path, county, round_id, scope, counts)
    review = review_list(t.history, review_rounds, review_share, counts, round_id, t.titles)
    ids = [r.submission_id for r in d.results if r.submission_id is not None]
    found = store.trends.finding_counts(db_path, ids) if ids else {}
    problems = tuple(FrequentProblem(code, d.labels.get(code, (code, code))[0], k)
                     for code, k in list(found.items())[:TOP_PROBLEMS])
    ordinals = {r.id: i for i, r in enumerate(counting_rounds(store.rounds(db_path), counts), 1)}
    return Bulletin(
        county_code=county, county_name=t.county_name, round=d.round, ordinal=ordinals.get(round_id),
        day=today or beijing_today(), dashboard=d, review=review, problems=problems,
        ledger=None if ledger_rows is None else ledger_selection(ledger_rows))


# --- the chart ----------------------------------------------------------------------------------


@functools.cache
def _font_family() -> str | None:
    """The family name of the CJK font, registered with matplotlib once; None without one."""
    from matplotlib import font_manager, ft2font

    from survey.photos import cjk_font

    found = cjk_font()
    if found is None:
        return None
    font_manager.fontManager.addfont(str(found.path))  # every face of a .ttc collection
    return ft2font.FT2Font(str(found.path), face_index=found.index).family_name


_CHART_LOCK = threading.Lock()


def _label(name: str, limit: int = 16) -> str:
    name = " ".join(_text(name).split())
    return name if len(name) <= limit else name[: limit - 1] + "…"


def township_chart(rows: Sequence[TownshipRow]) -> tuple[bytes, list[Problem]]:
    """A horizontal bar chart (PNG) of every township's projected share, furthest below target
    on top, red below target, green reached, the target as a black mark on each bar; and the
    warnings (no CJK font)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    records = chart_records(rows)
    by_code = {r.code: r for r in rows}
    family = _font_family()
    warnings = [] if family else [problem("chart_no_cjk_font", "chart")]
    style = {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"],
             "text.parse_math": False, "axes.unicode_minus": False, "font.size": 9,
             "svg.hashsalt": "xiangfeng"}
    # rc_context and catch_warnings change process-wide state: one chart at a time (the web app
    # builds bulletins on its download threads)
    with _CHART_LOCK, rc_context(style), warnings_module.catch_warnings():
        # without a CJK font every Chinese glyph would warn once more: the returned warning says it
        warnings_module.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        width, height = 6.3, max(2.2, 0.38 * len(records) + 1.1)  # inches
        fig = Figure(figsize=(width, height), dpi=150)
        FigureCanvasAgg(fig)
        labels = [_label(r["name"]) for r in records]
        # margins from the labels' length (a CJK character is about one em): no layout pass
        left = (max((len(x) for x in labels), default=2) * 9 / 72 + 0.3) / width
        fig.subplots_adjust(left=min(left, 0.45), right=0.98, top=1 - 0.15 / height, bottom=0.55 / height)
        ax = fig.add_subplot()
        ys = list(range(len(records)))[::-1]  # the first record on top
        ax.barh(ys, [r["projected"] for r in records], height=0.6,
                color=["#2e7d32" if r["reached"] else "#c0392b" for r in records])
        for y, r in zip(ys, records):
            ax.vlines(r["target"], y - 0.4, y + 0.4, colors="#222222", linewidth=2)
            ax.text(max(r["projected"], r["target"]) + 1.5, y, fmt1(by_code[r["code"]].share_projected) + "%",
                    va="center", fontsize=8)
        ax.set_yticks(ys, labels)
        ax.set_ylim(-0.6, len(records) - 0.4)
        ax.set_xlim(0, 110)
        ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel("预计占比(%)（黑线为目标）")
        ax.spines[["top", "right"]].set_visible(False)
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 3})
    return out.getvalue(), warnings


# --- the document -------------------------------------------------------------------------------


def _yes(flag: bool | None) -> str:
    return "" if flag is None else ("是" if flag else "否")


_SECTIONS = "一二三四五六七八九十"


def render_docx(b: Bulletin, chart: bytes | None = None) -> bytes:
    """The bulletin as a .docx file (bytes). ``chart``: the township chart PNG (drawn here
    when None)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    d = b.dashboard
    c = d.county
    doc = docx.Document()
    _style(doc)
    props = doc.core_properties
    props.title, props.author, props.subject = _text(b.title), _text(f"{b.county_name}文明办"), "测评通报"
    props.created = props.modified = datetime.now(BEIJING).replace(tzinfo=None)
    doc.add_paragraph(_text(b.title), style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    dates = "至".join(x for x in (b.round.start_date, b.round.end_date) if x)
    sub = f"测评轮次：{b.round.id}（{b.round.name}）" + (f"　测评时间：{dates}" if dates else "")
    _para(doc, sub).alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, chinese_date(b.day)).alignment = WD_ALIGN_PARAGRAPH.CENTER
    number = iter(_SECTIONS)

    def heading(text: str) -> None:
        doc.add_heading(f"{next(number)}、{text}", level=1)

    if b.assessed == 0:
        heading("本轮测评情况")
        _para(doc, f"{b.county_name}在本轮（{b.round.id}，{b.round.name}）尚无测评提交，暂无测评结果可通报。"
                   f"全县现有行政村 {c.villages} 个，{d.civilized_from}及以上文明村 {c.civilized_now} 个，"
                   f"占比 {fmt1(c.share_now)}%，目标 {fmt1(c.target)}%。")
        _signature(doc, b)
        return _save(doc)

    vetoed = sum(1 for r in d.results if r.submission_id is not None and r.veto)
    rate = share(c.passed, c.assessed)
    heading("总体情况")
    verdict = "已达到目标" if c.reached else f"距目标还需新增文明村 {c.needed} 个"
    _para(doc, f"本轮全县共有行政村 {c.villages} 个，测评 {c.assessed} 个，达标 {c.passed} 个，"
               f"达标率 {fmt1(rate)}%，其中 {vetoed} 个村因一票否决未达标。全县现有{d.civilized_from}及以上文明村 "
               f"{c.civilized_now} 个，占比 {fmt1(c.share_now)}%；本轮结果生效后预计 {c.projected} 个，"
               f"占比 {fmt1(c.share_projected)}%，目标 {fmt1(c.target)}%，{verdict}。")
    _table(doc, ("指标", "数值"), [
        ("行政村总数", c.villages), ("本轮测评村数", c.assessed), ("达标村数", c.passed),
        ("达标率(%)", fmt1(rate)), ("一票否决村数", vetoed), ("现有文明村数", c.civilized_now),
        ("现有文明村占比(%)", fmt1(c.share_now)), ("预计文明村数", c.projected),
        ("预计占比(%)", fmt1(c.share_projected)), ("目标占比(%)", fmt1(c.target)),
        ("需新增文明村数", c.needed)])

    heading("各乡镇目标完成情况")
    below = "、".join(r.name or r.code for r in d.below)
    _para(doc, f"未达到目标的乡镇 {len(d.below)} 个" + (f"：{below}。" if below else "。"))
    _table(doc, ("乡镇", "村总数", "现有文明村", "本轮测评", "达标", "预计文明村", "现有占比(%)",
                 "预计占比(%)", "目标(%)", "达到目标", "需新增"),
           [(r["name"], r["villages"], r["civilized_now"], r["assessed"], r["passed"], r["projected"],
             r["share_now"], r["share_projected"], r["target"], _yes(r["reached"]), r["needed"])
            for r in township_records(d.townships)], {0: 2.2})
    if d.townships:
        png = chart if chart is not None else township_chart(d.townships)[0]
        doc.add_picture(io.BytesIO(png), width=Cm(16))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _para(doc, "图1　各乡镇预计文明村占比与目标（红色未达目标，绿色已达目标，黑线为目标）",
              "Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER

    heading("红黑榜")
    ranks = d.ranks.get(b.county_code)
    _para(doc, "同分同名次；一票否决的村排在最后。“较上轮”与上一轮"
               + (f"（{d.previous.id}）" if d.previous else "（无）") + "比较。")
    for label, ranked in (("红榜", ranks.best if ranks else ()), ("黑榜", ranks.worst if ranks else ())):
        doc.add_heading(label, level=2)
        records = rank_records(ranked, d.changes, d.labels)
        if not records:
            _para(doc, "无。")
            continue
        _table(doc, ("名次", "村", "乡镇", "总分", "一票否决", "较上轮"),
               [(r["rank"], r["name"], r["township"], r["total"], r["veto"] or "", r["change"] or "—")
                for r in records])

    heading("主要问题")
    if b.problems:
        _para(doc, f"本轮测评发现问题最多的 {len(b.problems)} 个项目（按存在问题的村数排序）：")
        _table(doc, ("序号", "项目编码", "测评内容", "存在问题村数", "占测评村比例(%)"),
               [(i, p.code, p.text, p.villages, fmt1(share(p.villages, c.assessed)))
                for i, p in enumerate(b.problems, 1)], {0: 1.3, 1: 2.0, 2: 7.6})
    else:
        _para(doc, "本轮测评未发现问题。")

    if b.ledger is not None:
        heading("整改台账：反复出现和逾期未整改的问题")
        if b.ledger:
            _table(doc, LEDGER_COLUMNS, [[row.get(k, "") for k in LEDGER_COLUMNS] for row in b.ledger], {3: 4.5})
        else:
            _para(doc, "无反复出现或逾期未整改的问题。")

    heading("列入摘牌复核的村")
    _review(doc, b.review, d.labels, d.civilized_from)
    _signature(doc, b)
    return _save(doc)


def _review(doc: Any, review: ReviewList, labels: Mapping[str, tuple[str, str]], level: str = "县级") -> None:
    window = "、".join(r.id for r in review.window)
    if not review.window:
        _para(doc, "尚无可用于排序的测评轮次，本次不列出摘牌复核名单。")
        return
    fewer = f"（不足 {review.rounds} 轮，按已有轮次）" if len(review.window) < review.rounds else ""
    _para(doc, f"按最近 {len(review.window)} 轮测评{fewer}（{window}）的得分对{level}及以上文明村排序（打分排序）："
               f"有一票否决的轮次排在任何得分之后，其余按各轮平均分从低到高；参加排序 {review.ranked} 个，"
               f"按 {fmt1(review.share)}% 的比例（向上取整，至少 1 个）列入摘牌复核 {review.quota} 个，"
               f"与末位同分者一并列入，共 {len(review.entries)} 个。")
    if review.unranked:
        _para(doc, f"另有 {len(review.unranked)} 个文明村在上述轮次未参加测评，未参与排序："
                   + "、".join(v.name for v in review.unranked) + "。")
    if not review.entries:
        _para(doc, "无。")
        return
    _table(doc, ("倒数名次", "村", "乡镇", "称号", *(r.id for r in review.window), "平均分", "否决轮次"),
           [(e.rank, e.village.name, e.village.township, e.village.title,
             *(score_text(p, labels) for p in e.points), fmt1(e.average), e.vetoed)
            for e in review.entries])


def _signature(doc: Any, b: Bulletin) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc.add_paragraph()
    for line in (f"{b.county_name}文明办（盖章）", chinese_date(b.day)):
        _para(doc, line).alignment = WD_ALIGN_PARAGRAPH.RIGHT


# --- files: the .docx and the PDF beside it ------------------------------------------------------


def soffice() -> str | None:
    """LibreOffice's command, when installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx_path: str | Path, timeout: float = PDF_TIMEOUT_S) -> tuple[Path | None, list[Problem]]:
    """Convert ``docx_path`` with ``soffice --headless --convert-to pdf`` into a PDF beside it
    (same name, ``.pdf``). Returns the PDF's path, or None and a warning: LibreOffice is not
    installed, the conversion failed, or it took longer than ``timeout`` seconds (then the whole
    LibreOffice process group is ended)."""
    from survey.csvio import atomic_write

    source = Path(docx_path)
    command = soffice()
    if command is None:
        return None, [problem("pdf_no_soffice", str(source))]
    with tempfile.TemporaryDirectory(prefix="xiangfeng-pdf-") as tmp:
        work = Path(tmp)
        # its own profile: no clash with a LibreOffice the user has open, nor with a parallel run
        args = [command, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
                "--convert-to", "pdf", "--outdir", str(work / "out"), str(source)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return None, [problem("pdf_failed", str(source), detail=f"timeout {timeout:g} s")]
        produced = work / "out" / (source.stem + ".pdf")
        if proc.returncode != 0 or not produced.is_file():
            detail = err.decode("utf-8", "replace").strip()[-300:] or f"exit status {proc.returncode}"
            return None, [problem("pdf_failed", str(source), detail=detail)]
        return atomic_write(source.with_suffix(".pdf"), produced.read_bytes()), []


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


@dataclass(frozen=True)
class Report:
    """What :func:`write_report` wrote."""

    docx: Path
    pdf: Path | None
    warnings: list[Problem]


def bulletin_docx(db_path: str | Path, round_id: str, county: str, scope: Scope | None = None,
                  **options: Any) -> tuple[bytes, list[Problem]]:
    """The bulletin's .docx bytes and its warnings (options as :func:`bulletin_data`)."""
    b = bulletin_data(db_path, round_id, county, scope, **options)
    chart, warnings = township_chart(b.dashboard.townships) if b.assessed and b.dashboard.townships \
        else (None, [])
    return render_docx(b, chart), warnings


def write_report(db_path: str | Path, round_id: str, county: str, out: str | Path, pdf: bool = True,
                 scope: Scope | None = None, **options: Any) -> Report:
    """Write the bulletin to ``out`` (a .docx file, atomically) and, when ``pdf`` and LibreOffice
    is installed, the PDF beside it."""
    from survey.csvio import atomic_write

    path = Path(out)
    if path.suffix.lower() != ".docx":
        raise UsageError("report_out", value=str(out))
    data, warnings = bulletin_docx(db_path, round_id, county, scope, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
    pdf_path = None
    if pdf:
        pdf_path, more = to_pdf(path)
        warnings += more
    return Report(path, pdf_path, warnings)


def only_county(db_path: str | Path) -> str:
    """The county of a database that holds exactly one; UsageError naming them otherwise."""
    from survey import store

    counties = store.counties(db_path)
    if len(counties) != 1:
        raise UsageError("county_required", known="、".join(counties) or "（无 none）")
    return next(iter(counties))


def report_for(db_path: str | Path, user: User, round_id: str, county: str | None, out: str | Path,
               pdf: bool = True, **options: Any) -> Report:
    """``report --round R [--county C] --out FILE.docx`` as ``user``: the county named, or the
    database's only county. NotFound for an unknown round or county, or one out of scope."""
    from survey import store

    if not user.reviews:
        raise UsageError("forbidden")
    store.get_round(db_path, round_id)
    county = county or only_county(db_path)
    user.scope.check_county(county)
    if county not in store.counties(db_path):
        raise NotFound("county_unknown", value=county, known="、".join(store.counties(db_path)) or "（无 none）")
    if "ledger_rows" not in options:  # the fix-it ledger's recurring and overdue entries are published
        from survey.ledger import bulletin_rows

        options["ledger_rows"] = bulletin_rows(db_path, user.scope, county, round_id, options.get("today"))
    return write_report(db_path, round_id, county, out, pdf=pdf, scope=user.scope, **options)
