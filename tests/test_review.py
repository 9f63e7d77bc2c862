"""Review: the queue, approving, returning with a comment, bulk approval, and correcting a
returned submission as a new version that keeps the old one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import admin, table
from scoped_db import A1, A2, B1, ROUND, A, sid, user
from streamlit.testing.v1 import AppTest

from core.errors import NotFound, UsageError
from survey import export, fieldwork, review, store
from survey.rubric import load_rubric
from ui import keys

V1, V2, V3, VB = A1 + "201", A1 + "202", A2 + "201", B1 + "201"


def statuses(db, county=None) -> dict[str, str | None]:
    return {r.village.code: r.status for r in store.round_results(db, ROUND, county)}


def test_the_queue_holds_the_pending_submissions_of_the_reviewers_county(scoped):
    queue = review.queue(scoped, user(scoped, "rev-a"), ROUND)
    assert [(i.village_code, i.village, i.township, i.surveyor) for i in queue] == [
        (V1, "甲村", "城关镇", "王芳"), (V2, "乙村", "城关镇", "王芳"), (V3, "丙村", "青石镇", "李明")]
    assert [i.village_code for i in review.queue(scoped, user(scoped, "rev-a"), ROUND, township=A2)] == [V3]
    assert [i.village_code for i in review.queue(scoped, user(scoped, "rev-b"), ROUND)] == [VB]


def test_opening_a_submission_shows_answers_position_score_and_photos(scoped):
    store.add_photo(scoped, ROUND, V1, "王芳", "LJ01", "f" * 64, b"\xff\xd8jpeg", 640, 480)
    store.close_draft(scoped, ROUND, V1, "王芳", sid(V1))
    d = review.detail(scoped, user(scoped, "rev-a"), sid(V1))
    rubric = load_rubric()
    assert d.item.total == rubric.total and d.item.passed
    assert set(d.answers) == {i.code for i in rubric.items}
    assert (d.item.lon, d.item.lat, d.item.gps_accuracy_m) == (113.91, 30.61, 8.0)
    assert [p.item_code for p in d.photos] == ["LJ01"]
    assert review.photo(scoped, user(scoped, "rev-a"), sid(V1), d.photos[0].id) == b"\xff\xd8jpeg"
    assert [v.id for v in d.versions] == [sid(V1)]


def test_approving_makes_the_export_say_approved(scoped):
    assert review.approve(scoped, user(scoped, "rev-a"), [sid(V1)]) == 1
    assert statuses(scoped, A)[V1] == "approved"
    rows = {r[0]: r[19] for r in export.build(scoped, admin(), ROUND, A)[0].villages}
    assert rows == {V1: "已通过", V2: "待审核", V3: "待审核"}
    assert [i.village_code for i in review.queue(scoped, user(scoped, "rev-a"), ROUND)] == [V2, V3]


def test_a_returned_submission_never_counts_and_its_comment_reaches_the_surveyor(scoped):
    review.return_(scoped, user(scoped, "rev-a"), sid(V2), "  垃圾点照片缺失  ")
    assert statuses(scoped, A)[V2] is None  # not assessed any more
    assert V2 not in {r[0] for r in export.build(scoped, admin(), ROUND, A)[0].villages}
    mine = {i.village_code: i for i in review.submissions(scoped, user(scoped, "wang"), ROUND)}
    assert (mine[V2].status, mine[V2].comment, mine[V2].reviewed_by) == ("returned", "垃圾点照片缺失", "rev-a")


def test_returning_needs_a_comment_and_a_decision_is_made_once(scoped):
    with pytest.raises(UsageError) as caught:
        review.return_(scoped, user(scoped, "rev-a"), sid(V1), "   ")
    assert caught.value.key == "review_comment"
    review.approve(scoped, user(scoped, "rev-a"), [sid(V1)])
    with pytest.raises(UsageError) as caught:
        review.return_(scoped, user(scoped, "admin"), sid(V1), "太晚了")
    assert caught.value.key == "review_decided"
    assert statuses(scoped, A)[V1] == "approved"


def test_only_reviewers_of_the_county_decide(scoped):
    with pytest.raises(UsageError) as caught:
        review.approve(scoped, user(scoped, "wang"), [sid(V1)])
    assert caught.value.key == "forbidden"
    with pytest.raises(NotFound):
        review.approve(scoped, user(scoped, "rev-b"), [sid(V1)])
    with pytest.raises(NotFound):
        review.return_(scoped, user(scoped, "rev-a2"), sid(V1), "不在我的乡镇")
    assert set(statuses(scoped, A).values()) == {"pending"}
    assert review.approve(scoped, user(scoped, "admin"), [sid(VB)]) == 1


def test_bulk_approval_of_a_filtered_list_is_all_or_nothing(scoped):
    reviewer = user(scoped, "rev-a")
    listed = [i.id for i in review.queue(scoped, reviewer, ROUND, township=A1)]
    review.return_(scoped, reviewer, listed[1], "重测")  # decided by a colleague meanwhile
    with pytest.raises(UsageError):
        review.approve(scoped, reviewer, listed)
    assert statuses(scoped, A)[V1] == "pending"
    listed = [i.id for i in review.queue(scoped, reviewer, ROUND)]
    assert review.approve(scoped, reviewer, listed) == 2
    assert statuses(scoped, A) == {V1: "approved", V2: None, V3: "approved"}


def test_a_corrected_submission_is_a_new_version_and_the_returned_one_is_kept(scoped):
    surveyor, reviewer = user(scoped, "wang"), user(scoped, "rev-a")
    store.add_photo(scoped, ROUND, V2, "王芳", "LJ01", "e" * 64, b"\xff\xd8old", 640, 480)
    store.close_draft(scoped, ROUND, V2, "王芳", sid(V2))
    review.return_(scoped, reviewer, sid(V2), "门前三包未签订，请核实")
    assert review.correct(scoped, surveyor, sid(V2)) == (ROUND, V2)
    draft = fieldwork.open_draft(scoped, surveyor, ROUND, V2)
    assert draft.id != sid(V2) and draft.answers == review.detail(scoped, surveyor, sid(V2)).answers
    assert [p.item_code for p in fieldwork.draft_photos(scoped, surveyor, draft)] == ["LJ01"]
    rubric = load_rubric()
    assert rubric.items[0].code == "LJ01" and rubric.items[0].type == "check"
    draft = fieldwork.answer(scoped, surveyor, draft, "LJ01", False)  # a finding: its photo came along
    draft = fieldwork.note(scoped, surveyor, draft, "LJ01", "村口无分类垃圾桶")
    outcome = fieldwork.submit(scoped, surveyor, rubric, draft)
    assert outcome.added
    versions = review.detail(scoped, reviewer, outcome.submission_id).versions
    assert [(v.id, v.status) for v in versions] == [(sid(V2), "returned"), (outcome.submission_id, "pending")]
    assert versions[1].supersedes == sid(V2) and versions[0].superseded_by == outcome.submission_id
    result = {r.village.code: r for r in store.round_results(scoped, ROUND, A)}[V2]
    assert (result.submission_id, result.status) == (outcome.submission_id, "pending")
    assert review.detail(scoped, reviewer, sid(V2)).photos[0].item_code == "LJ01"  # old kept


def test_only_the_surveyor_corrects_their_own_returned_submission_once(scoped):
    with pytest.raises(UsageError) as caught:
        review.correct(scoped, user(scoped, "wang"), sid(V1))  # pending, not returned
    assert caught.value.key == "review_not_returned"
    review.return_(scoped, user(scoped, "rev-a"), sid(V1), "重测")
    with pytest.raises(NotFound):
        review.correct(scoped, user(scoped, "li"), sid(V1))  # another surveyor's
    review.correct(scoped, user(scoped, "wang"), sid(V1))
    assert store.load_draft(scoped, ROUND, V1, "王芳") is not None


# --- the review page (AppTest) ------------------------------------------------------------------

PAGES = Path(__file__).resolve().parents[1] / "pages"


def page_as(db, monkeypatch, page: str, name: str, **query) -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(str(PAGES / page), default_timeout=60)
    at.session_state[keys.AUTH_USER] = name
    at.session_state[keys.ROUND] = ROUND
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_reviewer_returns_a_submission_and_the_surveyor_resubmits_it(scoped, monkeypatch):
    at = page_as(scoped, monkeypatch, "review.py", "rev-a")
    assert table(at, "村")["村"].tolist() == ["甲村", "乙村", "丙村"]
    at.selectbox(key=keys.RV_SELECTED).set_value(sid(V2)).run()
    assert at.subheader[0].value.startswith("乙村")
    at.text_area(key=keys.RV_COMMENT).input("门前三包未签订，请核实")
    at.button(key=f"FormSubmitter:{keys.RV_RETURN_FORM}-退回").click().run()
    assert at.success[0].value == "已退回：乙村"
    assert table(at, "村")["村"].tolist() == ["甲村", "丙村"]  # the queue moved on

    mine = page_as(scoped, monkeypatch, "review.py", "wang")
    assert mine.title[0].value == "我的提交"
    mine_table = table(mine, "村", "审核状态")
    returned = mine_table.set_index("村").loc["乙村", ["审核状态", "审核意见"]].tolist()
    assert returned == ["已退回", "门前三包未签订，请核实"]
    warnings = [w.value.replace("\\", "") for w in mine.warning]
    assert "退回意见（审核员甲）：门前三包未签订，请核实" in warnings  # the reviewer's display name
    assert not any("rev-a" in w for w in warnings)  # never the login name
    mine.button(key=f"{keys.RV_CORRECT}_{sid(V2)}").click().run()
    assert store.load_draft(scoped, ROUND, V2, "王芳")["answers"]

    tablet = page_as(scoped, monkeypatch, "tablet.py", "wang", town=A1, village=V2)
    [checklist] = tablet.get("bidi_component")  # the correction opens in the tablet's checklist
    draft = json.loads(checklist.proto.json)["draft"]
    assert draft["answers"] == store.load_draft(scoped, ROUND, V2, "王芳")["answers"]
    shown = [w.value.replace("\\", "") for w in tablet.warning]  # the comment while correcting it
    assert shown == ["县文明办退回了本村的提交，请按意见修改后重新提交。退回意见（审核员甲）：门前三包未签订，请核实"]
    # the browser submits it through /tablet/submit (tests/test_tablet_endpoint.py)
    fieldwork.submit_draft(scoped, user(scoped, "wang"), load_rubric(), ROUND, V2, "王芳", draft["id"])
    newest = review.queue(scoped, user(scoped, "rev-a"), ROUND, township=A1)[-1]
    assert (newest.village_code, newest.supersedes) == (V2, sid(V2))
    again = page_as(scoped, monkeypatch, "tablet.py", "wang", town=A1, village=V2)
    assert again.warning == [] and again.get("bidi_component")  # corrected: the comment is done

    at = page_as(scoped, monkeypatch, "review.py", "rev-a")
    at.selectbox(key=keys.RV_SELECTED).set_value(newest.id).run()
    answers = table(at, "作答")
    versions = table(at, "审核状态", "审核意见")  # (the pending list has no comments)
    assert answers["作答"].tolist()[:1] == ["符合"]
    assert versions["审核状态"].tolist() == ["已退回", "待审核"]
    assert versions["审核意见"].tolist() == ["门前三包未签订，请核实", ""]


def test_bulk_approval_shows_the_filter_and_needs_a_confirmation(scoped, monkeypatch):
    at = page_as(scoped, monkeypatch, "review.py", "rev-a")
    at.selectbox(key=keys.RV_TOWNSHIP).set_value(A1).run()
    assert "将通过以下筛选条件下的全部 2 条待审核提交" in at.markdown[0].value
    assert "乡镇 城关镇" in at.markdown[0].value
    assert at.button(key=keys.RV_BULK).disabled
    at.checkbox(key=keys.RV_BULK_CONFIRM).check().run()
    at.button(key=keys.RV_BULK).click().run()
    assert at.success[0].value == "已通过 2 条提交"
    assert statuses(scoped, A) == {V1: "approved", V2: "approved", V3: "pending"}


def test_round_totals_are_the_totals_round_results_counts(scoped):
    """The dashboard's previous round (store.round_totals, read from one index) is what
    round_results counts: a returned submission never, a county's and a township's villages only."""
    review.return_(scoped, user(scoped, "rev-a"), sid(V2), "重测")

    def counted(county=None, townships=()):
        return {r.village.code: (r.total, r.passed)
                for r in store.round_results(scoped, ROUND, county, townships=townships) if r.assessed}

    assert store.round_totals(scoped, ROUND) == counted() and V2 not in counted() and VB in counted()
    assert store.round_totals(scoped, ROUND, A) == counted(A) and VB not in counted(A)
    assert store.round_totals(scoped, ROUND, A, townships=[A2]) == counted(A, [A2]) == {V3: counted()[V3]}
    with pytest.raises(NotFound):
        store.round_totals(scoped, "2030-X")
