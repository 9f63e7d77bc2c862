"""``/odk``: the app as an OpenRosa server, exercised as ODK Collect uses it (``tests/collect.py``
talks as Collect's OkHttp stack does) with Starlette's TestClient: the form list of the account's
open rounds, the form and its manifest with ``villages.csv`` (the account's villages only), HEAD
then the multipart POST of the instance document and its photos, a retry stored once, a
submission split over several POSTs, and every refusal as an OpenRosa message Collect shows:
wrong password and lockout, plain HTTP from the LAN, a village out of scope, an old form version,
a photo or a body too large, an XML bomb. Basic over HTTPS, Digest over HTTPS and over plain
HTTP from 127.0.0.1. An instance filled by ODK's own form engine goes through unchanged, and one
journey runs through ``serve.py`` started on its own port."""

from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import httpx2
import odk_engine
import odk_exports as ex
import pytest
from collect import Collect, challenges, digest_answer, instance_xml, jpeg, message
from scoped_db import A1, A2, PASSWORD, ROUND, VILLAGES
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core import limits
from core.errors import render
from survey import auth, openrosa, review, store, vetoes
from survey import xlsform as xf
from survey.rubric import load_rubric
from survey.scoring import score
from ui import endpoints
from ui.text import both

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = load_rubric()
FORM = xf.form_id(ROUND)
VERSION = xf.form_version(ROUND, RUBRIC)
WANG_VILLAGES = sorted(c for c in VILLAGES if c.startswith(A1))
NS = {"f": openrosa.NS_FORMS, "m": openrosa.NS_MANIFEST}


@pytest.fixture(autouse=True)
def fresh():
    """Each test starts with no believed credential and no held part (they live per process)."""
    auth.forget_credentials()
    openrosa.forget_held()
    yield
    auth.forget_credentials()
    openrosa.forget_held()


@pytest.fixture
def db(scoped, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(scoped))
    return scoped


def app() -> Starlette:
    return Starlette(routes=endpoints.routes(""))


@pytest.fixture
def client(db):
    with TestClient(app(), base_url="https://testserver") as c:
        yield c


@pytest.fixture
def local(db):
    """Plain HTTP from this machine (an emulator, an adb or SSH tunnel): Digest only."""
    with TestClient(app(), base_url="http://127.0.0.1:8501", client=("127.0.0.1", 40000)) as c:
        yield c


def wang(client, password: str = PASSWORD, https: bool = True) -> Collect:
    return Collect(client, "wang", password, https=https)


def filled(db, code: str = WANG_VILLAGES[0], seed: int = 3, photos_at_least: int = 2) -> ex.Filled:
    """A filled form with findings (notes and photos), as the surveyor enters it."""
    village = store.village(db, code)
    rng = random.Random(seed)
    while True:
        f = ex.answer_set(RUBRIC, ROUND, village, rng, surveyor="wang")
        if len(f.photos) >= photos_at_least:
            return f


def photos_of(f: ex.Filled) -> dict[str, bytes]:
    return {name: jpeg(64 + n, 48, (n * 40 % 255, 120, 60)) for n, name in enumerate(f.photos)}


def shows(response, key: str, **fields) -> bool:
    """Whether Collect shows the catalogue message ``key`` for this answer."""
    return render(key, **fields) in message(response)


def shows_template(response, key: str, unknown: str, **fields) -> bool:
    """Whether Collect shows the message ``key`` whatever its field ``unknown`` (a parser's
    detail, a size only partly read) holds."""
    parts = render(key, **{unknown: "\0"}, **fields).split("\0")
    text = message(response)
    return all(part in text for part in parts) and text.index(parts[0]) <= text.rindex(parts[-1])


def submissions(db) -> int:
    return store.stats(db)["submissions"]


# --- the forms -----------------------------------------------------------------------------------


