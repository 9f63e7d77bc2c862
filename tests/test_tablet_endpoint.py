"""``/tablet/…`` (ui/endpoints/tablet.py) with Starlette's TestClient: the tablet's queue is
applied for the signed-in surveyor only (the HttpOnly session cookie), in scope, once; what the
rules refuse comes back as messages; a photo is checked and stamped on the server; submit
stores once; POSTs from another origin and requests without a live session are refused."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import test_rounds
from builders import best
from PIL import Image
from scoped_db import A1, ROUND
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core import config, limits
from core.errors import UsageError
from survey import auth, fieldwork, service, store
from survey.rubric import load_rubric
from ui import endpoints

ORIGIN = {"Origin": "http://testserver"}
VILLAGE = A1 + "201"  # 甲村, in 王芳's township
DRAFT = "5b3c7a52-0c44-4a57-9d0e-2f1e8a6b9c10"


@pytest.fixture
def db(scoped, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(scoped))
    return scoped


def client_of(db, name: str | None = "wang") -> TestClient:
    c = TestClient(Starlette(routes=endpoints.routes("")), base_url="http://testserver")
    if name:
        c.cookies.set(auth.SESSION_COOKIE, auth.start_session(db, name))
    return c


@pytest.fixture
def client(db):
    with client_of(db) as c:
        yield c


def body(ops, village=VILLAGE, draft=DRAFT, surveyor="王芳"):
    return {"round": ROUND, "village": village, "surveyor": surveyor, "draft": draft, "ops": ops}


def jpeg(width=1200, height=900) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (50, 120, 70)).save(out, "JPEG")
    return out.getvalue()


def test_a_sync_applies_the_queue_once_and_answers_the_saved_draft(db, client):
    rubric = load_rubric()
    check = next(i for i in rubric.items if i.type == "check")
    ops = [{"seq": 1, "kind": "answer", "item": check.code, "value": False},
           {"seq": 2, "kind": "note", "item": check.code, "value": "村口无垃圾桶"}]
    answer = client.post("/tablet/sync", json=body(ops), headers=ORIGIN)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    got = answer.json()
    assert got["applied"] == [1, 2] and got["refused"] == [] and got["refused_all"] is None
    assert got["draft"]["id"] == DRAFT and got["draft"]["answers"] == {check.code: False}
    assert got["draft"]["seqs"] == {f"answer:{check.code}": 1, f"note:{check.code}": 2} and got["draft"]["seq"] == 2
    again = client.post("/tablet/sync", json=body(ops), headers=ORIGIN).json()
    assert again["applied"] == [] and again["stale"] == [1, 2]
    assert store.load_draft(db, ROUND, VILLAGE, "王芳")["notes"] == {check.code: "村口无垃圾桶"}


def test_a_tampered_queue_is_refused_with_messages_and_nothing_it_holds_is_stored(db, client):
    ops = [{"seq": 1, "kind": "answer", "item": "ZZ99", "value": True},
           {"seq": 2, "kind": "answer", "item": "LJ01", "value": "yes"},
           {"seq": 3, "kind": "drop_table", "item": "LJ01", "value": None}]
    got = client.post("/tablet/sync", json=body(ops), headers=ORIGIN).json()
    assert [r["key"] for r in got["refused"]] == ["item_unknown", "answer_check", "tablet_op_kind"]
    assert [r["seq"] for r in got["refused"]] == [1, 2, 3]
    assert "未知的测评项目 ZZ99" in got["refused"][0]["message"]
    assert got["applied"] == [] and store.load_draft(db, ROUND, VILLAGE, "王芳") is None
    answer = client.post("/tablet/sync", content=b"{not json", headers={**ORIGIN, "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["error"]["key"] == "tablet_request"
    answer = client.post("/tablet/sync", json={**body([]), "ops": "all"}, headers=ORIGIN)
    assert answer.status_code == 409 and answer.json()["error"]["key"] == "tablet_ops"
    answer = client.post("/tablet/sync", json=body([], draft="x; DROP"), headers=ORIGIN)
    assert answer.status_code == 409 and answer.json()["error"]["key"] == "tablet_draft_id"
    huge = json.dumps(body([{"seq": 1, "kind": "note", "item": "LJ01", "value": "长" * 2_000_000}]))
    answer = client.post("/tablet/sync", content=huge.encode(), headers={**ORIGIN, "Content-Type": "application/json"})
    assert answer.status_code == 413


def test_without_a_live_session_or_from_another_origin_nothing_is_done(db):
    ops = [{"seq": 1, "kind": "answer", "item": "LJ01", "value": True}]
    with client_of(db, None) as anonymous:
        answer = anonymous.post("/tablet/sync", json=body(ops), headers=ORIGIN)
        assert answer.status_code == 401 and answer.json()["error"]["key"] == "tablet_signed_out"
        assert "未发送的答案仍保存在平板上" in answer.json()["error"]["message"]
    with client_of(db) as c:
        assert c.post("/tablet/sync", json=body(ops), headers={"Origin": "http://evil.example"}).status_code == 403
        assert c.post("/tablet/sync", json=body(ops)).status_code == 403  # no Origin at all
        auth.end_session(db, auth.token_digest(c.cookies.get(auth.SESSION_COOKIE)))
        assert c.post("/tablet/sync", json=body(ops), headers=ORIGIN).status_code == 401
    assert store.load_draft(db, ROUND, VILLAGE, "王芳") is None


def test_a_village_out_of_scope_looks_unknown_and_another_surveyors_name_is_forbidden(db):
    ops = [{"seq": 1, "kind": "answer", "item": "LJ01", "value": True}]
    with client_of(db, "zhang") as other_county:
        answer = other_county.post("/tablet/sync", json=body(ops, surveyor="张伟"), headers=ORIGIN)
        assert answer.status_code == 404 and answer.json()["error"]["key"] == "village_unknown"
    with client_of(db, "wang") as c:
        answer = c.post("/tablet/sync", json=body(ops, surveyor="李明"), headers=ORIGIN)
        assert answer.status_code == 409 and answer.json()["error"]["key"] == "forbidden"
    with client_of(db, "rev-a") as reviewer:
        assert reviewer.post("/tablet/sync", json=body(ops), headers=ORIGIN).status_code == 409


def test_a_busy_database_asks_the_tablet_to_try_again(db, client, monkeypatch):
    def busy(*args, **kwargs):
        raise UsageError("db_busy")

    monkeypatch.setattr(fieldwork, "sync", busy)
    answer = client.post("/tablet/sync", json=body([]), headers=ORIGIN)
    assert answer.status_code == 503  # the tablet keeps its queue


def photo_url(item="LJ01", sha="ab" * 32, **extra) -> str:
    from urllib.parse import urlencode

    return "/tablet/photo?" + urlencode({"round": ROUND, "village": VILLAGE, "surveyor": "王芳", "draft": DRAFT,
                                         "item": item, "sha256": sha, **extra})


def test_a_photo_is_stored_with_the_originals_hash_and_shown_as_a_thumbnail(db, client):
    answer = client.post(photo_url(taken="2026-05-20T09:30:00", lon="113.91", lat="30.61"), content=jpeg(),
                         headers={**ORIGIN, "Content-Type": "image/jpeg"})
    assert answer.status_code == 200, answer.text
    info = answer.json()
    assert info["sha256"] == "ab" * 32 and info["item"] == "LJ01" and (info["width"], info["height"]) == (1200, 900)
    assert info["received"] == len(jpeg())
    thumb = client.get(f"/tablet/photo/{info['id']}", params={"round": ROUND, "village": VILLAGE, "surveyor": "王芳"})
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 480
    with client_of(db, "li") as other:
        seen = other.get(f"/tablet/photo/{info['id']}", params={"round": ROUND, "village": VILLAGE, "surveyor": "王芳"})
        assert seen.status_code in (404, 409)


def test_a_photo_that_is_not_one_or_too_large_is_refused_with_a_message(db, client, monkeypatch):
    answer = client.post(photo_url(), content="这不是照片".encode(), headers=ORIGIN)
    assert answer.status_code == 422 and answer.json()["error"]["key"] == "photo_unreadable"
    monkeypatch.setattr(limits, "PHOTO_PIXELS", 1000)
    answer = client.post(photo_url(), content=jpeg(), headers=ORIGIN)
    assert answer.status_code == 422 and "百万像素" in answer.json()["error"]["message"]
    monkeypatch.setattr(limits, "PHOTO_BYTES", 100)
    answer = client.post(photo_url(), content=jpeg(), headers=ORIGIN)
    assert answer.status_code == 413 and answer.json()["error"]["key"] == "photo_too_large"
    answer = client.post(photo_url(item="ZZ99"), content=b"", headers=ORIGIN)
    assert answer.status_code == 404
    assert store.draft_photos(db, ROUND, VILLAGE, "王芳") == []


def test_submit_lists_what_is_missing_then_stores_once(db, client):
    rubric = load_rubric()
    got = client.post("/tablet/submit", json=body(None), headers=ORIGIN)
    assert got.status_code == 409 and got.json()["error"]["key"] == "tablet_draft_stale"  # nothing synced yet
    client.post("/tablet/sync", json=body([{"seq": 1, "kind": "veto", "item": "", "value": []}]), headers=ORIGIN)
    got = client.post("/tablet/submit", json=body(None), headers=ORIGIN).json()
    assert len(got["missing"]) == len(rubric.items) and got["submission_id"] is None
    ops = [{"seq": 10 + n, "kind": "answer", "item": i.code, "value": best(i)}
           for n, i in enumerate(rubric.items) if i.type != "grade"]
    ops += [{"seq": 100 + 10 * n + k, "kind": "criterion", "item": i.code, "index": k, "value": True}
            for n, i in enumerate(rubric.items) if i.type == "grade" for k in range(len(i.criteria))]
    assert client.post("/tablet/sync", json=body(ops), headers=ORIGIN).json()["refused"] == []
    first = client.post("/tablet/submit", json=body(None), headers=ORIGIN).json()
    assert first["submission_id"] == DRAFT and first["added"] is True
    sections = {s.code: format(s.points.normalize(), "f") for s in rubric.sections}
    assert first["score"] == {"total": "100", "sections": sections, "passed": True, "vetoed": False, "veto": [],
                              "unmet": {}}
    again = client.post("/tablet/submit", json=body(None), headers=ORIGIN).json()
    assert again["submission_id"] == DRAFT and again["added"] is False
    assert sum(1 for r in store.round_results(db, ROUND) if r.submission_id == DRAFT) == 1


def _complete(rubric, missed: dict[str, set[int]] | None = None, veto=()) -> list[dict]:
    """Changes answering every item at its best (a grade item criterion by criterion; the
    0-based criteria of ``missed`` not met, each a finding with its note), and the veto answer."""
    missed = missed or {}
    ops = [{"seq": 10 + n, "kind": "answer", "item": i.code, "value": best(i)}
           for n, i in enumerate(rubric.items) if i.type != "grade"]
    ops += [{"seq": 100 + 10 * n + k, "kind": "criterion", "item": i.code, "index": k,
             "value": k not in missed.get(i.code, set())}
            for n, i in enumerate(rubric.items) if i.type == "grade" for k in range(len(i.criteria))]
    ops += [{"seq": 5000 + n, "kind": "note", "item": code, "value": "子项未达到"} for n, code in enumerate(missed)]
    return [*ops, {"seq": 6000, "kind": "veto", "item": "", "value": list(veto)}]


def _document_grade(rubric):
    """A grade item whose evidence is not a photo (a finding needs its note only)."""
    return next(i for i in rubric.items if i.type == "grade" and not i.needs_photo and len(i.criteria) >= 2)


def test_a_grade_item_answered_by_criteria_is_stored_with_its_unmet_criteria(db, client):
    rubric = load_rubric()
    item = _document_grade(rubric)
    ops = _complete(rubric, {item.code: {0, 1}})
    got = client.post("/tablet/sync", json=body(ops), headers=ORIGIN).json()
    assert got["refused"] == [] and got["draft"]["answers"][item.code] == item.grade_names[2]  # two short: C
    first = client.post("/tablet/submit", json=body(None), headers=ORIGIN).json()
    assert first["missing"] == [] and first["submission_id"] == DRAFT  # a note, no photo: a document item
    assert first["score"]["unmet"] == {item.code: list(item.criteria[:2])}
    stored = store.submission(db, DRAFT)
    assert stored["answers"][item.code] == item.grade_names[2] and stored["unmet_numbers"] == {
        code: ([1, 2] if code == item.code else []) for code in (i.code for i in rubric.items if i.type == "grade")}


def test_a_photo_item_found_short_needs_a_photo_a_document_item_a_note_only(db, client):
    rubric = load_rubric()
    photo = next(i for i in rubric.items if i.type == "grade" and i.needs_photo)
    document = _document_grade(rubric)
    client.post("/tablet/sync", json=body(_complete(rubric, {photo.code: {0}, document.code: {0}})), headers=ORIGIN)
    got = client.post("/tablet/submit", json=body(None), headers=ORIGIN).json()
    assert got["submission_id"] is None and got["missing"] == [{"kind": "photo", "item": photo.code}]


def test_a_veto_the_surveyor_reports_is_stored_as_a_report_and_counts_once_the_office_confirms_it(db, client):
    from survey import vetoes

    rubric = load_rubric()
    code = rubric.veto[0].code
    client.post("/tablet/sync", json=body(_complete(rubric, veto=[code])), headers=ORIGIN)
    got = client.post("/tablet/submit", json=body(None), headers=ORIGIN).json()
    assert got["score"]["passed"] is True and got["score"]["vetoed"] is False  # suspected: not counted
    assert store.submission(db, DRAFT)["reported"] == [code]
    office = fieldwork_user(db, "admin")
    [report] = vetoes.reports(db, office)
    assert (report.submission_id, report.item) == (DRAFT, code)
    vetoes.confirm(db, office, DRAFT, code, store.submission(db, DRAFT)["date"], "县公安局")
    assert [(r.passed, r.veto) for r in store.round_results(db, ROUND) if r.submission_id == DRAFT] == [
        (False, (code,))]


def test_a_veto_the_office_confirmed_applies_to_the_submission_whatever_the_surveyor_answers(db, client):
    from survey import vetoes

    rubric = load_rubric()
    code = rubric.veto[1].code
    vetoes.add(db, fieldwork_user(db, "admin"), VILLAGE, code, config.today().isoformat(), "县纪委")
    client.post("/tablet/sync", json=body(_complete(rubric)), headers=ORIGIN)
    got = client.post("/tablet/submit", json=body(None), headers=ORIGIN).json()
    assert got["score"]["total"] == "100" and got["score"]["vetoed"] is True and got["score"]["passed"] is False
    assert got["score"]["veto"] == [code] and store.submission(db, DRAFT)["reported"] == []


def fieldwork_user(db, name: str) -> auth.User:
    from scoped_db import user

    return user(db, name)


def test_messages_come_in_the_pages_language(db, client):
    ops = [{"seq": 1, "kind": "answer", "item": "ZZ99", "value": True}]
    english = client.post("/tablet/sync", json={**body(ops), "lang": "en"}, headers=ORIGIN).json()
    assert english["refused"][0]["message"] == "unknown item code ZZ99 (see checklists --json)"
    chinese = client.post("/tablet/sync", json={**body(ops), "lang": "zh"}, headers=ORIGIN).json()
    assert chinese["refused"][0]["message"] == "未知的测评项目 ZZ99（见 checklists --json）"
    answer = client.post(photo_url(lang="en"), content=b"GIF89a", headers=ORIGIN)
    assert answer.status_code == 422 and "not a readable picture" in answer.json()["error"]["message"]
    assert "无法识别" not in answer.json()["error"]["message"]


rubric_dir = test_rounds.rubric_dir  # a copy of the rubric files the test may edit


def test_a_round_is_scored_with_its_pinned_rubric_after_the_yaml_changed(db, client, rubric_dir):
    """The tablet's routes score a round with the rubric pinned when it opened, as the page's
    browser rules do (ui.tablet.payload gets the same one)."""
    today = config.today()
    service.open_round(db, auth.operator(), "P1", "平板固定版本", (today - timedelta(days=5)).isoformat(),
                       (today + timedelta(days=30)).isoformat())
    pinned = load_rubric(rubric_dir)
    first, _ = test_rounds.edit_points(rubric_dir)  # the YAML changes after the round opened
    edited = load_rubric(rubric_dir)
    assert edited.version != pinned.version and edited.item(first).points != pinned.item(first).points
    ops = [{"seq": 10 + n, "kind": "answer", "item": i.code, "value": False if i.code == first else best(i)}
           for n, i in enumerate(pinned.items) if i.type != "grade"]
    ops += [{"seq": 100 + 10 * n + k, "kind": "criterion", "item": i.code, "index": k, "value": True}
            for n, i in enumerate(pinned.items) if i.type == "grade" for k in range(len(i.criteria))]
    ops += [{"seq": 998, "kind": "note", "item": first, "value": "村口无垃圾桶"},
            {"seq": 999, "kind": "veto", "item": "", "value": []}]
    pinned_body = lambda ops: {**body(ops), "round": "P1"}  # noqa: E731
    assert client.post("/tablet/sync", json=pinned_body(ops), headers=ORIGIN).json()["refused"] == []
    assert client.post(photo_url(first, round="P1"), content=jpeg(), headers=ORIGIN).status_code == 200
    got = client.post("/tablet/submit", json=pinned_body(None), headers=ORIGIN).json()
    assert Decimal(got["score"]["total"]) == pinned.total - pinned.item(first).points
    row = store.submission(db, got["submission_id"])
    assert row["rubric_version"] == pinned.version != edited.version
