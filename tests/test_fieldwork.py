"""The tablet's use cases: drafts saved at once, evidence rule, submit exactly once."""

import io
import sqlite3
from dataclasses import replace
from datetime import date

import pytest
from builders import admin, best, reviewer, surveyor
from PIL import Image

from core import limits
from core.errors import DataError, NotFound, UsageError
from core.model import Round
from survey import fieldwork, gps, photos, store
from survey.registry import VillageRow
from survey.rubric import load_rubric
from survey.scoring import grade_from_criteria, score
from survey.submissions import parse_submission

ROUND = "2026-B4"
CODE = "429901100001"
WANG = surveyor("王芳")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "field.db"
    store.import_registry(path, [
        VillageRow(code=CODE, name="李庄村", township="城关镇", county="示范县", lon=113.9,
                   lat=30.6, title="无", title_year=None, households=120, demo=False, line=2),
        VillageRow(code="429901100002", name="张家湾村", township="城关镇", county="示范县",
                   lon=113.92, lat=30.61, title="县级", title_year=2024, households=80, demo=False,
                   line=3),
    ])
    store.create_round(path, Round(ROUND, "第四次双月测评"))
    return path


@pytest.fixture
def rubric():
    return load_rubric()


def complete(db, rubric, draft):
    """Every item answered with full points (a grade item: every criterion met)."""
    for item in rubric.items:
        if item.type == "grade":
            draft = fieldwork.criteria(db, WANG, rubric, draft, item.code, [True] * len(item.criteria))
        else:
            draft = fieldwork.answer(db, WANG, draft, item.code, best(item))
    return fieldwork.set_veto(db, WANG, draft, [])


def one_short(db, rubric, draft, item, missed=(2,)):
    """``item`` answered with the criteria numbered ``missed`` not met."""
    return fieldwork.criteria(db, WANG, rubric, draft, item.code,
                              [n not in missed for n in range(1, len(item.criteria) + 1)])