def test_the_form_list_asks_for_credentials_then_lists_the_round_form(client):
    bare = client.get("/odk/formList", headers={"X-OpenRosa-Version": "1.0"})
    assert bare.status_code == 401
    assert bare.headers["x-openrosa-version"] == "1.0"
    offered = challenges(bare)
    assert [s for s, _ in offered] == ["basic", "digest", "digest"]  # Basic over HTTPS, then Digest
    assert [p.get("algorithm") for s, p in offered if s == "digest"] == ["SHA-256", "MD5"]
    assert all(p["realm"] == auth.DIGEST_REALM for _, p in offered)
    collect = wang(client)
    listed = collect.get("/odk/formList")
    assert listed.status_code == 200 and collect.scheme == "basic"
    assert listed.headers["content-type"].startswith("text/xml")
    assert listed.headers["x-openrosa-version"] == "1.0"
    [entry] = ElementTree.fromstring(listed.content).findall("f:xform", NS)
    assert entry.findtext("f:formID", namespaces=NS) == FORM
    assert entry.findtext("f:version", namespaces=NS) == VERSION
    assert entry.findtext("f:name", namespaces=NS) == f"乡风测评 第三次双月测评（{ROUND}）"
    assert entry.findtext("f:downloadUrl", namespaces=NS) == f"https://testserver/odk/forms/{FORM}/form.xml"
    assert entry.findtext("f:manifestUrl", namespaces=NS) == f"https://testserver/odk/forms/{FORM}/manifest"
    form = collect.get(entry.findtext("f:downloadUrl", namespaces=NS))
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/xml")
    assert entry.findtext("f:hash", namespaces=NS) == "md5:" + hashlib.md5(form.content).hexdigest()
    assert f'<data id="{FORM}" version="{VERSION}"'.encode() in form.content
    assert b'src="jr://file-csv/villages.csv"' in form.content


def test_the_manifest_gives_villages_csv_of_the_account_only(client):
    collect = wang(client)
    manifest = collect.get(f"/odk/forms/{FORM}/manifest")
    assert manifest.status_code == 200 and manifest.headers["x-openrosa-version"] == "1.0"
    [media] = ElementTree.fromstring(manifest.content).findall("m:mediaFile", NS)
    assert media.findtext("m:filename", namespaces=NS) == "villages.csv"
    csv = collect.get(media.findtext("m:downloadUrl", namespaces=NS))
    assert csv.status_code == 200
    assert media.findtext("m:hash", namespaces=NS) == "md5:" + hashlib.md5(csv.content).hexdigest()
    villages = {line.split(",")[0] for line in csv.text.splitlines()[1:] if ",village," in line}
    assert villages == set(WANG_VILLAGES)  # 王芳's township only: not 丙村 (A2) nor county B
    other = Collect(client, "li", PASSWORD).get(f"/odk/forms/{FORM}/media/villages.csv")
    assert {line.split(",")[0] for line in other.text.splitlines()[1:] if ",village," in line} == {A2 + "201"}


def test_only_open_rounds_are_listed(db, client):
    from core.model import Round

    store.create_round(db, Round("2025-B1", "去年", start_date="2025-01-01", end_date="2025-02-28"))
    store.create_round(db, Round("2026-B6", "本轮", start_date="2026-11-01"))
    listed = wang(client).get("/odk/formList")
    ids = [e.findtext("f:formID", namespaces=NS) for e in ElementTree.fromstring(listed.content).findall("f:xform", NS)]
    assert sorted(ids) == sorted([FORM, xf.form_id("2026-B6")])  # the closed round is not offered
    closed = wang(client).get(f"/odk/forms/{xf.form_id('2025-B1')}/form.xml")
    assert closed.status_code == 404 and shows(closed, "openrosa_form_unknown", value=xf.form_id("2025-B1"))


def test_a_reviewer_account_cannot_use_collect(client):
    refused = Collect(client, "rev-a", PASSWORD).get("/odk/formList")
    assert refused.status_code == 403 and shows(refused, "openrosa_role")
    assert refused.headers["x-openrosa-version"] == "1.0"


