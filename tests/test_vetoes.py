"""Veto records kept by the office: the window (to the boundary day), applied to every counting
submission in it (a village's, or every village of a township), withdrawn, the window setting,
surveyors' reports that count only once confirmed, the import file and its bad input."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from builders import admin, best_answers, reviewer, surveyor

from core.errors import DataError, NotFound, UsageError
from core.model import Round
from survey import service, settings, store, vetoes
from survey.registry import VillageRow
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission

COUNTY = "429901"
TOWN, OTHER = COUNTY + "100", COUNTY + "101"
LI, ZHANG, QING = TOWN + "001", TOWN + "002", OTHER + "001"
TODAY = dt.date(2026, 6, 30)
ADMIN = admin()


@pytest.fixture
def rubric():
    return load_rubric()


@pytest.fixture
def db(tmp_path, rubric):
    path = tmp_path / "vetoes.db"
    store.import_registry(path, [
        VillageRow(code=code, name=name, township=town, county="示范县", lon=113.9, lat=30.6, title="无",
                   title_year=None, households=100, demo=False, line=n + 2)
        for n, (code, name, town) in enumerate(((LI, "李庄村", "城关镇"), (ZHANG, "张家湾村", "城关镇"),
                                                (QING, "青石村", "青石镇")))])
    for rid in ("R1", "R2", "R3", "R4"):
        store.create_round(path, Round(rid, rid))
    return path


def save(db, rubric, sid, village, date, round_id="R1", veto=()):
    """A full-points submission (passes unless a veto applies); ``veto``: what it reports."""
    answers = best_answers(rubric)
    sub = Submission(id=sid, village=village, round=round_id, date=date, surveyor="王芳", answers=answers,
                     veto=tuple(veto))
    store.save_submissions(db, [(sub, score(rubric, answers, ()))], origin="jsonl")


def result(db, sid):
    s = store.submission(db, sid)
    return s["veto"], bool(s["passed"])


# --- the window ----------------------------------------------------------------------------------


@pytest.mark.parametrize("event, day, months, applies", [
    ("2025-05-20", "2025-05-19", 12, False),  # the day before the event
    ("2025-05-20", "2025-05-20", 12, True),  # the event's day
    ("2025-05-20", "2026-05-19", 12, True),  # the last day of 12 months
    ("2025-05-20", "2026-05-20", 12, False),  # the boundary day: no longer
    ("2024-02-29", "2025-02-27", 12, True),  # a 29 February event ends with February
    ("2024-02-29", "2025-02-28", 12, False),
    ("2026-01-31", "2026-02-27", 1, True),  # 31 January + 1 month = 28 February
    ("2026-01-31", "2026-02-28", 1, False),
    ("2025-05-20", "2025-11-19", 6, True),
    ("2025-05-20", "2025-11-20", 6, False),
])
def test_a_record_is_in_force_from_its_date_to_the_day_before_the_same_date_months_later(event, day, months,
                                                                                            applies):
    assert vetoes.in_force(event, day, months) is applies


def test_a_record_applies_to_every_submission_of_its_window_and_to_no_other(db, rubric):
    for sid, date, rnd in (("before", "2025-05-19", "R1"), ("first", "2025-05-20", "R2"),
                           ("last", "2026-05-19", "R3"), ("after", "2026-05-20", "R4")):
        save(db, rubric, sid, LI, date, rnd)
    save(db, rubric, "other", ZHANG, "2025-06-01", "R2")
    assert {sid: result(db, sid) for sid in ("before", "first", "last", "after")} == {
        sid: ([], True) for sid in ("before", "first", "last", "after")}
    record = vetoes.add(db, ADMIN, LI, "V2", "2025-05-20", "县公安局", "示公刑〔2025〕12号", today=TODAY)
    assert record.last_day == "2026-05-19" and record.until == "2026-05-20"
    assert result(db, "before") == ([], True)
    assert result(db, "first") == (["V2"], False)
    assert result(db, "last") == (["V2"], False)  # vetoed in any round of the window
    assert result(db, "after") == ([], True)
    assert result(db, "other") == ([], True)  # another village
    rows = store.audit_rows(db, entity="submission", limit=50)
    changed = [r for r in rows if r["action"] == "submission.veto"]
    assert sorted(r["entity_id"] for r in changed) == ["first", "last"]
    assert changed[0]["after"]["passed"] == 0
    results = {r.submission_id: r for r in store.round_results(db, "R2")}  # every reader sees it
    assert results["first"].veto == ("V2",) and results["first"].passed is False

    vetoes.withdraw(db, ADMIN, record.id, "录入错误：应为张家湾村")
    assert result(db, "first") == ([], True) and result(db, "last") == ([], True)
    [kept] = vetoes.records(db, ADMIN, county=COUNTY)
    assert (kept.status, kept.reason) == ("withdrawn", "录入错误：应为张家湾村")  # nothing is deleted
    with pytest.raises(UsageError):
        vetoes.withdraw(db, ADMIN, record.id, "again")


def test_a_township_record_applies_to_every_village_of_the_township(db, rubric):
    save(db, rubric, "li", LI, "2026-03-01")
    save(db, rubric, "zhang", ZHANG, "2026-03-02")
    save(db, rubric, "qing", QING, "2026-03-02")
    vetoes.add(db, ADMIN, TOWN, "V1", "2026-01-15", "县纪委", today=TODAY)  # a township leader's case
    assert result(db, "li") == (["V1"], False) and result(db, "zhang") == (["V1"], False)
    assert result(db, "qing") == ([], True)
    assert [r.item for r in vetoes.in_force_for(db, surveyor(), LI, "2026-03-01")] == ["V1"]
    assert vetoes.in_force_for(db, surveyor(), QING, "2026-03-01") == []
    assert vetoes.in_force_for(db, surveyor(), LI, "2027-01-15") == []  # past the window


def test_a_submission_saved_in_the_window_is_vetoed_as_it_is_stored(db, rubric):
    vetoes.add(db, ADMIN, ZHANG, "V3", "2026-02-10", "县应急管理局", today=TODAY)
    save(db, rubric, "new", ZHANG, "2026-05-20", "R3")
    assert result(db, "new") == (["V3"], False)
    stored = store.submission(db, "new")
    assert stored["veto_own"] == [] and stored["reaches"] == 1  # the total still reaches the mark
    added = [r for r in store.audit_rows(db, entity="submission", limit=5) if r["action"] == "submission.add"]
    assert added[0]["after"]["passed"] == 0


def test_a_large_import_staged_in_chunks_gets_the_records_too(db, rubric):
    vetoes.add(db, ADMIN, TOWN, "V4", "2026-04-01", "县信访局", today=TODAY)
    answers = best_answers(rubric)
    subs = [(Submission(id=f"s{i}", village=(LI, ZHANG, QING)[i % 3], round="R2", date="2026-05-01",
                        surveyor="王芳", answers=answers), score(rubric, answers, ())) for i in range(9)]
    store.save_submissions(db, subs, chunk=2, origin="jsonl")  # staged as a batch, then published
    assert {result(db, f"s{i}")[1] for i in range(9) if i % 3 < 2} == {False}
    assert {result(db, f"s{i}")[1] for i in range(9) if i % 3 == 2} == {True}


def test_changing_the_window_applies_the_records_again(db, rubric):
    save(db, rubric, "later", LI, "2026-04-10")
    vetoes.add(db, ADMIN, LI, "V5", "2026-02-01", "县发改委（信用）", today=TODAY)
    assert result(db, "later") == (["V5"], False)
    settings.change(db, ADMIN, COUNTY, "veto_months", "2", "县文明办 2026 年 5 号文")
    assert result(db, "later") == ([], True)  # 2 months: in force until 31 March
    settings.reset(db, ADMIN, COUNTY, "veto_months")
    assert result(db, "later") == (["V5"], False)


def test_a_surveyors_report_counts_only_once_the_office_confirms_it(db, rubric, tmp_path):
    save(db, rubric, "rep", LI, "2026-05-20", veto=["V3"])
    save(db, rubric, "rep2", ZHANG, "2026-05-21", veto=["V6"])
    assert result(db, "rep") == ([], True)  # suspected: does not count
    assert store.submission(db, "rep")["reported"] == ["V3"]
    office = reviewer()
    pending = vetoes.reports(db, office, COUNTY)
    assert [(r.submission_id, r.item, r.village_name) for r in pending] == [("rep", "V3", "李庄村"),
                                                                             ("rep2", "V6", "张家湾村")]
    with pytest.raises(DataError) as err:  # confirming needs the event's date and the source
        vetoes.confirm(db, office, "rep", "V3", "", "", today=TODAY)
    assert {p.key for p in err.value.problems} == {"date", "veto_source"}
    vetoes.confirm(db, office, "rep", "V3", "2026-05-02", "县应急管理局", "示应急〔2026〕7号", today=TODAY)
    assert result(db, "rep") == (["V3"], False)
    with pytest.raises(UsageError):
        vetoes.reject(db, office, "rep2", "V6", " ")
    vetoes.reject(db, office, "rep2", "V6", "经核实为 2023 年旧案，不在一年内")
    assert result(db, "rep2") == ([], True)
    assert vetoes.reports(db, office, COUNTY) == []  # both decided
    with pytest.raises(NotFound):
        vetoes.confirm(db, office, "rep2", "V6", "2026-05-02", "x", today=TODAY)  # decided already
    states = sorted((r.code, r.status, r.report) for r in vetoes.records(db, office, county=COUNTY))
    assert states == [(LI, "confirmed", "rep"), (ZHANG, "rejected", "rep2")]


def test_only_the_office_keeps_records(db):
    with pytest.raises(UsageError):
        vetoes.add(db, surveyor(), LI, "V1", "2026-01-01", "县纪委", today=TODAY)
    with pytest.raises(NotFound):  # out of scope looks unknown
        vetoes.add(db, reviewer(county="420102"), LI, "V1", "2026-01-01", "县纪委", today=TODAY)
    with pytest.raises(UsageError):
        vetoes.records(db, surveyor())


def test_a_record_with_a_future_date_an_unknown_item_or_place_is_refused(db):
    with pytest.raises(DataError) as err:
        vetoes.add(db, ADMIN, COUNTY + "999999", "V9", "2026-07-01", " ", today=TODAY)
    assert {p.key: p.field for p in err.value.problems} == {
        "place_unknown": "区划代码", "veto_item_unknown": "否决事项", "veto_date_future": "发生日期",
        "veto_source": "来源部门"}
    assert "2026-07-01 晚于今天（2026-06-30）" in str(err.value)
    assert vetoes.records(db, ADMIN) == []


# --- the file --------------------------------------------------------------------------------------

GOOD = f"""区划代码,否决事项,发生日期,来源部门,文号
{LI},V2,2026-03-10,县公安局,示公〔2026〕1号
{TOWN},V1,2026-01-15,县纪委,
"""


def write(tmp_path: Path, text: str, name: str = "vetoes.csv", encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_the_file_imports_once_and_applies(db, rubric, tmp_path):
    save(db, rubric, "s", ZHANG, "2026-02-01")
    path = write(tmp_path, GOOD)
    assert vetoes.import_file(db, ADMIN, path, today=TODAY) == vetoes.VetoImport(2, 0, 0)
    assert result(db, "s") == (["V1"], False)
    version = store.data_version(db)
    assert vetoes.import_file(db, ADMIN, path, today=TODAY) == vetoes.VetoImport(0, 0, 2)  # idempotent
    assert store.data_version(db) == version
    changed = write(tmp_path, GOOD.replace("示公〔2026〕1号", "示公〔2026〕2号"), "v2.csv", "gb18030")
    assert vetoes.import_file(db, ADMIN, changed, today=TODAY) == vetoes.VetoImport(0, 1, 1)
    documents = {r.code: r.document for r in vetoes.records(db, ADMIN)}
    assert documents == {LI: "示公〔2026〕2号", TOWN: None}


def test_every_bad_row_is_located_and_nothing_is_written(db, tmp_path):
    bad = f"""否决编码,区划代码,发生日期,来源部门
