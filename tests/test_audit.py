"""The audit trail: every write appends who, when, what, before and after; nothing removes it."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from decimal import Decimal

import pytest
from scoped_db import A1, B1, PASSWORD, ROUND, A, perfect, sid, user
from shapely.geometry import LineString

from core.errors import DataError, NotFound, UsageError
from core.model import Round
from geo.io import Road
from survey import audit, auth, review, store
from survey.registry import VillageRow
from survey.roads import save_roads
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission

V = A1 + "201"


def newest(db, **filters) -> dict:
    return store.audit_rows(db, limit=1, **filters)[0]


def count(db) -> int:
    return len(store.audit_rows(db, limit=10_000))


@pytest.mark.parametrize("sql", ["UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"])
def test_the_trail_is_append_only(scoped, sql):
    before = store.audit_rows(scoped, limit=10_000)
    conn = sqlite3.connect(scoped)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(sql)
    conn.close()
    assert store.audit_rows(scoped, limit=10_000) == before


def test_a_registry_import_records_each_village_added_and_what_changed(scoped):
    row = VillageRow(code=V, name="甲村", township="城关镇", county="甲县", lon=113.9, lat=30.6,
                     title="县级", title_year=2025, households=100, demo=False, line=2)
    store.import_registry(scoped, [row], actor="admin")
    entry = newest(scoped, village=V)
    assert (entry["actor"], entry["action"], entry["entity_id"]) == ("admin", "village.update", V)
    assert entry["before"] == {"title": "无", "title_year": None}
    assert entry["after"] == {"title": "县级", "title_year": 2025}
    added = store.audit_rows(scoped, entity="village", entity_id=B1 + "201")
    assert [e["action"] for e in added] == ["village.add"] and added[0]["after"]["name"] == "丁村"


def test_rounds_targets_belts_and_roads_are_recorded(scoped):
    store.create_round(scoped, Round("2026-B4", "第四次"), actor="admin")
    assert newest(scoped, entity="round")["after"]["name"] == "第四次"
    store.set_target(scoped, A, Decimal("55"), by="张主任", actor="rev-a")
    store.set_target(scoped, A, Decimal("60"), by="张主任", actor="rev-a")
    entry = newest(scoped, entity="target")
    assert (entry["actor"], entry["before"], entry["after"]) == ("rev-a", {"percent": "55"}, {"percent": "60"})
    save_roads(scoped, [Road("G316", LineString([(113.8, 30.5), (114.0, 30.7)]), 2000.0)],
                        actor="admin")
    assert newest(scoped, entity="road")["action"] == "road.add"
    store.set_belt_override(scoped, "G316", V, True, by="rev-a")
    entry = newest(scoped, village=V)
    assert (entry["action"], entry["before"], entry["after"]) == ("belt.override", {"include": None}, {"include": True})


def test_drafts_record_what_changed_and_logins_and_user_changes_are_recorded(scoped):
    store.save_draft(scoped, ROUND, V, "王芳", {"answers": {"G1": True}})
    store.save_draft(scoped, ROUND, V, "王芳", {"answers": {"G1": False, "G2": 1}})
    entry = newest(scoped, village=V)
    assert (entry["actor"], entry["action"]) == ("王芳", "draft.save")
    assert entry["before"] == {"answers.G1": True} and entry["after"] == {"answers.G1": False, "answers.G2": 1}
    store.delete_draft(scoped, ROUND, V, "王芳")
    assert newest(scoped, village=V)["action"] == "draft.delete"
    auth.login(scoped, "wang", PASSWORD)
    assert newest(scoped, entity="user")["action"] == "login"
    with pytest.raises(UsageError):
        auth.login(scoped, "wang", "nope-nope")
    assert newest(scoped, entity="user")["after"] == {"failures": 1, "locked_until": None}
    auth.set_disabled(scoped, "li", True, by=auth.get_user(scoped, "admin"))
    entry = newest(scoped, entity="user")
    assert (entry["actor"], entry["entity_id"], entry["before"], entry["after"]) == (
        "admin", "li", {"disabled": False}, {"disabled": True})


def test_submissions_and_review_decisions_are_recorded(scoped):
    first = store.audit_rows(scoped, entity="submission", entity_id=sid(V))
    assert [(e["action"], e["actor"]) for e in first] == [("submission.add", "王芳")]
    review.return_(scoped, user(scoped, "rev-a"), sid(V), "照片看不清")
    entry = newest(scoped, entity="submission", entity_id=sid(V))
    assert (entry["actor"], entry["action"], entry["village_code"]) == ("rev-a", "review.returned", V)
    assert entry["before"] == {"status": "pending"}
    assert entry["after"] == {"status": "returned", "comment": "照片看不清"}


def test_a_write_that_fails_leaves_no_audit_row(scoped):
    n = count(scoped)
    with pytest.raises(UsageError):
        store.create_round(scoped, Round(ROUND, "again"), actor="admin")
    rubric = load_rubric()
    answers = perfect(rubric) | {rubric.items[0].code: False}
    clash = Submission(id=sid(V), village=V, round=ROUND, date="2026-05-21", surveyor="王芳", answers=answers)
    with pytest.raises(DataError):
        store.save_submissions(scoped, [(clash, score(rubric, answers, ()))])
    with pytest.raises(UsageError):
        review.approve(scoped, user(scoped, "rev-a"), [sid(V), sid(V)[:-1] + "9"])
    assert count(scoped) == n


def test_a_reviewer_reads_the_history_of_a_village_of_their_county_only(scoped):
    review.approve(scoped, user(scoped, "rev-a"), [sid(V)])
    history = audit.village_history(scoped, user(scoped, "rev-a"), V)
    assert [e.action for e in history] == ["review.approved", "submission.add", "village.add"]
    with pytest.raises(NotFound):
        audit.village_history(scoped, user(scoped, "rev-b"), V)
    with pytest.raises(UsageError):
        audit.village_history(scoped, user(scoped, "wang"), V)
    assert audit.village_history(scoped, user(scoped, "admin"), V) == history


def test_the_rubric_in_force_is_recorded_once_until_it_changes(scoped):
    rubric = load_rubric()
    assert audit.note_rubric(scoped, rubric, "admin")
    assert not audit.note_rubric(scoped, rubric, "admin")
    changed = replace(rubric, pass_mark=rubric.pass_mark - 5)
    assert audit.note_rubric(scoped, changed, "admin")
    entry = newest(scoped, entity="rubric")
    assert entry["before"] == {"fingerprint": rubric.version}
    assert entry["after"]["pass_mark"] == str(changed.pass_mark)