def test_every_answer_carries_the_openrosa_version(client):
    collect = wang(client)
    for answer in (client.get("/odk/formList"), collect.get("/odk/nothing/here"),
                   collect.get(f"/odk/forms/{FORM}/media/other.csv"), collect.request("HEAD", "/odk/submission"),
                   collect.get("/odk/forms/xiangfeng_9999-X/manifest")):
        assert answer.headers["x-openrosa-version"] == "1.0", answer.status_code
    nowhere = collect.get("/odk/nothing/here")
    assert nowhere.status_code == 404 and shows(nowhere, "openrosa_not_found")


# --- sending a submission ------------------------------------------------------------------------


def test_head_then_post_stores_the_submission_with_its_photos_for_review(db, client):
    f = filled(db)
    collect = wang(client)
    head, post = collect.send(instance_xml(RUBRIC, ROUND, f), photos_of(f))
    assert head.status_code == 204
    assert head.headers["x-openrosa-accept-content-length"] == str(limits.OPENROSA_ACCEPT_BYTES)
    assert head.headers["x-openrosa-version"] == "1.0"
    assert post.status_code == 201 and post.headers["x-openrosa-version"] == "1.0"
    village = store.village(db, f.values[xf.VILLAGE])
    expected = score(RUBRIC, f.answers, f.veto)
    assert message(post) == both("odk_received", village=village.name, code=village.code, total=expected.total,
                                 photos=len(f.photos))
    stored = store.submission(db, f.id)
    assert stored["answers"] == f.answers and stored["reported"] == f.veto  # a report until the office confirms it
    assert stored["veto"] == [] and stored["total"] == expected.total
    for item in (i for i in RUBRIC.items if i.type == "grade"):  # the criteria not met, as the reviewer reads them
        assert stored["unmet"].get(item.code, []) == [
            text for n, text in enumerate(item.criteria, 1) if f.values[xf.criterion_field(item.code, n)] == xf.NO]
    assert stored["surveyor"] == "王芳"  # the account's display name, as on the tablet
    assert stored["source"] == "odk" and stored["status"] == "pending"
    photos = store.submission_photos(db, f.id)
    assert len(photos) == len(f.photos)
    assert {p.item_code for p in photos} == {c for c in f.answers if f.values.get(xf.photo_field(c))}
    [item] = [i for i in review.queue(db, auth.get_user(db, "rev-a"), ROUND) if i.id == f.id]
    assert item.source == "odk"  # the reviewer sees where it came from


def test_a_veto_sent_from_collect_is_a_report_until_the_office_confirms_it(db, client):
    f = filled(db)
    code = RUBRIC.veto[0].code
    f.values[xf.VETO_ANY], f.values[xf.VETO] = xf.YES, code
    _head, post = wang(client).send(instance_xml(RUBRIC, ROUND, f), photos_of(f))
    assert post.status_code == 201, message(post)
    stored = store.submission(db, f.id)
    assert (stored["reported"], stored["veto"]) == ([code], [])  # suspected: it does not count yet
    office = auth.get_user(db, "rev-a")
    assert [(r.submission_id, r.item) for r in vetoes.reports(db, office)] == [(f.id, code)]
    vetoes.confirm(db, office, f.id, code, "2026-05-02", "县应急管理局", today=date(2026, 5, 25))
    assert store.submission(db, f.id)["veto"] == [code]


def test_a_retry_answers_201_again_and_stores_once(db, client):
    f = filled(db)
    xml, pictures = instance_xml(RUBRIC, ROUND, f), photos_of(f)
    collect = wang(client)
    first = collect.send(xml, pictures)[-1]
    before = (submissions(db), len(store.submission_photos(db, f.id)))
    again = collect.send(xml, pictures)[-1]  # Collect sends again when it saw no answer
    assert (first.status_code, again.status_code) == (201, 201)
    village = store.village(db, f.values[xf.VILLAGE])
    assert message(again) == both("odk_received_again", village=village.name, code=village.code)
    assert (submissions(db), len(store.submission_photos(db, f.id))) == before


def test_the_same_instance_id_with_other_answers_is_a_conflict(db, client):
    f = filled(db)
    collect = wang(client)
    assert collect.send(instance_xml(RUBRIC, ROUND, f), photos_of(f))[-1].status_code == 201
    code = next(i.code for i in RUBRIC.items if i.type == "count")
    f.values[code] = str(int(f.values[code]) + 1)
    conflict = collect.send(instance_xml(RUBRIC, ROUND, f), photos_of(f))[-1]
    assert conflict.status_code == 409 and shows(conflict, "submission_conflict", value=f.id)