V2,{LI},2026-03-10,县公安局
V9,{LI},2026-03-10,县公安局
V2,42990110000,2026-03-10,县公安局
V2,{COUNTY}100999,2026-03-10,县公安局
V2,{LI},2026-07-01,县公安局
V2,{LI},2026-02-30,县公安局
V2,{ZHANG},2026-03-10,
V2,{LI},2026-03-10,县公安局
"""
    with pytest.raises(DataError) as err:
        vetoes.import_file(db, ADMIN, write(tmp_path, bad), today=TODAY)
    lines = [str(p) for p in err.value.problems]
    name = str(tmp_path / "vetoes.csv")
    assert [(p.line, p.field, p.key) for p in err.value.problems] == [
        (3, "否决编码", "veto_item_unknown"), (4, "区划代码", "veto_code"), (5, "区划代码", "place_unknown"),
        (6, "发生日期", "veto_date_future"), (7, "发生日期", "date"), (8, "来源部门", "veto_source"),
        (9, "区划代码", "veto_duplicate")]
    assert lines[0].startswith(f"{name}:3: 否决编码: 未知的一票否决事项“V9”")
    assert store.veto_rows(db) == []
    with pytest.raises(DataError) as err:
        vetoes.import_file(db, ADMIN, write(tmp_path, "区划代码,否决事项\n" + LI + ",V2\n"), today=TODAY)
    assert {p.field for p in err.value.problems} == {"发生日期", "来源部门"}  # the columns missing
    with pytest.raises(UsageError):
        vetoes.import_file(db, reviewer(), write(tmp_path, GOOD), today=TODAY)


def test_the_command_line_imports_and_reports_bad_rows(db, tmp_path, capsys):
    from survey import cli

    path = write(tmp_path, GOOD)
    assert cli.main(["--db", str(db), "import-vetoes", str(path)]) == 0
    assert "2 veto records added" in capsys.readouterr().err
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    bad = write(tmp_path, f"区划代码,否决事项,发生日期,来源部门\n{LI},V2,{future},县公安局\n", "bad.csv")
    assert cli.main(["--db", str(db), "import-vetoes", str(bad)]) == 1
    assert f"{bad}:2: 发生日期: 发生日期 {future} 晚于今天" in capsys.readouterr().err
    assert len(store.veto_rows(db)) == 2


def test_stored_results_and_the_round_query_stay_consistent(db, rubric):
    """The one table every reader uses holds the applied vetoes (no reader recomputes them)."""
    save(db, rubric, "a", LI, "2026-03-01")
    vetoes.add(db, ADMIN, LI, "V7", "2026-02-01", "县公安局", today=TODAY)
    con = sqlite3.connect(db)
    assert con.execute("SELECT veto, passed, veto_own, reaches FROM submissions WHERE id = 'a'").fetchone() == (
        '["V7"]', 0, "[]", 1)
    assert service.submissions_jsonl(db, ADMIN, "R1").decode().count('"veto":[]') == 1  # as received


def test_an_older_database_keeps_the_vetoes_its_results_were_counted_with(tmp_path, rubric):
    """Rows stored before the records: their ticked vetoes still count (``veto_own``), a record
    applies on top of them, and a titled village's title becomes the baseline of its history."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for number, script in enumerate(store.schema.MIGRATIONS[:8], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
    now = "2026-05-20T08:00:00+00:00"
    conn.executescript(f"""
        INSERT INTO counties VALUES ('{COUNTY}', '示范县');
        INSERT INTO townships VALUES ('{TOWN}', '{COUNTY}', '城关镇');
        INSERT INTO villages (code, township_code, county_code, name, title, title_year, updated_at)
            VALUES ('{LI}', '{TOWN}', '{COUNTY}', '李庄村', '市级', 2021, '{now}'),
                   ('{ZHANG}', '{TOWN}', '{COUNTY}', '张家湾村', '无', NULL, '{now}');
        INSERT INTO rounds VALUES ('R1', 'R1', NULL, NULL, '{now}');
        INSERT INTO submission_rows (id, village_code, round_id, date, surveyor, answers, veto, notes, content,
            sections, total, total_num, passed, findings, received_at)
            VALUES ('ticked', '{LI}', 'R1', '2026-03-01', '王芳', '{{}}', '["V2"]', '{{}}', '{{}}', '{{}}', '95', 95, 0,
                    0, '{now}'),
                   ('clean', '{ZHANG}', 'R1', '2026-03-01', '王芳', '{{}}', '[]', '{{}}', '{{}}', '{{}}', '95', 95, 1,
                    0, '{now}');
    """)
    conn.close()
    store.db._migrated.discard(str(path.resolve()))
    assert store.migrate(path) == store.SCHEMA_VERSION
    assert result(path, "ticked") == (["V2"], False) and result(path, "clean") == ([], True)
    assert store.submission(path, "ticked")["reported"] == []  # settled: not a report to decide again
    vetoes.add(path, ADMIN, TOWN, "V4", "2026-02-01", "县信访局", today=TODAY)
    assert result(path, "ticked") == (["V2", "V4"], False) and result(path, "clean") == (["V4"], False)
    [baseline] = store.title_events(path, LI)
    assert (baseline["action"], baseline["level"], baseline["date"], baseline["year"]) == (
        "record", "市级", "2021-01-01", 2021)
