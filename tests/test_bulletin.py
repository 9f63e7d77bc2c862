"""The round bulletin (survey/bulletin.py): the Word file read back with python-docx (headings,
tables, the chart, numbers equal to the dashboard's), hostile names as literal text, a round with
no submission, the command line, and the PDF through LibreOffice when it is installed."""

from __future__ import annotations

import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import docx
import pytest
from scoped_db import sign_in
from streamlit.testing.v1 import AppTest
from test_targets import C1, C2, build_db

from core.model import Round
from survey import bulletin, store
from survey.bulletin import chinese_date, chinese_number, to_pdf, write_report
from survey.cli import main
from survey.csvio import fmt1
from survey.registry import VillageRow
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission
from survey.targets import dashboard_data, share, township_records

DAY = date(2026, 5, 20)


@pytest.fixture
def db(tmp_path):
    return build_db(tmp_path / "t.db")


def read(path: Path) -> docx.document.Document:
    return docx.Document(str(path))


def headings(doc, level: int) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == f"Heading {level}"]


def rows(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def report(db, tmp_path, county=C1, round_id="2026-B3", **options) -> Path:
    out = write_report(db, round_id, county, tmp_path / "通报.docx", pdf=False, today=DAY, **options)
    assert out.pdf is None and out.warnings == []
    return out.docx


def test_chinese_numbers_and_dates():
    assert [chinese_number(n) for n in (1, 2, 10, 12, 20, 35, 99, 100)] == [
        "一", "二", "十", "十二", "二十", "三十五", "九十九", "100"]
    assert chinese_date(DAY) == "2026年5月20日" and chinese_date(date(2026, 11, 3)) == "2026年11月3日"


def test_the_bulletin_holds_the_dashboards_figures(db, tmp_path):
    path = report(db, tmp_path)
    doc = read(path)
    d = dashboard_data(db, "2026-B3", C1)
    c = d.county
    title = doc.paragraphs[0]
    assert title.style.name == "Title" and title.text == "测试县文明村镇创建第二轮测评通报"  # B3 is the 2nd round
    assert "2026年5月20日" in [p.text for p in doc.paragraphs]
    assert headings(doc, 1) == ["一、总体情况", "二、各乡镇目标完成情况", "三、红黑榜", "四、主要问题",
                                "五、列入摘牌复核的村"]
    assert headings(doc, 2) == ["红榜", "黑榜"]
    assert doc.core_properties.title == "测试县文明村镇创建第二轮测评通报"
    headline, towns, best, worst, problems, review = doc.tables
    figures = dict(rows(headline)[1:])
    assert figures == {
        "行政村总数": str(c.villages), "本轮测评村数": str(c.assessed), "达标村数": str(c.passed),
        "达标率(%)": fmt1(share(c.passed, c.assessed)), "一票否决村数": "1",
        "现有文明村数": str(c.civilized_now), "现有文明村占比(%)": fmt1(c.share_now),
        "预计文明村数": str(c.projected), "预计占比(%)": fmt1(c.share_projected),
        "目标占比(%)": fmt1(c.target), "需新增文明村数": str(c.needed)}
    assert (figures["现有文明村占比(%)"], figures["预计占比(%)"], figures["需新增文明村数"]) == ("25.0", "37.5", "1")
    assert rows(towns)[1:] == [
        [r["name"], str(r["villages"]), str(r["civilized_now"]), str(r["assessed"]), str(r["passed"]),
         str(r["projected"]), r["share_now"], r["share_projected"], r["target"], "是" if r["reached"] else "否",
         str(r["needed"])] for r in township_records(d.townships)]
    assert [r[1] for r in rows(best)[1:]] == [x.result.village.name for x in d.ranks[C1].best]
    assert [r[1] for r in rows(worst)[1:]] == [x.result.village.name for x in d.ranks[C1].worst]
    assert [r[0] for r in rows(worst)[1:]] == [str(x.rank) for x in d.ranks[C1].worst]
    # the most frequent problems: the findings of the round's counting submissions, counted anew
    rubric = load_rubric()
    found = Counter()
    for r in d.results:
        if r.submission_id:
            s = store.submission(db, r.submission_id)
            found.update(i.code for i in score(rubric, s["answers"], tuple(s["veto"])).items if i.finding)
    expected = sorted(found.items(), key=lambda x: (-x[1], x[0]))[:bulletin.TOP_PROBLEMS]
    assert [(r[1], int(r[3])) for r in rows(problems)[1:]] == expected
    assert rows(problems)[1][2] == rubric.item(expected[0][0]).text
    assert rows(review)[0][:4] == ["倒数名次", "村", "乡镇", "称号"]
    assert rows(review)[1][1:4] == ["丁村", "城关镇", "市级"]
    # the chart: one PNG picture
    assert len(doc.inline_shapes) == 1
    with zipfile.ZipFile(path) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == 1 and z.read(media[0]).startswith(b"\x89PNG\r\n\x1a\n")
    assert "整改台账" not in "".join(headings(doc, 1))  # no ledger given: no section


def test_the_bulletin_names_the_titles_the_county_counts(db, tmp_path):
    from builders import admin

    from survey import settings

    before = " ".join(p.text for p in read(report(db, tmp_path)).paragraphs)
    assert "全县现有县级及以上文明村 2 个" in before and "对县级及以上文明村排序" in before
    settings.change(db, admin(), C1, "civilized_from", "市级", "市文明委：只计市级及以上")
    after = " ".join(p.text for p in read(report(db, tmp_path)).paragraphs)
    assert "全县现有市级及以上文明村 1 个" in after and "对市级及以上文明村排序" in after
    assert "县级及以上" not in after


def test_ledger_rows_list_recurring_and_overdue_entries_only(db, tmp_path):
    ledger = [
        {"村": "乙村", "乡镇": "城关镇", "项目编码": "LJ07", "问题": "暴露垃圾点 3 处", "发现日期": "2026-05-20",
         "整改期限": "2026-05-27", "状态": "待整改", "逾期": "是", "反复出现": "否"},
        {"村": "丙村", "乡镇": "城关镇", "项目编码": "LJ01", "问题": "无垃圾桶", "发现日期": "2026-05-20",
         "整改期限": "2026-06-19", "状态": "待整改", "逾期": "否", "反复出现": "否"},
        {"村": "戊村", "乡镇": "河口镇", "项目编码": "YF06", "问题": "大操大办", "发现日期": "2026-05-20",
         "整改期限": "2026-06-19", "状态": "已整改", "逾期": "否", "反复出现": "是"},
    ]
    doc = read(report(db, tmp_path, ledger_rows=ledger))
    assert headings(doc, 1)[4:] == ["五、整改台账：反复出现和逾期未整改的问题", "六、列入摘牌复核的村"]
    table = doc.tables[5]
    assert rows(table)[0] == list(bulletin.LEDGER_COLUMNS)
    assert [r[0] for r in rows(table)[1:]] == ["乙村", "戊村"]
    none = read(report(db, tmp_path, ledger_rows=ledger[1:2]))
    assert "无反复出现或逾期未整改的问题。" in [p.text for p in none.paragraphs]


def test_a_round_without_any_submission_says_so_plainly(db, tmp_path):
    doc = read(report(db, tmp_path, county=C2))
    text = [p.text for p in doc.paragraphs]
    assert doc.paragraphs[0].text == "邻县文明村镇创建第二轮测评通报"
    assert any("尚无测评提交" in t and "暂无测评结果可通报" in t for t in text)
    assert doc.tables == [] and len(doc.inline_shapes) == 0
    assert headings(doc, 1) == ["一、本轮测评情况"]


HOSTILE = {
    "village": "<w:t>注入</w:t>&amp;村",
    "formula": '=HYPERLINK("http://x.invalid","点")',
    "template": "{{ 7*7 }}{% if 1 %}村",
    "control": "控\x01制\x0b村",
}
TOWN = "$\\alpha^2$镇 <b>"  # mathtext and markup in the chart's labels
COUNTY_NAME = "测试县</w:t></w:r><w:r><w:t>"


def test_hostile_names_are_text_in_the_document_and_the_chart(tmp_path):
    db = tmp_path / "h.db"
    codes = [f"429901100{200 + i}" for i in range(1, 5)]
    store.import_registry(db, [VillageRow(code=code, name=name, township=TOWN, county=COUNTY_NAME, lon=113.9,
                                          lat=30.6, title="县级", title_year=None, households=100, demo=False,
                                          line=i + 2)
                               for i, (code, name) in enumerate(zip(codes, HOSTILE.values()))])
    store.create_round(db, Round("2026-B3", "第三次双月测评"))
    rubric = load_rubric()
    from test_targets import answers
    subs = []
    for i, code in enumerate(codes):
        a = answers(rubric, 3 * i)
        subs.append((Submission(id=f"s{i}", village=code, round="2026-B3", date="2026-05-20", surveyor="王芳",
                                answers=a), score(rubric, a)))
    store.save_submissions(db, subs)
    path = report(db, tmp_path, county="429901")
    doc = read(path)
    assert doc.paragraphs[0].text == f"{COUNTY_NAME}文明村镇创建第一轮测评通报"
    cells = {c.text for t in doc.tables for r in t.rows for c in r.cells}
    for key in ("village", "formula", "template"):
        assert HOSTILE[key] in cells, key
    assert "控\ufffd制\ufffd村" in cells  # XML cannot hold control characters: replaced, not dropped
    assert TOWN in cells
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "&lt;w:t&gt;注入&lt;/w:t&gt;&amp;amp;村" in xml and "<w:t>注入</w:t>" not in xml
    assert len(doc.inline_shapes) == 1  # the chart drew the "$...$" township name without mathtext


def test_chart_without_a_cjk_font_warns(db, monkeypatch):
    d = dashboard_data(db, "2026-B3", C1)
    png, warnings = bulletin.township_chart(d.townships)
    assert png.startswith(b"\x89PNG") and warnings == []
    monkeypatch.setattr(bulletin, "_font_family", lambda: None)
    png, warnings = bulletin.township_chart(d.townships)
    assert png.startswith(b"\x89PNG") and [w.key for w in warnings] == ["chart_no_cjk_font"]


# --- files, PDF, command line -----------------------------------------------------------------------


def test_without_libreoffice_the_word_file_comes_with_a_warning(db, tmp_path, monkeypatch):
    monkeypatch.setattr(bulletin.shutil, "which", lambda name: None)
    out = write_report(db, "2026-B3", C1, tmp_path / "sub" / "b.docx", today=DAY)
    assert out.docx.is_file() and out.pdf is None
    assert [w.key for w in out.warnings] == ["pdf_no_soffice"]
    assert "LibreOffice" in str(out.warnings[0])


@pytest.mark.skipif(bulletin.soffice() is None, reason="LibreOffice (Debian libreoffice-writer) is not installed")
def test_libreoffice_converts_the_bulletin_to_pdf(db, tmp_path):
    out = write_report(db, "2026-B3", C1, tmp_path / "通报.docx", today=DAY)
    assert out.warnings == [] and out.pdf == tmp_path / "通报.pdf"
    assert out.pdf.read_bytes().startswith(b"%PDF-")
    again, warnings = to_pdf(out.docx)
    assert again == out.pdf and warnings == []


def test_a_failing_conversion_is_a_warning_not_a_crash(tmp_path, monkeypatch):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a word file")
    monkeypatch.setattr(bulletin, "soffice", lambda: "false")  # a command that fails at once
    pdf, warnings = to_pdf(broken)
    assert pdf is None and [w.key for w in warnings] == ["pdf_failed"]


def test_report_command(db, tmp_path, capsys):
    out = tmp_path / "r.docx"
    assert main(["report", "--db", str(db), "--round", "2026-B3", "--county", C1, "--out", str(out),
                 "--no-pdf", "--review-share", "50", "--review-rounds", "2"]) == 0
    assert capsys.readouterr().out.split() == [str(out)]
    assert read(out).paragraphs[0].text == "测试县文明村镇创建第二轮测评通报"
    assert main(["report", "--db", str(db), "--round", "2026-B3", "--out", str(out), "--no-pdf"]) == 2
    assert "--county" in capsys.readouterr().err  # two counties: name one
    assert main(["report", "--db", str(db), "--round", "2099-X", "--county", C1, "--out", str(out)]) == 1
    assert "2099-X" in capsys.readouterr().err
    assert main(["report", "--db", str(db), "--round", "2026-B3", "--county", "000000", "--out", str(out)]) == 1
    assert main(["report", "--db", str(db), "--round", "2026-B3", "--county", C1, "--out",
                 str(tmp_path / "r.pdf")]) == 2
    assert ".docx" in capsys.readouterr().err and not (tmp_path / "r.pdf").exists()


def test_the_dashboard_offers_the_bulletin(db, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "dashboard.py"), default_timeout=60)
    sign_in(at, db, "admin")
    at.run()
    assert not at.exception, at.exception
    button = at.download_button(key="dash_bulletin")
    assert button.label == "下载测评通报（Word）"