def test_a_large_submission_split_over_posts_is_stored_once_complete(db, client):
    f = filled(db, photos_at_least=3)
    pictures = photos_of(f)
    collect = wang(client)
    responses = collect.send(instance_xml(RUBRIC, ROUND, f), pictures, accept=1)  # one photo per POST
    posts = responses[1:]
    assert len(posts) == len(pictures) and all(r.status_code == 201 for r in posts)
    village = store.village(db, f.values[xf.VILLAGE])
    assert message(posts[0]) == both("odk_received_part", village=village.name, code=village.code)
    assert len(store.submission_photos(db, f.id)) == len(pictures)
    assert openrosa.held_photos() == 0


def test_parts_wait_for_the_last_and_a_photo_that_never_came_is_refused(db, client):
    f = filled(db, photos_at_least=2)
    xml, pictures = instance_xml(RUBRIC, ROUND, f), photos_of(f)
    first, *rest = f.photos
    collect = wang(client)
    part = collect.request("POST", "/odk/submission", data={"*isIncomplete*": "yes"},
                           files=[("xml_submission_file", ("s.xml", xml, "text/xml")),
                                  (first, (first, pictures[first], "image/jpeg"))])
    assert part.status_code == 201 and submissions(db) == len(VILLAGES)  # nothing stored yet
    assert openrosa.held_photos() == 1
    openrosa.forget_held()  # the server restarted between the parts
    last = collect.request("POST", "/odk/submission", files=[("xml_submission_file", ("s.xml", xml, "text/xml"))]
                           + [(n, (n, pictures[n], "image/jpeg")) for n in rest])
    assert last.status_code == 400 and shows(last, "openrosa_photo_missing", value=first)
    assert submissions(db) == len(VILLAGES)
    assert collect.send(xml, pictures)[-1].status_code == 201  # Collect sends it all again
    assert len(store.submission_photos(db, f.id)) == len(pictures)


def test_a_village_out_of_scope_reads_as_unknown(db, client):
    collect = wang(client)
    outside = filled(db, code=A2 + "201")  # 李明's township
    refused = collect.send(instance_xml(RUBRIC, ROUND, outside), photos_of(outside))[-1]
    assert refused.status_code == 400 and shows(refused, "openrosa_village", value=A2 + "201")
    unknown = filled(db, code=A2 + "201", seed=4)
    unknown.values[xf.VILLAGE] = A1 + "299"  # in 王芳's township, not in the registry
    other = collect.send(instance_xml(RUBRIC, ROUND, unknown), photos_of(unknown))[-1]
    assert other.status_code == 400 and shows(other, "openrosa_village", value=A1 + "299")
    assert submissions(db) == len(VILLAGES)


def test_a_form_of_an_older_rubric_version_is_refused_naming_the_current_one(db, client):
    f = filled(db)
    old = instance_xml(RUBRIC, ROUND, f, version=f"{ROUND}.0123456789ab")
    refused = wang(client).send(old, photos_of(f))[-1]
    assert refused.status_code == 400
    assert shows(refused, "openrosa_version", value=f"{ROUND}.0123456789ab", round=ROUND, expected=VERSION)
    assert submissions(db) == len(VILLAGES)


def test_answers_outside_the_rubric_are_refused_at_their_element(db, client):
    f = filled(db)
    check = next(i.code for i in RUBRIC.items if i.type == "check")
    f.values[check] = "maybe"
    refused = wang(client).send(instance_xml(RUBRIC, ROUND, f), photos_of(f))[-1]
    assert refused.status_code == 400
    section = next(s.code for s in RUBRIC.sections if check in {i.code for i in s.items})
    path = f"{section}/{xf.item_group(check)}/{check}"
    assert f"{path}: " + render("odk_choice", field=path, expected="yes/no", value="maybe") in message(refused)