def jpeg(color=(120, 130, 140)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(out, "JPEG")
    return out.getvalue()


def test_a_new_draft_is_saved_on_its_first_change_and_restored(db, rubric):
    draft = fieldwork.open_draft(db, admin(), ROUND, CODE, " 王芳 ")
    assert draft.surveyor == "王芳" and len(draft.id) == 36
    assert store.round_progress(db, ROUND) == {}  # looking is not drafting
    first = rubric.items[0]
    draft = fieldwork.answer(db, WANG, draft, first.code, False)
    draft = fieldwork.note(db, WANG, draft, first.code, "  村口无垃圾桶 ")
    draft = fieldwork.set_fix(db, WANG, draft, gps.Fix(113.901, 30.601, 9.0, "browser"))
    assert store.round_progress(db, ROUND, "王芳") == {CODE: "draft"}
    again = fieldwork.open_draft(db, surveyor("王芳"), ROUND, CODE)
    assert again == draft
    assert again.answers == {first.code: False} and again.notes == {first.code: "村口无垃圾桶"}
    assert fieldwork.open_draft(db, surveyor("李明"), ROUND, CODE).answers == {}  # another surveyor's own


def test_clearing_an_answer_and_counts_as_integers(db, rubric):
    count = next(i for i in rubric.items if i.type == "count")
    draft = fieldwork.open_draft(db, surveyor("王芳"), ROUND, CODE)
    draft = fieldwork.answer(db, WANG, draft, count.code, 2.0)
    assert draft.answers[count.code] == 2 and type(draft.answers[count.code]) is int
    draft = fieldwork.answer(db, WANG, draft, count.code, None)
    assert count.code not in fieldwork.open_draft(db, surveyor("王芳"), ROUND, CODE).answers


def test_running_total_follows_the_answers(db, rubric):
    draft = fieldwork.open_draft(db, surveyor("王芳"), ROUND, CODE)
    check = next(i for i in rubric.items if i.type == "check")
    draft = fieldwork.answer(db, WANG, draft, check.code, True)
    running = fieldwork.progress(rubric, draft)
    assert running.total == check.points and running.answered == 1
    draft = fieldwork.answer(db, WANG, draft, check.code, False)
    assert fieldwork.progress(rubric, draft).total == 0


def test_validation_lists_unanswered_items_and_the_veto_question(db, rubric):
    draft = fieldwork.open_draft(db, surveyor("王芳"), ROUND, CODE)
    missing = fieldwork.validate(rubric, draft, set())
    assert [m.item for m in missing if m.kind == "answer"] == [i.code for i in rubric.items]
    assert missing[-1] == fieldwork.Missing("veto", "")
    assert fieldwork.validate(rubric, complete(db, rubric, draft), set()) == []


def test_a_finding_needs_a_note_and_a_photo(db, rubric):
    draft = complete(db, rubric, fieldwork.open_draft(db, surveyor("王芳"), ROUND, CODE))
    grade = next(i for i in rubric.items if i.type == "grade" and i.evidence == "photo")
    draft = one_short(db, rubric, draft, grade)
    assert draft.answers[grade.code] == grade.grade_names[1]
    assert fieldwork.needs_evidence(grade, draft) and fieldwork.needs_photo(grade, draft)
    assert fieldwork.validate(rubric, draft, set()) == [
        fieldwork.Missing("note", grade.code), fieldwork.Missing("photo", grade.code)]
    outcome = fieldwork.submit(db, WANG, rubric, draft)
    assert outcome.submission_id is None and len(outcome.missing) == 2
    assert not store.submission_exists(db, draft.id)
    draft = fieldwork.note(db, WANG, draft, grade.code, "两户未分类")
    fieldwork.add_photo(db, WANG, draft, grade.code, jpeg(), "a.jpg")
    assert fieldwork.validate(rubric, draft, {grade.code}) == []


def test_a_documentary_or_interview_finding_needs_a_note_and_no_photo(db, rubric):
    """"No register", "no yearly re-rating", "a lavish banquet last month": nothing to photograph."""
    draft = complete(db, rubric, fieldwork.open_draft(db, WANG, ROUND, CODE))
    register = rubric.item("YF05")  # 红白事报备登记簿 (check, document)
    banquet = rubric.item("YF06")  # 大操大办 (count, interview)
    council = rubric.item("YF02")  # 红白理事会 (grade, document)
    assert (register.evidence, banquet.evidence, council.evidence) == ("document", "interview", "document")
    draft = fieldwork.answer(db, WANG, draft, register.code, False)
    draft = fieldwork.answer(db, WANG, draft, banquet.code, 1)
    draft = one_short(db, rubric, draft, council, missed=(3,))
    assert not fieldwork.needs_photo(register, draft) and fieldwork.needs_evidence(register, draft)
    assert fieldwork.validate(rubric, draft, set()) == [
        fieldwork.Missing("note", council.code), fieldwork.Missing("note", register.code),
        fieldwork.Missing("note", banquet.code)]  # in rubric order
    for item, text in ((register, "无登记簿"), (banquet, "上月一户办酒 40 桌"), (council, "无活动记录")):
        draft = fieldwork.note(db, WANG, draft, item.code, text)
    assert fieldwork.validate(rubric, draft, set()) == []  # no photo asked
    outcome = fieldwork.submit(db, WANG, rubric, draft, today=date(2026, 7, 2))
    stored = store.submission(db, outcome.submission_id)
    assert stored["unmet"] == {council.code: [council.criteria[2]]}  # the finding's text
    assert stored["unmet_numbers"][council.code] == [3]


@pytest.mark.parametrize("missed, grade", [(0, "A"), (1, "B"), (2, "C"), (3, "C#"), (4, "C#")])
def test_a_grade_item_criterion_by_criterion_gets_its_grade_by_the_rule(db, rubric, missed, grade):
    item = rubric.item("YF02")  # four criteria
    draft = fieldwork.open_draft(db, WANG, ROUND, CODE)
    for n in range(1, 5):
        draft = fieldwork.criterion(db, WANG, rubric, draft, item.code, n, n > missed)
        if n < 4:
            assert item.code not in draft.answers  # no grade before every criterion is answered
    assert draft.answers[item.code] == grade
    again = fieldwork.open_draft(db, WANG, ROUND, CODE)  # the draft keeps the criteria
    assert again.criteria[item.code] == tuple(n > missed for n in range(1, 5))
    assert fieldwork.submission_dict(again, "2026-07-02")["unmet"] == {item.code: list(range(1, missed + 1))}
    assert ("answer", item.code) not in [tuple(m) for m in fieldwork.validate(rubric, again, set())]
    cleared = fieldwork.criterion(db, WANG, rubric, again, item.code, 1, None)
    assert item.code not in cleared.answers
    assert fieldwork.Missing("answer", item.code) in fieldwork.validate(rubric, cleared, set())


def test_a_grade_letter_alone_does_not_answer_a_grade_item(db, rubric):
    item = rubric.item("YF02")
    draft = fieldwork.answer(db, WANG, fieldwork.open_draft(db, WANG, ROUND, CODE), item.code, "A")
    assert fieldwork.Missing("answer", item.code) in fieldwork.validate(rubric, draft, set())


def test_the_same_photo_twice_is_stored_once_and_can_be_removed(db, rubric):
    draft = fieldwork.open_draft(db, surveyor("王芳"), ROUND, CODE)
    code = rubric.items[0].code
    first = fieldwork.add_photo(db, WANG, draft, code, jpeg(), "a.jpg")
    assert fieldwork.add_photo(db, WANG, draft, code, jpeg(), "a.jpg") == first
    other = fieldwork.add_photo(db, WANG, draft, code, jpeg((10, 20, 30)), "b.jpg")
    assert [p.id for p in fieldwork.draft_photos(db, WANG, draft)] == [first, other]
    assert store.round_progress(db, ROUND, "王芳") == {CODE: "draft"}
    store.delete_photo(db, first)
    assert [p.id for p in fieldwork.draft_photos(db, WANG, draft)] == [other]
    assert store.photo_jpeg(db, other)[:2] == b"\xff\xd8"


def test_submit_stores_once_scores_exactly_and_links_photos(db, rubric):
    draft = complete(db, rubric, fieldwork.open_draft(db, surveyor("王芳"), ROUND, CODE))
    count = next(i for i in rubric.items if i.type == "count")
    draft = fieldwork.answer(db, WANG, draft, count.code, 3)
    draft = fieldwork.note(db, WANG, draft, count.code, "村口三处暴露垃圾")
    fieldwork.add_photo(db, WANG, draft, count.code, jpeg(), "a.jpg")
    draft = fieldwork.set_veto(db, WANG, draft, ["V2"])
    draft = fieldwork.set_fix(db, WANG, draft, gps.Fix(113.901, 30.601, 9.0, "browser"))

    outcome = fieldwork.submit(db, WANG, rubric, draft, today=date(2026, 7, 2))
    assert outcome.added and outcome.submission_id == draft.id
    expected = score(rubric, draft.answers, ())
    stored = store.submission(db, draft.id)
    assert stored["total"] == expected.total == outcome.score.total
    assert stored["sections"] == expected.sections
    # the surveyor's V2 is a report: suspected until the office confirms it, it does not count
    assert stored["reported"] == ["V2"] and stored["veto"] == [] and not outcome.score.vetoed
    assert stored["passed"] == int(expected.passed) and stored["date"] == "2026-07-02"
    assert (stored["lon"], stored["lat"], stored["gps_accuracy_m"]) == (113.901, 30.601, 9.0)
    assert [p.item_code for p in store.submission_photos(db, draft.id)] == [count.code]
    assert store.load_draft(db, ROUND, CODE, "王芳") is None
    assert store.round_progress(db, ROUND, "王芳") == {CODE: "submitted"}

    again = fieldwork.submit(db, WANG, rubric, draft, today=date(2026, 7, 2))  # a double tap
    assert not again.added and again.submission_id == draft.id
    rows = sqlite3.connect(db).execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    assert rows == 1


def test_a_resubmit_after_a_dropped_connection_stores_nothing_new(db, rubric, monkeypatch):
    draft = complete(db, rubric, fieldwork.open_draft(db, WANG, ROUND, CODE))
    grade = next(i for i in rubric.items if i.type == "grade")
    draft = one_short(db, rubric, draft, grade)
    draft = fieldwork.note(db, WANG, draft, grade.code, "两户未分类")
    fieldwork.add_photo(db, WANG, draft, grade.code, jpeg(), "a.jpg")
    saved = store.save_submissions

    def stored_then_connection_lost(*args, **kwargs):
        saved(*args, **kwargs)
        raise ConnectionError("tablet went to sleep")

    with monkeypatch.context() as m:
        m.setattr(store, "save_submissions", stored_then_connection_lost)
        with pytest.raises(ConnectionError):
            fieldwork.submit(db, WANG, rubric, draft, today=date(2026, 7, 2))
    # stored with its photo and its draft closed, in one transaction
    assert [p.item_code for p in store.submission_photos(db, draft.id)] == [grade.code]
    assert store.load_draft(db, ROUND, CODE, "王芳") is None
    # The surveyor taps submit again on the draft the tablet still shows: nothing new is stored.
    outcome = fieldwork.submit(db, WANG, rubric, draft, today=date(2026, 7, 3))
    assert not outcome.added and outcome.submission_id == draft.id
    assert store.submission(db, draft.id)["date"] == "2026-07-02"


def test_opening_a_draft_whose_submission_was_stored_before_closing_drafts_closes_it(db, rubric):
    """A draft left open by a version that closed drafts in a second transaction."""
    draft = complete(db, rubric, fieldwork.open_draft(db, WANG, ROUND, CODE))
    draft = fieldwork.save(db, WANG, replace(draft, date="2026-07-02"))
    sub, _ = parse_submission(fieldwork.submission_dict(draft, "2026-07-02"), rubric, None, "t", None)
    store.save_submissions(db, [(sub, score(rubric, sub.answers, sub.veto))])  # no drafts= : left open
    assert store.load_draft(db, ROUND, CODE, "王芳") is not None
    fresh = fieldwork.open_draft(db, WANG, ROUND, CODE)
    assert fresh.id != draft.id and fresh.answers == {}
    assert store.load_draft(db, ROUND, CODE, "王芳") is None


def test_nobody_works_on_another_surveyors_draft_or_outside_their_scope(db, rubric):
    draft = fieldwork.open_draft(db, WANG, ROUND, CODE)
    li = surveyor("李明")
    with pytest.raises(UsageError) as err:
        fieldwork.answer(db, li, draft, rubric.items[0].code, True)
    assert err.value.key == "forbidden"
    with pytest.raises(UsageError):
        fieldwork.open_draft(db, li, ROUND, CODE, "王芳")  # signing as somebody else
    with pytest.raises(NotFound):
        fieldwork.open_draft(db, surveyor("王芳", county="420102"), ROUND, CODE)
    with pytest.raises(UsageError):
        fieldwork.open_draft(db, reviewer(), ROUND, CODE)
    assert store.load_draft(db, ROUND, CODE, "王芳") is None  # nothing written by any of them


# --- the tablet's sync: changes queued in the browser, sent when the link allows --------------

OPEN = Round("2026-B5", "第五次双月测评", "2026-09-01", "2026-10-31")
TODAY = date(2026, 10, 20)


@pytest.fixture
def live(db):
    """A round open on TODAY."""
    store.create_round(db, OPEN)
    return db


def ops_of(*changes, start=1):
    """[{"seq", "kind", "item", "value"[, "index"]}] numbered from ``start``."""
    out = []
    for n, change in enumerate(changes):
        kind, item, value, *index = change
        op = {"seq": start + n, "kind": kind, "item": item, "value": value}
        if index:
            op["index"] = index[0]
        out.append(op)
    return out


def sync(db, rubric, ops, draft_id=None, user=WANG, surveyor="王芳", today=TODAY):
    return fieldwork.sync(db, user, rubric, OPEN.id, CODE, surveyor, draft_id or DRAFT, ops, today=today)


DRAFT = "0d6f0d53-6f49-4a8e-9f0e-6a5a0c3f7e11"


def draft_audits(db) -> list[dict]:
    return [r for r in store.audit_rows(db, limit=1000) if r["action"] == "draft.save"]


def test_queued_answers_are_stored_once_however_often_they_arrive(live, rubric):
    check, count = (next(i for i in rubric.items if i.type == t) for t in ("check", "count"))
    ops = ops_of(("answer", check.code, False), ("note", check.code, " 村口无垃圾桶 "),
                 ("answer", count.code, 2), ("veto", "", []),
                 ("fix", "", {"lon": 113.901, "lat": 30.601, "accuracy_m": 8.5, "source": "browser"}))
    first = sync(live, rubric, ops)
    assert first.applied == (1, 2, 3, 4, 5) and first.stale == () and first.refused == ()
    draft = first.draft
    assert draft.id == DRAFT and draft.answers == {check.code: False, count.code: 2}
    assert draft.notes == {check.code: "村口无垃圾桶"} and draft.veto == ()
    assert draft.fix == gps.Fix(113.901, 30.601, 8.5, "browser")
    audits = len(draft_audits(live))
    again = sync(live, rubric, ops)  # the answer to the first request was lost: sent again
    assert again.applied == () and again.stale == (1, 2, 3, 4, 5)
    assert fieldwork.open_draft(live, WANG, OPEN.id, CODE) == draft
    assert len(draft_audits(live)) == audits  # nothing stored twice


def test_a_later_answer_never_loses_to_an_earlier_one_that_arrived_late(live, rubric):
    check = rubric.items[0]
    sync(live, rubric, ops_of(("answer", check.code, True), start=20))
    late = sync(live, rubric, ops_of(("answer", check.code, False), ("note", check.code, "迟到"), start=10))
    assert late.stale == (10,) and late.applied == (11,)
    assert late.draft.answers == {check.code: True} and late.draft.notes == {check.code: "迟到"}


def test_a_grade_item_is_answered_criterion_by_criterion(live, rubric):
    grade = next(i for i in rubric.items if i.type == "grade")
    n = len(grade.criteria)
    met = [True] * (n - 2) + [False, False]
    part = sync(live, rubric, [{"seq": k + 1, "kind": "criterion", "item": grade.code, "index": k,
                                "value": v} for k, v in enumerate(met[:-1])])
    assert grade.code not in part.draft.answers  # one criterion still open
    done = sync(live, rubric, [{"seq": n, "kind": "criterion", "item": grade.code, "index": n - 1,
                                "value": met[-1]}])
    assert done.draft.answers[grade.code] == grade_from_criteria(grade, met) == grade.grade_names[2]
    assert done.draft.criteria[grade.code] == tuple(met)
    cleared = sync(live, rubric, ops_of(("answer", grade.code, None), start=100))
    assert grade.code not in cleared.draft.answers and grade.code not in cleared.draft.criteria


def test_changes_the_rules_refuse_are_listed_and_nothing_of_them_is_stored(live, rubric):
    check, count, grade = (next(i for i in rubric.items if i.type == t) for t in ("check", "count", "grade"))
    raw = ops_of(("answer", "ZZ99", True), ("answer", check.code, 1), ("answer", count.code, 1.5),
                 ("answer", count.code, -1), ("answer", grade.code, "A"), ("note", check.code, "x" * 4001),
                 ("veto", "", ["V99"]), ("fix", "", {"lon": 200, "lat": 30, "source": "manual"}),
                 ("answer", check.code, True), ("explode", "", None))
    raw.append({"seq": "12", "kind": "answer", "item": check.code, "value": False})
    raw.append({"seq": 13, "kind": "criterion", "item": grade.code, "index": 99, "value": True})
    raw.append("not an operation")
    result = sync(live, rubric, raw)
    assert result.applied == (9,)
    keys = [r.key for r in result.refused]
    assert keys == ["item_unknown", "answer_check", "answer_count", "answer_count", "tablet_grade_by_criteria",
                    "text_long", "veto_unknown", "lon_range", "tablet_op_kind", "tablet_op_seq",
                    "tablet_criterion", "tablet_op_shape"]
    assert "ZZ99" in result.refused[0].message and "未知的测评项目" in result.refused[0].message
    assert store.load_draft(live, OPEN.id, CODE, "王芳")["answers"] == {check.code: True}
    with pytest.raises(UsageError) as err:
        sync(live, rubric, {"not": "a list"})
    assert err.value.key == "tablet_ops"


def test_answers_queued_for_a_closed_round_are_refused(live, rubric):
    ops = ops_of(("answer", rubric.items[0].code, True))
    assert not fieldwork.round_closed(OPEN, date(2026, 12, 1))  # 31 days to hand in late
    result = sync(live, rubric, ops, today=date(2026, 12, 2))
    assert result.refused_all.key == "tablet_round_closed" and "2026-10-31" in result.refused_all.message
    assert result.applied == () and store.load_draft(live, OPEN.id, CODE, "王芳") is None


def _submitted(db, rubric):
    complete = [("answer", i.code, best(i)) for i in rubric.items if i.type != "grade"]
    complete += [("criterion", i.code, True, k) for i in rubric.items if i.type == "grade"
                 for k in range(len(i.criteria))]
    complete.append(("veto", "", []))
    sync(db, rubric, ops_of(*complete))
    outcome = fieldwork.submit_draft(db, WANG, rubric, OPEN.id, CODE, "王芳", DRAFT, today=TODAY)
    assert outcome.added and outcome.score.total == rubric.total
    return outcome


def test_answers_queued_for_a_village_submitted_or_returned_meanwhile_are_refused(live, rubric):
    from survey import review

    _submitted(live, rubric)
    late = sync(live, rubric, ops_of(("answer", rubric.items[0].code, False), start=10**6))
    assert late.refused_all.key == "tablet_submitted" and late.applied == ()
    assert late.draft.id != DRAFT and late.draft.answers == {}  # the village's next draft, empty
    assert store.submission(live, DRAFT)["answers"][rubric.items[0].code] is True
    review.return_(live, reviewer(), DRAFT, "请补充照片")
    late = sync(live, rubric, ops_of(("note", rubric.items[0].code, "补"), start=10**6 + 1))
    assert late.refused_all.key == "tablet_returned" and "我的提交" in late.refused_all.message
    assert store.load_draft(live, OPEN.id, CODE, "王芳") is None  # nothing stored
    asked = sync(live, rubric, [])  # asking for the village's draft is no refusal
    assert asked.refused_all is None


def test_submitting_the_tablets_draft_twice_stores_one_row(live, rubric):
    first = _submitted(live, rubric)
    again = fieldwork.submit_draft(live, WANG, rubric, OPEN.id, CODE, "王芳", DRAFT, today=TODAY)
    assert not again.added and again.submission_id == first.submission_id == DRAFT
    assert sqlite3.connect(live).execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1


def test_a_submit_of_a_draft_the_server_does_not_hold_asks_the_tablet_to_sync(live, rubric):
    sync(live, rubric, ops_of(("answer", rubric.items[0].code, True)))
    with pytest.raises(UsageError) as err:
        fieldwork.submit_draft(live, WANG, rubric, OPEN.id, CODE, "王芳",
                               "11111111-2222-4333-8444-555555555555", today=TODAY)
    assert err.value.key == "tablet_draft_stale"


def test_a_tablet_that_opened_the_village_before_it_was_saved_joins_the_saved_draft(live, rubric):
    first, second = [i.code for i in rubric.items if i.type == "check"][:2]
    sync(live, rubric, ops_of(("answer", first, True)))
    other = "22222222-3333-4444-8555-666666666666"  # a second tab, opened before the first saved
    joined = sync(live, rubric, ops_of(("answer", second, False), start=5), draft_id=other)
    assert joined.draft.id == DRAFT and set(joined.draft.answers) == {first, second}


def test_nobody_syncs_another_surveyors_village_or_outside_their_scope(live, rubric):
    ops = ops_of(("answer", rubric.items[0].code, True))
    with pytest.raises(UsageError):
        sync(live, rubric, ops, user=surveyor("李明"))
    with pytest.raises(NotFound):
        sync(live, rubric, ops, user=surveyor("王芳", county="420102"))
    with pytest.raises(UsageError):
        sync(live, rubric, ops, user=reviewer())
    with pytest.raises(UsageError) as err:
        sync(live, rubric, ops, draft_id="../../etc")
    assert err.value.key == "tablet_draft_id"
    assert store.load_draft(live, OPEN.id, CODE, "王芳") is None


def test_a_photo_from_the_tablet_keeps_the_originals_hash_and_is_stamped(live, rubric, monkeypatch):
    item = rubric.items[0]
    sync(live, rubric, ops_of(("fix", "", {"lon": 113.9012, "lat": 30.6034, "accuracy_m": 6.0,
                                           "source": "browser"})))
    stamped = []
    real = photos.stamp_lines
    monkeypatch.setattr(photos, "stamp_lines", lambda *a, **k: stamped.append(real(*a, **k)) or stamped[-1])
    original = "ab" * 32
    info = fieldwork.add_tablet_photo(live, WANG, rubric, OPEN.id, CODE, "王芳", DRAFT, item.code,
                                      jpeg(), original, taken="2026-10-19T09:58:12", today=TODAY)
    assert info.sha256 == original and info.item_code == item.code and info.width == 800
    lines = stamped[0]
    assert lines[0] == "李庄村 429901100001" and "拍摄 2026-10-19 09:58（照片EXIF）" in lines
    assert "测评员 王芳" in lines and lines[-1] == "经度 113.901200 纬度 30.603400 ±6米"
    assert [p.id for p in sync(live, rubric, []).photos] == [info.id]
    again = fieldwork.add_tablet_photo(live, WANG, rubric, OPEN.id, CODE, "王芳", DRAFT, item.code,
                                       jpeg(), original, today=TODAY)
    assert again.id == info.id  # the same original twice: stored once
    gone = sync(live, rubric, [{"seq": 50, "kind": "photo_delete", "item": info.id, "value": None}])
    assert gone.photos == () and gone.applied == (50,)


def test_a_tablet_photo_the_rules_refuse_stores_nothing(live, rubric, monkeypatch):
    item = rubric.items[0]
    with pytest.raises(DataError) as err:
        fieldwork.add_tablet_photo(live, WANG, rubric, OPEN.id, CODE, "王芳", DRAFT, item.code,
                                   "这不是照片".encode(), "ab" * 32, today=TODAY)
    assert err.value.problems[0].key == "photo_unreadable"
    monkeypatch.setattr(limits, "PHOTO_PIXELS", 100 * 100)
    with pytest.raises(DataError) as err:
        fieldwork.add_tablet_photo(live, WANG, rubric, OPEN.id, CODE, "王芳", DRAFT, item.code,
                                   jpeg(), "ab" * 32, today=TODAY)
    assert err.value.problems[0].key == "photo_pixels"
    with pytest.raises(NotFound):
        fieldwork.add_tablet_photo(live, WANG, rubric, OPEN.id, CODE, "王芳", DRAFT, "ZZ99", jpeg(),
                                   "ab" * 32, today=TODAY)
    with pytest.raises(UsageError) as err:
        fieldwork.add_tablet_photo(live, WANG, rubric, OPEN.id, CODE, "王芳", DRAFT, item.code, jpeg(),
                                   "not-a-hash", today=TODAY)
    assert err.value.key == "tablet_sha256"
    with pytest.raises(UsageError) as err:
        fieldwork.add_tablet_photo(live, WANG, rubric, OPEN.id, CODE, "王芳", DRAFT, item.code, jpeg(),
                                   "ab" * 32, today=date(2026, 12, 2))
    assert err.value.key == "tablet_round_closed"
    assert store.draft_photos(live, OPEN.id, CODE, "王芳") == []


def test_a_capture_time_that_is_no_time_is_dropped():
    assert fieldwork.parse_taken("2026-07-02T10:15:33+08:00") == "2026-07-02 10:15"
    assert fieldwork.parse_taken("2026-13-40T10:15") is None
    assert fieldwork.parse_taken("<script>") is None and fieldwork.parse_taken(12) is None


def test_a_draft_not_yet_saved_keeps_its_id_until_its_submission(db, rubric):
    """Every run of the tablet page opens the village's draft; until its first change is saved
    it must be the same draft each time (the tablet takes a different id for a new draft and
    would show it empty over the answers it has just sent), and a new one after a submission."""
    first = fieldwork.open_draft(db, WANG, ROUND, CODE)
    assert fieldwork.open_draft(db, WANG, ROUND, CODE).id == first.id
    assert fieldwork.open_draft(db, surveyor("李明"), ROUND, CODE).id != first.id
    assert fieldwork.open_draft(db, WANG, ROUND, "429901100002").id != first.id
    draft = complete(db, rubric, first)
    assert fieldwork.open_draft(db, WANG, ROUND, CODE).id == first.id
    assert fieldwork.submit(db, WANG, rubric, draft).submission_id == first.id
    again = fieldwork.open_draft(db, WANG, ROUND, CODE)
    assert again.id != first.id and again.answers == {}
    assert fieldwork.open_draft(db, WANG, ROUND, CODE).id == again.id
