"""The fix-it ledger (survey/ledger.py, ../shared/spec/ledger.md): entries opened by an approval in
its own transaction (never twice), deadlines, every move and rule, overdue by an injected clock,
recurrence, scope, entries by hand, the ledger file, the notice, and the command line."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, timedelta

import docx
import openpyxl
import pytest
from ledger_db import APPROVED_ON, NOTES, V1, V2, V3, WANTING, add_round, jpeg, submit, with_findings
from scoped_db import A1, ROUND, A, B, user
from scoped_db import perfect as perfect_answers

from core.errors import DataError, NotFound, UsageError
from survey import export, ledger, review, store
from survey.cli import main
from survey.rubric import Item, load_rubric
from survey.scoring import score
from survey.submissions import Submission

LATER = APPROVED_ON + timedelta(days=3)


@pytest.fixture
def db(scoped):
    return with_findings(scoped)


def by_item(db, who="rev-a", **filters) -> dict[str, ledger.Entry]:
    return {e.item_code: e for e in ledger.entries(db, user(db, who), village=V1, today=LATER, **filters)}


def audit(db, entry_id) -> list[tuple[str, str]]:
    return [(r["action"], r["actor"]) for r in reversed(store.audit_rows(db, entity="ledger", entity_id=str(entry_id)))]


# --- opening by approval --------------------------------------------------------------------------


def test_approving_opens_one_entry_per_finding_with_its_deadline_note_and_photos(db):
    found = by_item(db)
    assert sorted(found) == sorted(WANTING)
    assert {code: e.deadline for code, e in found.items()} == {
        "LJ03": "2026-06-04", "LJ07": "2026-06-04",  # hygiene: 7 days from the approval (28 May)
        "LJ02": "2026-06-27",  # facility: 30 days
        "YF01": "2026-06-27"}  # neither fix_days nor severity: 30 days
    e = found["LJ03"]
    assert ((e.found_on, e.round_id, e.status, e.status_label, e.source)
            == ("2026-05-20", ROUND, "open", "待整改", "approval"))
    assert e.problem == ("垃圾日产日清，户分类、村收集、镇转运、县处理链条运转正常（不符合）；"
                         "测评员记录：村口垃圾两天未清运")
    assert found["LJ07"].problem.startswith("暴露垃圾点") and "（3 处）" in found["LJ07"].problem
    assert "（评为 B）" in found["LJ02"].problem
    assert [p.kind for p in ledger.entry_photos(db, user(db, "rev-a"), e.id)] == ["before"]
    assert ledger.entry_photos(db, user(db, "rev-a"), found["YF01"].id) == []
    assert audit(db, e.id) == [("ledger.open", "rev-a")]


def test_a_grade_answered_by_criteria_names_its_unmet_criteria_in_the_entry(db):
    rubric = load_rubric()
    answers = perfect_answers(rubric) | {"LJ02": "C"}
    sub = Submission(id="sub-v2-c", village=V2, round=ROUND, date="2026-05-20", surveyor="王芳", lon=113.91,
                     lat=30.61, gps_accuracy_m=8.0, answers=answers, notes={"LJ02": "两户无桶"},
                     unmet={"LJ02": (1, 3)})
    store.save_submissions(db, [(sub, score(rubric, answers, (), sub.unmet))], origin="jsonl")
    reviewer = user(db, "rev-a")
    review.return_(db, reviewer, f"sub-{V2}", "重测")
    review.approve(db, reviewer, ["sub-v2-c"], today=APPROVED_ON)
    [e] = [e for e in ledger.entries(db, reviewer, village=V2, today=LATER) if e.item_code == "LJ02"]
    assert e.problem == ("生活垃圾至少分为两类投放（评为 C）；未达子项：农户配有分类垃圾桶（至少两类）、"
                         "村民知晓分类方法（随机询问 3 户）；测评员记录：两户无桶")


def test_findings_are_counted_as_the_villages_file_counts_them(db):
    [row] = [r for r in export.build(db, user(db, "admin"), ROUND, A)[0].villages if r[0] == V1]
    assert row[16] == len(by_item(db)) == 4  # 问题数


def test_approving_twice_or_a_newer_version_never_duplicates_an_entry(db):
    reviewer = user(db, "rev-a")
    with pytest.raises(UsageError) as caught:
        review.approve(db, reviewer, ["sub-v1-2"])
    assert caught.value.key == "review_decided"
    # a second submission of the same village and round (another surveyor), one new finding
    submit(db, V1, "sub-v1-3", {"LJ03": False, "XJ02": False}, {"XJ02": "参评率不足"})
    review.approve(db, reviewer, ["sub-v1-3"], today=LATER)
    found = by_item(db)
    assert sorted(found) == sorted([*WANTING, "XJ02"])
    assert found["LJ03"].deadline == "2026-06-04"  # the first entry stays as it was
    assert found["XJ02"].submission_id == "sub-v1-3"


def test_an_approval_and_its_entries_are_one_transaction(db):
    reviewer = user(db, "rev-a")
    submit(db, V2, "sub-v2-x", {"LJ03": False})
    with pytest.raises(UsageError):  # sub-v1-2 is approved already: nothing of the batch is written
        review.approve(db, reviewer, ["sub-v2-x", "sub-v1-2"])
    assert ledger.entries(db, reviewer, village=V2) == []
    assert review.detail(db, reviewer, "sub-v2-x").item.status == "pending"


def test_returning_opens_nothing(db):
    submit(db, V2, "sub-v2-x", {"LJ03": False})
    review.return_(db, user(db, "rev-a"), "sub-v2-x", "照片不清")
    assert ledger.entries(db, user(db, "rev-a"), village=V2) == []


# --- deadlines -----------------------------------------------------------------------------------


def test_fix_days_come_from_the_item_then_its_severity_for_the_county_then_the_default():
    rubric = load_rubric()
    hygiene, facility, neither = rubric.item("LJ03"), rubric.item("LJ01"), rubric.item("YF01")
    table = ledger.days_per_severity(A, rubric)
    assert table == {"hygiene": 7, "facility": 30}
    assert [ledger.fix_days(i, rubric, table) for i in (hygiene, facility, neither)] == [7, 30, 30]
    county = {"hygiene": 3, "facility": 60}  # a county that set its own days per severity
    assert [ledger.fix_days(i, rubric, county) for i in (hygiene, facility, neither)] == [3, 60, 30]
    own = Item("LX01", "garbage", "文本", "", "check", rubric.item("LJ03").points, severity="hygiene", fix_days=2)
    assert ledger.fix_days(own, rubric, county) == 2  # set on the item itself: it wins


def test_deadline_arithmetic_crosses_months_and_years():
    assert ledger.deadline(date(2026, 5, 28), 7) == date(2026, 6, 4)
    assert ledger.deadline(date(2026, 12, 30), 7) == date(2027, 1, 6)
    assert ledger.deadline(date(2028, 2, 27), 2) == date(2028, 2, 29)
    assert ledger.deadline(date(2026, 5, 28), 0) == date(2026, 5, 28)


def test_overdue_is_decided_by_the_day_and_ends_when_closed(db):
    reviewer = user(db, "rev-a")
    e = by_item(db)["LJ03"]
    due = date.fromisoformat(e.deadline)
    assert not ledger.entry(db, reviewer, e.id, today=due).overdue  # the deadline is the last day
    assert ledger.entry(db, reviewer, e.id, today=due + timedelta(days=1)).overdue
    late = due + timedelta(days=1)
    overdue = ledger.entries(db, reviewer, status="overdue", today=late)
    assert {x.item_code for x in overdue if x.village_code == V1} == {"LJ03", "LJ07"}
    ledger.report_fix(db, user(db, "liu"), e.id, "已清运", [(jpeg(), "after.jpg")], today=late)
    assert ledger.entry(db, reviewer, e.id, today=late).overdue  # fixed, not closed: still overdue
    ledger.recheck(db, user(db, "wang"), e.id, True, None, [(jpeg(), "re.jpg")], today=late)
    assert not ledger.entry(db, reviewer, e.id, today=late + timedelta(days=100)).overdue
    with pytest.raises(UsageError) as caught:
        ledger.entries(db, reviewer, status="late")
    assert caught.value.key == "ledger_status"


# --- moves ---------------------------------------------------------------------------------------


def test_the_liaison_fixes_with_a_photo_and_a_recheck_closes(db):
    e = by_item(db)["LJ03"]
    liu, wang = user(db, "liu"), user(db, "wang")
    fixed = ledger.report_fix(db, liu, e.id, "  已清运，落实日产日清  ", [(jpeg(), "after.jpg")], today=LATER)
    assert (fixed.status, fixed.fix_text, fixed.fixed_by) == ("fixed", "已清运，落实日产日清", "刘联络")
    assert [p.kind for p in ledger.entry_photos(db, wang, e.id)] == ["before", "after"]
    closed = ledger.recheck(db, wang, e.id, True, "已清理干净", [(jpeg(), "re.jpg")], today=LATER)
    assert (closed.status, closed.status_label, closed.closed_on, closed.rechecked_by) == (
        "closed", "已销号", LATER.isoformat(), "王芳")
    assert audit(db, e.id) == [("ledger.open", "rev-a"), ("ledger.fix", "liu"), ("ledger.recheck", "wang")]
    last = store.audit_rows(db, entity="ledger", entity_id=str(e.id), limit=1)[0]
    assert last["before"] == {"status": "fixed", "closed_on": None, "recheck_note": None, "rechecked_by": None,
                              "rechecked_at": None}
    assert last["after"]["status"] == "closed" and last["after"]["photos"] == {"recheck": 1}


def test_a_failed_recheck_opens_it_again_with_a_new_deadline_and_counts(db):
    e = by_item(db)["LJ02"]  # facility: 30 days
    ledger.report_fix(db, user(db, "liu"), e.id, "配了分类桶", [], today=LATER)  # no photo of this item
    with pytest.raises(UsageError) as caught:
        ledger.recheck(db, user(db, "wang"), e.id, False, "  ", today=LATER)
    assert caught.value.key == "ledger_recheck_note"
    again = ledger.recheck(db, user(db, "wang"), e.id, False, "仍有一半农户无分类桶", today=LATER)
    assert ((again.status, again.failed_rechecks, again.deadline)
            == ("open", 1, (LATER + timedelta(days=30)).isoformat()))
    ledger.report_fix(db, user(db, "liu"), e.id, "全部配齐", today=LATER)
    with pytest.raises(UsageError) as caught:  # a deadline in the past
        ledger.recheck(db, user(db, "rev-a"), e.id, False, "还差两户", new_deadline=LATER - timedelta(days=1),
                       today=LATER)
    assert caught.value.key == "ledger_deadline_past"
    twice = ledger.recheck(db, user(db, "rev-a"), e.id, False, "还差两户", new_deadline=date(2026, 7, 1), today=LATER)
    assert (twice.failed_rechecks, twice.deadline) == (2, "2026-07-01")
    assert [a for a, _ in audit(db, e.id)] == ["ledger.open", "ledger.fix", "ledger.reopen", "ledger.fix",
                                                "ledger.reopen"]


def test_no_move_skips_a_state(db):
    e = by_item(db)["YF01"]
    liu, wang = user(db, "liu"), user(db, "wang")
    with pytest.raises(UsageError) as caught:  # open -> closed
        ledger.recheck(db, wang, e.id, True, today=LATER)
    assert caught.value.key == "ledger_move" and "待整改" in str(caught.value)
    ledger.report_fix(db, liu, e.id, "已张贴", today=LATER)
    with pytest.raises(UsageError) as caught:  # fixed -> fixed
        ledger.report_fix(db, liu, e.id, "再次上报", today=LATER)
    assert caught.value.key == "ledger_move"
    ledger.recheck(db, wang, e.id, True, today=LATER)
    for move in (lambda: ledger.report_fix(db, liu, e.id, "x", today=LATER),
                 lambda: ledger.recheck(db, wang, e.id, False, "x", today=LATER)):
        with pytest.raises(UsageError) as caught:  # closed is the end
            move()
        assert caught.value.key == "ledger_move" and "已销号" in str(caught.value)
    assert [a for a, _ in audit(db, e.id)] == ["ledger.open", "ledger.fix", "ledger.recheck"]


def test_a_fix_needs_a_description_and_an_after_photo_when_the_evidence_is_a_photo(db):
    found, liu = by_item(db), user(db, "liu")
    with pytest.raises(UsageError) as caught:
        ledger.report_fix(db, liu, found["YF01"].id, "   ", today=LATER)
    assert caught.value.key == "ledger_fix_text"
    with pytest.raises(UsageError) as caught:
        ledger.report_fix(db, liu, found["LJ07"].id, "已清理", today=LATER)
    assert caught.value.key == "ledger_after_photo"
    with pytest.raises(UsageError) as caught:
        ledger.report_fix(db, liu, found["LJ07"].id, "已清理", [(jpeg(), f"{n}.jpg") for n in range(10)], today=LATER)
    assert caught.value.key == "ledger_photos_many"
    with pytest.raises(UsageError) as caught:  # a re-check of photo evidence needs a photo too
        ledger.report_fix(db, liu, found["LJ07"].id, "已清理", [(jpeg(), "a.jpg")], today=LATER)
        ledger.recheck(db, user(db, "wang"), found["LJ07"].id, True, today=LATER)
    assert caught.value.key == "ledger_recheck_photo"


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_written(db):
    e = by_item(db)["LJ03"]
    before = store.data_version(db)
    with pytest.raises(DataError) as caught:
        ledger.report_fix(db, user(db, "liu"), e.id, "已清运",
                          [(jpeg(), "good.jpg"), (b"%PDF-1.4 not a picture", "scan.jpg")], today=LATER)
    assert [(p.key, p.file) for p in caught.value.problems] == [("photo_unreadable", "scan.jpg")]
    assert store.data_version(db) == before
    assert ledger.entry(db, user(db, "liu"), e.id).status == "open"
    assert [p.kind for p in ledger.entry_photos(db, user(db, "liu"), e.id)] == ["before"]


def test_roles_the_liaison_fixes_but_closes_nothing_the_surveyor_fixes_nothing(db):
    e = by_item(db)["YF01"]
    with pytest.raises(UsageError) as caught:
        ledger.report_fix(db, user(db, "wang"), e.id, "x", today=LATER)
    assert caught.value.key == "forbidden"
    ledger.report_fix(db, user(db, "liu"), e.id, "已张贴", today=LATER)
    with pytest.raises(UsageError) as caught:
        ledger.recheck(db, user(db, "liu"), e.id, True, today=LATER)
    assert caught.value.key == "forbidden"
    with pytest.raises(UsageError):
        ledger.open_by_hand(db, user(db, "liu"), V1, "x", LATER)


# --- scope ---------------------------------------------------------------------------------------


def test_a_liaison_sees_and_touches_only_its_townships(db):
    liu, zhao = user(db, "liu"), user(db, "zhao")
    mine = ledger.worklist(db, liu, today=LATER)
    assert {e.village_code for e in mine} == {V1} and len(mine) == 4
    [theirs] = ledger.worklist(db, zhao, today=LATER)
    assert theirs.village_code == V3
    for call in (lambda: ledger.entry(db, zhao, mine[0].id),
                 lambda: ledger.report_fix(db, zhao, mine[0].id, "越权", today=LATER),
                 lambda: ledger.entry_photos(db, zhao, mine[0].id),
                 lambda: ledger.entry(db, liu, 999999),
                 lambda: ledger.entry(db, liu, "abc")):
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.key == "ledger_unknown"
    assert ledger.entry(db, liu, mine[0].id).status == "open"
    with pytest.raises(NotFound):  # a reviewer of another county
        ledger.entry(db, user(db, "rev-b"), mine[0].id)
    with pytest.raises(NotFound):
        ledger.entries(db, user(db, "rev-b"), county=A)
    assert ledger.entries(db, user(db, "rev-b")) == []


def test_the_worklist_puts_overdue_first(db):
    late = APPROVED_ON + timedelta(days=8)  # hygiene items are overdue, facility ones not yet
    order = [e.item_code for e in ledger.worklist(db, user(db, "liu"), today=late)]
    assert order[:2] == ["LJ03", "LJ07"] and set(order[2:]) == {"LJ02", "YF01"}


# --- recurrence ----------------------------------------------------------------------------------


def test_the_next_rounds_finding_of_an_open_entry_recurs(db):
    reviewer = user(db, "rev-a")
    add_round(db, "2026-B4", "2026-07-01")
    submit(db, V1, "sub-b4", {"LJ03": False, "LJ09": 1}, round_id="2026-B4", day="2026-07-10")
    review.approve(db, reviewer, ["sub-b4"], today=date(2026, 7, 12))
    b4 = {e.item_code: e for e in ledger.entries(db, reviewer, round_id="2026-B4")}
    assert b4["LJ03"].recurring and b4["LJ03"].recurs == by_item(db, round_id=ROUND)["LJ03"].id
    assert not b4["LJ09"].recurring  # found for the first time


def test_a_finding_recurs_after_an_entry_closed_within_the_last_two_rounds_only(db):
    reviewer, liu, wang = user(db, "rev-a"), user(db, "liu"), user(db, "wang")
    e = by_item(db)["YF01"]
    ledger.report_fix(db, liu, e.id, "已张贴", today=LATER)
    ledger.recheck(db, wang, e.id, True, today=LATER)  # closed on 31 May, during round B3
    # rounds before B3: B1 (March) and B2 (none yet: created now); B3 started 1 May
    for rid, start in (("2026-B4", "2026-07-01"), ("2026-B5", "2026-09-01"), ("2026-B6", "2026-11-01")):
        add_round(db, rid, start)
    submit(db, V1, "sub-b5", {"YF01": False}, round_id="2026-B5", day="2026-09-10")
    review.approve(db, reviewer, ["sub-b5"], today=date(2026, 9, 12))
    [b5] = ledger.entries(db, reviewer, round_id="2026-B5")
    assert b5.recurs == e.id  # closed on 31 May: within B3 and B4, the two rounds before B5
    ledger.report_fix(db, liu, b5.id, "已张贴", today=date(2026, 9, 13))
    ledger.recheck(db, wang, b5.id, True, today=date(2026, 9, 14))
    submit(db, V1, "sub-b6", {"YF01": False, "LJ03": False}, round_id="2026-B6", day="2026-11-10")
    review.approve(db, reviewer, ["sub-b6"], today=date(2026, 11, 12))
    b6 = {x.item_code: x for x in ledger.entries(db, reviewer, round_id="2026-B6")}
    assert b6["YF01"].recurs == b5.id  # closed in B5, the round before
    assert b6["LJ03"].recurs == by_item(db, round_id=ROUND)["LJ03"].id  # still open since B3


def test_recurrence_window_starts_two_counting_rounds_back():
    from core.model import Round

    rounds = [Round("B1", "B1", "2026-01-01"), Round("B2", "B2", None, None, "2026-03-05T01:00:00+00:00"),
              Round("B3", "B3", "2026-05-01")]
    assert ledger.recur_since(rounds, "B1") == "" and ledger.recur_since(rounds, "B2") == ""
    assert ledger.recur_since(rounds, "B3") == "2026-01-01"
    assert ledger.recur_since([*rounds, Round("B4", "B4", "2026-07-01")], "B4") == "2026-03-05"


def test_a_closed_entry_older_than_the_window_does_not_make_a_finding_recur(scoped):
    db, reviewer = scoped, user(scoped, "rev-a")
    with_findings(db)
    e = by_item(db)["YF01"]
    ledger.report_fix(db, user(db, "liu"), e.id, "已张贴", today=LATER)
    ledger.recheck(db, user(db, "wang"), e.id, True, today=LATER)  # closed 31 May
    for rid, start in (("2026-B4", "2026-07-01"), ("2026-B5", "2026-09-01"), ("2026-B6", "2026-11-01")):
        add_round(db, rid, start)
    submit(db, V1, "sub-b6", {"YF01": False}, round_id="2026-B6", day="2026-11-10")
    review.approve(db, reviewer, ["sub-b6"], today=date(2026, 11, 12))
    [b6] = ledger.entries(db, reviewer, round_id="2026-B6")
    assert not b6.recurring  # closed before B4, the first of the two rounds before B6


# --- by hand -------------------------------------------------------------------------------------


def test_an_officer_opens_an_entry_by_hand_with_text_and_a_photo(db):
    reviewer = user(db, "rev-a")
    e = ledger.open_by_hand(db, reviewer, V2, " 暗访发现河道漂浮垃圾 ", LATER + timedelta(days=5),
                            [(jpeg(), "暗访.jpg")], today=LATER)
    assert (e.source, e.round_id, e.item_code, e.problem, e.found_on, e.deadline, e.status) == (
        "manual", None, None, "暗访发现河道漂浮垃圾", LATER.isoformat(), "2026-06-05", "open")
    assert [p.kind for p in ledger.entry_photos(db, reviewer, e.id)] == ["before"]
    assert audit(db, e.id) == [("ledger.open", "rev-a")]
    fixed = ledger.report_fix(db, user(db, "liu"), e.id, "已打捞", [(jpeg(), "after.jpg")], today=LATER)
    assert fixed.status == "fixed"  # the same moves as any entry


@pytest.mark.parametrize("text, due, files, key", [
    ("  ", LATER, [], "ledger_text"),
    ("河道垃圾", LATER - timedelta(days=1), [], "ledger_deadline_past"),
    ("河道垃圾", LATER, [(b"not a picture", "x.png")], "photo_unreadable"),
    ("河" * 4001, LATER, [], "text_long"),
])
def test_bad_input_by_hand_writes_nothing(db, text, due, files, key):
    before = store.data_version(db)
    with pytest.raises((UsageError, DataError)) as caught:
        ledger.open_by_hand(db, user(db, "rev-a"), V2, text, due, files, today=LATER)
    keys = [p.key for p in caught.value.problems] if isinstance(caught.value, DataError) else [caught.value.key]
    assert keys == [key]
    assert store.data_version(db) == before
    with pytest.raises(NotFound):  # a village of another county
        ledger.open_by_hand(db, user(db, "rev-a"), B + "100201", "x", LATER, today=LATER)


# --- the file, the provincial pair, the notice ---------------------------------------------------

HEADERS = ["编号", "区划代码", "县", "乡镇", "村", "测评轮次", "项目编码", "问题", "发现日期", "整改期限", "状态",
           "逾期", "反复出现", "复查未通过次数", "销号日期"]


def test_the_ledger_csv_is_the_spec_dialect_sorted_and_guarded(db):
    reviewer = user(db, "rev-a")
    ledger.open_by_hand(db, reviewer, V1, "群众投诉：村口积水", LATER, today=LATER)
    data = ledger.ledger_bytes(db, reviewer, today=APPROVED_ON + timedelta(days=8))
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADERS
    body = rows[1:]
    assert [(r[1], r[6]) for r in body] == [(V1, ""), (V1, "LJ02"), (V1, "LJ03"), (V1, "LJ07"), (V1, "YF01"),
                                            (V3, "LJ03")]
    first = body[2]
    assert first[2:9] == ["甲县", "城关镇", "甲村", ROUND, "LJ03", first[7], "2026-05-20"]
    assert first[9:] == ["2026-06-04", "待整改", "是", "否", "0", ""]
    assert body[0][5] == "" and body[0][10:12] == ["待整改", "是"]  # by hand: no round; due 31 May, read 5 June
    lj07 = body[3][7]
    assert NOTES["LJ07"] in lj07 and not lj07.startswith("=")  # the note is inside the text
    evil = ledger.open_by_hand(db, reviewer, V2, '=HYPERLINK("http://x")', LATER, today=LATER)
    rows = list(csv.reader(io.StringIO(ledger.ledger_bytes(db, reviewer, today=LATER).decode("utf-8-sig"))))
    assert [r[7] for r in rows if r[0] == str(evil.id)] == ['\'=HYPERLINK("http://x")']


def test_the_ledger_xlsx_has_one_sheet_with_codes_as_text(db):
    data = ledger.ledger_bytes(db, user(db, "admin"), "xlsx", status="open", today=LATER)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["台账"]
    got = list(wb["台账"].iter_rows(values_only=True))
    assert list(got[0]) == HEADERS and len(got) == 6
    assert all(isinstance(r[1], str) and len(r[1]) == 12 for r in got[1:])
    assert wb["台账"].cell(row=2, column=2).number_format == "@"


def test_the_ledger_moves_change_nothing_of_the_provincial_csv_pair(db):
    def pair() -> dict[str, bytes]:
        return export.build(db, user(db, "admin"), ROUND, A)[0].csv_pair()[0]

    before = pair()
    e = by_item(db)["YF01"]
    ledger.report_fix(db, user(db, "liu"), e.id, "已张贴", today=LATER)
    ledger.recheck(db, user(db, "wang"), e.id, False, "未张贴", today=LATER)
    ledger.open_by_hand(db, user(db, "rev-a"), V2, "投诉", LATER, today=LATER)
    assert pair() == before
    assert [c.header for c in export.VILLAGE_COLUMNS][-1] == "提交编号" and len(export.VILLAGE_COLUMNS) == 21


def notice_text(data: bytes) -> tuple[list[str], list[list[str]]]:
    doc = docx.Document(io.BytesIO(data))
    return [p.text for p in doc.paragraphs], [[c.text for c in r.cells] for t in doc.tables for r in t.rows]


def test_the_notice_names_the_township_its_entries_deadlines_office_and_date(db):
    data = ledger.notice_docx(db, user(db, "rev-a"), A1, today=APPROVED_ON + timedelta(days=8))
    paragraphs, rows = notice_text(data)
    assert paragraphs[0] == "甲县文明村镇创建问题整改督办单"
    assert "城关镇：" in paragraphs and "2026年6月5日" in paragraphs and "甲县文明办（盖章）" in paragraphs
    assert "4 个问题尚未整改销号，其中 2 个已超过整改期限" in "".join(paragraphs)
    assert rows[0] == ["序号", "村", "项目编码", "问题", "发现日期", "整改期限", "状态", "逾期"]
    assert [(r[1], r[2], r[5], r[7]) for r in rows[1:]] == [
        ("甲村", "LJ03", "2026-06-04", "是"), ("甲村", "LJ07", "2026-06-04", "是"),
        ("甲村", "LJ02", "2026-06-27", "否"), ("甲村", "YF01", "2026-06-27", "否")]
    with pytest.raises(NotFound):  # another county's township
        ledger.notice_docx(db, user(db, "rev-a"), B + "100")
    with pytest.raises(UsageError):
        ledger.notice_docx(db, user(db, "liu"), A1)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (Debian libreoffice-writer) is not installed; "
                                            "make office-deps installs it")
def test_the_notice_opens_in_libreoffice_with_its_chinese_text_intact(db, tmp_path):
    path = tmp_path / "督办单.docx"
    path.write_bytes(ledger.notice_docx(db, user(db, "rev-a"), A1, today=LATER))
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(tmp_path / "out"), str(path)],
                   check=True, capture_output=True, timeout=180)
    text = (tmp_path / "out" / "督办单.txt").read_text(encoding="utf-8-sig")
    for expected in ("甲县文明村镇创建问题整改督办单", "城关镇：", "甲村", "垃圾日产日清", "村口垃圾两天未清运",
                     "2026-06-04", "待整改", "甲县文明办（盖章）", "2026年5月31日"):
        assert expected in text, expected


def test_the_bulletin_publishes_recurring_and_overdue_entries(db, tmp_path):
    from survey.bulletin import report_for

    out = report_for(db, user(db, "rev-a"), ROUND, A, tmp_path / "通报.docx", pdf=False,
                     today=APPROVED_ON + timedelta(days=8))
    doc = docx.Document(str(out.docx))
    assert "五、整改台账：反复出现和逾期未整改的问题" in [p.text for p in doc.paragraphs]
    [table] = [t for t in doc.tables if t.rows[0].cells[0].text == "村" and t.rows[0].cells[2].text == "项目编码"]
    assert [[c.text for c in r.cells][:3] for r in table.rows][1:] == [
        ["甲村", "城关镇", "LJ03"], ["甲村", "城关镇", "LJ07"], ["丙村", "青石镇", "LJ03"]]


def test_township_counts_for_the_dashboard(db):
    late = APPROVED_ON + timedelta(days=8)
    counts = ledger.township_counts(db, user(db, "rev-a"), A, today=late)
    assert {code: (c["open"], c["overdue"]) for code, c in counts.items()} == {A1: (4, 2), "429901101": (1, 1)}
    assert set(ledger.township_counts(db, user(db, "rev-a2"), A, today=late)) == {"429901101"}


# --- the command line ----------------------------------------------------------------------------


def test_ledger_command_writes_csv_to_stdout_and_xlsx_by_extension(db, tmp_path, capsysbinary):
    assert main(["ledger", "--db", str(db), "--status", "open"]) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith(b"\xef\xbb\xbf\xe7\xbc\x96\xe5\x8f\xb7,")  # BOM, 编号
    assert len(out.decode("utf-8-sig").splitlines()) == 6
    assert main(["ledger", "--db", str(db), "--county", B]) == 0
    assert len(capsysbinary.readouterr().out.decode("utf-8-sig").splitlines()) == 1  # the header only
    assert main(["ledger", "--db", str(db), "--round", ROUND, "--out", str(tmp_path / "台账.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "台账.xlsx").sheetnames == ["台账"]
    assert main(["ledger", "--db", str(db), "--status", "closed", "--out", str(tmp_path / "x.csv")]) == 0
    assert (tmp_path / "x.csv").read_bytes().decode("utf-8-sig").splitlines() == [",".join(HEADERS)]


def test_ledger_command_refuses_bad_input(db, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["ledger", "--db", str(db), "--status", "late"])
    assert caught.value.code == 2 and "invalid choice: 'late'" in capsys.readouterr().err
    assert main(["ledger", "--db", str(db), "--out", str(tmp_path / "x.pdf")]) == 2
    assert ".xlsx" in capsys.readouterr().err and not (tmp_path / "x.pdf").exists()
    assert main(["ledger", "--db", str(db), "--round", "2099-X"]) == 1
    assert "2099-X" in capsys.readouterr().err


def test_approve_command_approves_as_the_reviewer_and_opens_entries(scoped, capsys):
    db = scoped
    submit(db, V2, "sub-v2-x", {"LJ03": False, "LJ01": False})
    assert main(["approve", "--db", str(db), "--round", ROUND, "--as", "rev-a", "--village", V2, V3]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "3"  # 乙村's two submissions and 丙村's
    assert {e.item_code for e in ledger.entries(db, user(db, "rev-a"), village=V2)} == {"LJ03", "LJ01"}
    actions = [(r["action"], r["actor"]) for r in store.audit_rows(db, entity="submission", entity_id="sub-v2-x")]
    assert ("review.approved", "rev-a") in actions
    assert main(["approve", "--db", str(db), "--round", ROUND, "--as", "rev-a", "--village", V2]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "0" and f"{V2}: no pending submission" in captured.err
    assert main(["approve", "--db", str(db), "--round", ROUND, "--as", "rev-a"]) == 0
    assert capsys.readouterr().out.strip() == "1"  # 甲村 is left, 丁村 is another county's
    assert review.detail(db, user(db, "rev-b"), f"sub-{B}100201").item.status == "pending"


@pytest.mark.parametrize("args, code, says", [
    (["--as", "wang"], 2, "不是审核员"),
    (["--as", "nobody"], 1, "nobody"),
    (["--as", "rev-b", "--village", V1], 1, V1),  # another county's village looks unknown
    (["--as", "rev-a", "--village", A1 + "999"], 1, A1 + "999"),
])
def test_approve_command_refuses_bad_input(scoped, capsys, args, code, says):
    assert main(["approve", "--db", str(scoped), "--round", ROUND, *args]) == code
    assert says in capsys.readouterr().err
    assert review.queue(scoped, user(scoped, "admin"), ROUND) != []
    assert store.ledger_entries(scoped) == []


def test_an_entry_is_built_from_the_stores_columns_in_order():
    from survey.store.ledger import ENTRY_COLUMNS

    assert ledger.Entry._fields == (*ENTRY_COLUMNS, "overdue")