def test_a_photo_over_the_limit_is_refused(db, client, monkeypatch):
    f = filled(db)
    pictures = photos_of(f)
    big = f.photos[0]
    pictures[big] = jpeg(800, 600) + b"\0" * 4096
    monkeypatch.setattr(limits, "PHOTO_BYTES", len(pictures[big]) - 1)
    refused = wang(client).send(instance_xml(RUBRIC, ROUND, f), pictures)[-1]
    assert refused.status_code == 413
    assert shows(refused, "photo_too_large", size=limits.human_bytes(len(pictures[big])),
                 limit=limits.human_bytes(limits.PHOTO_BYTES))
    assert submissions(db) == len(VILLAGES)


def test_a_body_over_the_limit_is_refused_before_it_is_read(db, client, monkeypatch):
    monkeypatch.setattr(limits, "OPENROSA_ACCEPT_BYTES", 1024)
    monkeypatch.setattr(limits, "PHOTO_BYTES", 1024)
    monkeypatch.setattr(limits, "XML_BYTES", 256 * 1024)
    cap = limits.openrosa_body_bytes()
    collect = wang(client)
    collect.send(b"<x/>")  # signs in
    declared = collect.request("POST", "/odk/submission", content=b"x" * 10,
                               headers={"Content-Type": "multipart/form-data; boundary=b",
                                        "Content-Length": str(cap + 1)})
    assert declared.status_code == 413 and shows(declared, "openrosa_too_large",
                                                 size=limits.human_bytes(cap + 1), limit=limits.human_bytes(cap))

    def chunks():  # no length declared: counted while it streams
        for _ in range(cap // 65536 + 2):
            yield b"x" * 65536

    streamed = collect.request("POST", "/odk/submission", content=chunks(),
                               headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert streamed.status_code == 413 and shows_template(streamed, "openrosa_too_large", "size",
                                                          limit=limits.human_bytes(cap))
    assert submissions(db) == len(VILLAGES)


@pytest.mark.parametrize("xml, key", [
    ((b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
      b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><data id="x">&c;</data>'), "xml_dtd"),
    (b'<!DOCTYPE data SYSTEM "file:///etc/passwd"><data/>', "xml_dtd"),
    (b"<data>" + b"<g>" * 100 + b"</g>" * 100 + b"</data>", "xml_depth"),
    (b"<data>" + b"<x/>" * 20_000 + b"</data>", "xml_elements"),
    (b"<data><unclosed></data>", "xml"),
])
def test_hostile_or_broken_xml_is_refused_before_it_is_built(db, client, xml, key):
    refused = wang(client).send(xml)[-1]
    assert refused.status_code == 400
    assert shows_template(refused, key, "detail", limit=limits.XML_DEPTH if key == "xml_depth" else limits.XML_ELEMENTS)
    assert submissions(db) == len(VILLAGES)


def test_an_instance_document_over_its_limit(db, client, monkeypatch):
    monkeypatch.setattr(limits, "XML_BYTES", 4096)
    refused = wang(client).send(b"<data>" + b"x" * 5000 + b"</data>")[-1]
    assert refused.status_code == 413
    assert shows(refused, "openrosa_too_large", size=limits.human_bytes(5013), limit=limits.human_bytes(4096))


def test_split_parts_are_refused_while_the_server_holds_too_many(db, client, monkeypatch):
    f = filled(db, photos_at_least=2)
    monkeypatch.setattr(limits, "OPENROSA_HELD_BYTES", 10)  # less than one prepared photo
    part = wang(client).send(instance_xml(RUBRIC, ROUND, f), photos_of(f), accept=1)[1]
    assert part.status_code == 503 and shows(part, "openrosa_busy")
    assert openrosa.held_photos() == 0 and submissions(db) == len(VILLAGES)


def test_a_body_that_is_not_multipart_as_collect_sends_it(client):
    collect = wang(client)
    broken = collect.request("POST", "/odk/submission", content=b"--x\r\n",
                             headers={"Content-Type": "multipart/form-data"})  # no boundary
    assert broken.status_code == 400 and shows_template(broken, "openrosa_multipart", "detail")


def test_a_post_without_the_instance_document(client):
    collect = wang(client)
    refused = collect.request("POST", "/odk/submission", files=[("photo.jpg", ("photo.jpg", jpeg(), "image/jpeg"))])
    assert refused.status_code == 400 and shows(refused, "openrosa_no_xml")


# --- accounts ------------------------------------------------------------------------------------


def test_a_wrong_password_is_refused_and_counted_then_the_account_locks(db, client):
    f = filled(db)
    xml = instance_xml(RUBRIC, ROUND, f)
    for attempt in range(auth.MAX_FAILURES - 1):
        [head] = wang(client, "not-the-password").send(xml, photos_of(f))  # Collect asks for the password
        assert head.status_code == 401, attempt
        assert next(s for s, _ in challenges(head)) == "basic"
    head, post = wang(client, "not-the-password").send(xml, photos_of(f))  # the fifth locks the account
    assert (head.status_code, post.status_code) == (403, 403)  # Collect goes on to POST and shows why
    assert shows(post, "login_locked", n=auth.MAX_FAILURES, minutes=auth.LOCK_MINUTES)
    failed = [r for r in store.audit_rows(db, entity="user", entity_id="wang") if r["action"] == "login.failed"]
    assert len(failed) == auth.MAX_FAILURES
    locked = wang(client).get("/odk/formList")  # the right password loses to the lock
    assert locked.status_code == 403
    assert shows(locked, "login_locked", n=auth.MAX_FAILURES, minutes=auth.LOCK_MINUTES)
    assert submissions(db) == len(VILLAGES)


def test_a_checked_password_is_believed_for_a_while_then_a_new_one_is_needed(db, client):
    collect = wang(client)
    for _ in range(5):  # Collect sends the credentials with every request
        assert collect.get("/odk/formList").status_code == 200
    logins = [r for r in store.audit_rows(db, entity="user", entity_id="wang") if r["action"] == "login"]
    assert len(logins) == 1  # checked once (argon2), then believed
    auth.set_password(db, "wang", "a-new-password-2", by=auth.operator())
    assert collect.get("/odk/formList").status_code == 401  # the old password is no longer believed
    assert Collect(client, "wang", "a-new-password-2").get("/odk/formList").status_code == 200


def test_a_believed_password_is_checked_again_after_a_while(db):
    start = datetime.now(UTC)
    for seconds in (0, 60, auth.CREDENTIAL_SECONDS - 1, auth.CREDENTIAL_SECONDS + 1):
        assert auth.check_password(db, "wang", PASSWORD, start + timedelta(seconds=seconds)).name == "wang"
    logins = [r for r in store.audit_rows(db, entity="user", entity_id="wang") if r["action"] == "login"]
    assert len(logins) == 2 and all(r["after"] == {"via": "openrosa"} for r in logins)


def test_digest_secrets_never_reach_the_audit_or_the_account_list(db):
    auth.set_password(db, "wang", "another-password-3", by=auth.operator())
    auth.login(db, "wang", "another-password-3")
    stored = json.loads(store.user_row(db, "wang", with_hash=True)["digest_ha1"])
    assert stored == {a: auth.digest_ha1("wang", "another-password-3", a) for a in auth.DIGEST_ALGORITHMS}
    trail = json.dumps(store.audit_rows(db, limit=100_000), ensure_ascii=False)
    assert not [v for v in stored.values() if v in trail]
    assert all("digest_ha1" not in row and "password_hash" not in row for row in store.user_rows(db))


def test_a_disabled_account_is_refused_at_once(db, client):
    collect = wang(client)
    assert collect.get("/odk/formList").status_code == 200
    auth.set_disabled(db, "wang", True, by=auth.operator())
    refused = collect.get("/odk/formList")
    assert refused.status_code == 403 and shows(refused, "login_disabled")


def test_plain_http_from_the_lan_is_refused_before_any_password_is_read(db):
    with TestClient(app(), base_url="http://192.168.1.20:8501", client=("192.168.1.50", 40000)) as lan:
        collect = Collect(lan, "wang", PASSWORD, https=False)
        refused = collect.get("/odk/formList", headers={"Authorization": "Basic d2FuZzp4"})
    assert refused.status_code == 403 and shows(refused, "openrosa_https")
    assert "www-authenticate" not in refused.headers
    assert not [r for r in store.audit_rows(db, entity="user", entity_id="wang") if r["action"].startswith("login")]


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
def test_digest_over_plain_http_from_this_machine(db, local, algorithm):
    bare = local.get("/odk/formList")
    assert bare.status_code == 401
    assert [s for s, _ in challenges(bare)] == ["digest", "digest"]  # no Basic over plain HTTP
    params = dict(challenges(bare))["digest"] if algorithm == "SHA-256" else challenges(bare)[1][1]
    answer = digest_answer(params, "GET", "/odk/formList", "wang", PASSWORD, 1, "c0ffee", algorithm)
    assert local.get("/odk/formList", headers={"Authorization": answer}).status_code == 200
    replayed = local.get("/odk/formList", headers={"Authorization": answer})
    assert replayed.status_code == 401 and dict(challenges(replayed))["digest"]["stale"] == "true"
    following = digest_answer(params, "GET", "/odk/formList", "wang", PASSWORD, 2, "c0ffee", algorithm)
    assert local.get("/odk/formList", headers={"Authorization": following}).status_code == 200


def test_collect_sends_over_digest_and_a_wrong_digest_password_counts(db, local):
    f = filled(db)
    collect = wang(local, https=False)
    head, post = collect.send(instance_xml(RUBRIC, ROUND, f), photos_of(f),
                              url="/odk/submission?deviceID=collect%3AAbC123")  # as Collect adds it
    assert (head.status_code, post.status_code, collect.scheme) == (204, 201, "digest")
    assert store.submission(db, f.id)["source"] == "odk"
    wrong = wang(local, "not-the-password", https=False).get("/odk/formList")
    assert wrong.status_code == 401
    failed = [r for r in store.audit_rows(db, entity="user", entity_id="wang") if r["action"] == "login.failed"]
    assert len(failed) == 1


def test_a_nonce_of_another_server_or_restart_is_stale_not_a_failure(db, local):
    params = {"realm": auth.DIGEST_REALM, "nonce": "6b0f5690.0123456789abcdef0123456789abcdef"}
    answer = digest_answer(params, "GET", "/odk/formList", "wang", "any-password", 1, "c0ffee", "MD5")
    refused = local.get("/odk/formList", headers={"Authorization": answer})
    assert refused.status_code == 401 and dict(challenges(refused))["digest"]["stale"] == "true"
    assert not [r for r in store.audit_rows(db, entity="user", entity_id="wang") if r["action"].startswith("login")]


def test_digest_over_https_too(db, client):
    bare = client.get("/odk/formList")
    params = challenges(bare)[1][1]
    answer = digest_answer(params, "GET", "/odk/formList", "li", PASSWORD, 1, "abc", "SHA-256")
    assert client.get("/odk/formList", headers={"Authorization": answer}).status_code == 200


def test_an_account_without_a_digest_secret_is_told_how_to_get_one(db, local):
    store.update_user(db, "wang", None, digest_ha1=None)  # an account made before Digest existed
    refused = wang(local, https=False).get("/odk/formList")
    assert refused.status_code == 403 and shows(refused, "openrosa_digest_unset", value="wang")
    auth.login(db, "wang", PASSWORD)  # a sign-in with the password writes it
    assert wang(local, https=False).get("/odk/formList").status_code == 200


# --- ODK's own engine ----------------------------------------------------------------------------


def test_an_instance_filled_by_odks_engine_is_received_and_scored_the_same(db, client):
    """The form and villages.csv as Collect downloads them, filled by ODK's form engine
    (@getodk/xforms-engine, tools/odk-engine) node by node, sent back as Collect sends it."""
    reason = odk_engine.missing()
    if reason:
        pytest.skip(reason)
    collect = wang(client)
    xform = collect.get(f"/odk/forms/{FORM}/form.xml").text
    villages = collect.get(f"/odk/forms/{FORM}/media/villages.csv").text
    f = filled(db)
    refs = {name: "/data/" + "/".join(path) for name, path, _ in ex.field_paths(RUBRIC, ROUND)}
    entered = [xf.TOWNSHIP, xf.VILLAGE, xf.LOCATION, xf.VETO_ANY, xf.VETO]
    for item in RUBRIC.items:
        entered += ([xf.criterion_field(item.code, n) for n in range(1, len(item.criteria) + 1)]
                    if item.type == "grade" else [item.code])
        entered += [xf.note_field(item.code), xf.photo_field(item.code)]
    [got] = odk_engine.run(xform, [{"username": "wang", "read": [refs[xf.TOTAL]],
                                    "set": [[refs[n], f.values[n]] for n in entered if f.values.get(n)]}],
                           {"villages.csv": villages})
    assert got["error"] is None and got["violations"] == []
    instance = got["xml"].encode("utf-8")
    sid = ElementTree.fromstring(instance).findtext(".//{*}instanceID")
    assert sid and sid.startswith("uuid:")
    head, post = collect.send(instance, photos_of(f))
    assert (head.status_code, post.status_code) == (204, 201), message(post)
    stored = store.submission(db, sid)
    assert stored["answers"] == f.answers
    assert stored["total"] == score(RUBRIC, f.answers, f.veto).total == Decimal(got["values"][refs[xf.TOTAL]])
    assert len(store.submission_photos(db, sid)) == len(f.photos)


# --- through serve.py ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_collect_talks_to_serve_py(db, tmp_path):
    """``streamlit run serve.py`` on its own port: the routes are served beside the pages, and
    Collect (Digest over plain HTTP from this machine) lists, downloads and sends."""
    port = _free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"),
                               "--server.port", str(port), "--server.address", "127.0.0.1",
                               "--server.headless", "true", "--server.fileWatcherType", "none",
                               "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, env={**os.environ, "SURVEY_DB": str(db)}, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        with httpx2.Client(base_url=base, timeout=30) as http:
            while True:  # wait until the server answers (or has died)
                assert server.poll() is None, (tmp_path / "streamlit.log").read_text(errors="replace")[-2000:]
                try:
                    if http.get("/odk/formList").status_code == 401:
                        break
                except httpx2.TransportError:
                    pass
                assert time.monotonic() < deadline, "serve.py did not answer within 60 s"
                time.sleep(0.2)
            collect = Collect(http, "wang", PASSWORD, https=False)
            listed = collect.get("/odk/formList")
            assert listed.status_code == 200, listed.text
            [url] = [e.findtext("f:downloadUrl", namespaces=NS)
                     for e in ElementTree.fromstring(listed.content).findall("f:xform", NS)]
            assert url == f"{base}/odk/forms/{FORM}/form.xml"
            assert collect.get(url).status_code == 200
            f = filled(db)
            head, post = collect.send(instance_xml(RUBRIC, ROUND, f), photos_of(f),
                                      url="/odk/submission?deviceID=collect%3AAbC123")
            assert (head.status_code, post.status_code) == (204, 201), message(post)
            assert post.headers["x-openrosa-version"] == "1.0"
        assert store.submission(db, f.id)["source"] == "odk"
        assert store.submission(db, f.id)["surveyor"] == "王芳"
        assert len(store.submission_photos(db, f.id)) == len(f.photos)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_the_routes_follow_the_base_url_path(db):
    """Under Streamlit's ``server.baseUrlPath`` the server address is ``…/<base>/odk``."""
    with TestClient(Starlette(routes=endpoints.routes("/xf/")), base_url="https://testserver") as c:
        listed = wang(c).get("/xf/odk/formList")
        assert listed.status_code == 200
        [entry] = ElementTree.fromstring(listed.content).findall("f:xform", NS)
        assert entry.findtext("f:manifestUrl", namespaces=NS) == f"https://testserver/xf/odk/forms/{FORM}/manifest"
        assert wang(c).get(entry.findtext("f:manifestUrl", namespaces=NS)).status_code == 200
        assert c.get("/odk/formList").status_code == 404
