"""The tablet's use cases: drafts saved at once, evidence rule, submit exactly once."""

import io
import sqlite3
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image

from survey import fieldwork, gps, store
from core.model import Round
from survey.registry import VillageRow
from survey.rubric import load_rubric
from survey.scoring import score

from builders import admin, best, reviewer, surveyor
from core.errors import NotFound, UsageError
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
def test_a_grade_item_is_answered_criterion_by_criterion(db, rubric, missed, grade):
    item = rubric.item("YF02")  # four criteria
    draft = fieldwork.open_draft(db, WANG, ROUND, CODE)
    for n in range(1, 5):
        draft = fieldwork.criterion(db, WANG, rubric, draft, item.code, n, n > missed)
        if n < 4:
            assert item.code not in draft.answers  # no grade before every criterion is answered
    assert draft.answers[item.code] == grade
    again = fieldwork.open_draft(db, WANG, ROUND, CODE)  # the draft keeps the criteria
    assert again.criteria[item.code] == [n > missed for n in range(1, 5)]
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
