"""``/auth/session`` (ui/endpoints/session.py) with Starlette's TestClient: a one-time code of
``survey.auth.start_handoff`` becomes an HttpOnly, SameSite=Strict cookie (Secure only over
HTTPS: the request's scheme, or X-Forwarded-Proto from a proxy uvicorn trusts), once, for its
own account, within its minute; DELETE ends the session and expires the cookie; a request from
another origin is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scoped_db import PASSWORD
from starlette.applications import Starlette
from starlette.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from survey import auth, store
from ui import endpoints

ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def db(scoped, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(scoped))
    return scoped


@pytest.fixture
def client(db):
    with TestClient(Starlette(routes=endpoints.routes("")), base_url="http://testserver") as c:
        yield c


def handoff(db, name: str = "wang", now: datetime | None = None) -> tuple[str, str]:
    """(token, code) of a new session of ``name``, as nav.sign_in makes them."""
    token = auth.start_session(db, name, now)
    return token, auth.start_handoff(db, name, token, now)


def set_cookie(response) -> str:
    [header] = response.headers.get_list("set-cookie")
    return header


def attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def test_a_code_becomes_an_httponly_strict_cookie_over_http_without_secure(db, client):
    token, code = handoff(db)
    answer = client.post("/auth/session", json={"code": code, "user": "wang"}, headers=ORIGIN)
    assert answer.status_code == 204
    header = set_cookie(answer)
    assert header.startswith(f"{auth.SESSION_COOKIE}={token};")
    assert {"httponly", "samesite", "path", "max-age"} <= attributes(header)
    assert "secure" not in attributes(header)
    assert "SameSite=strict" in header and "Path=/" in header
    assert f"Max-Age={auth.SESSION_HOURS * 3600}" in header
    assert answer.headers["cache-control"] == "no-store"
    assert auth.resume_session(db, token).name == "wang"


def test_over_https_the_cookie_is_secure(db):
    _, code = handoff(db)
    with TestClient(Starlette(routes=endpoints.routes("")), base_url="https://testserver") as c:
        answer = c.post("/auth/session", json={"code": code, "user": "wang"},
                        headers={"Origin": "https://testserver"})
    assert answer.status_code == 204 and "secure" in attributes(set_cookie(answer))


@pytest.mark.parametrize("peer", ["127.0.0.1", "192.168.1.50"])
def test_x_forwarded_proto_counts_only_from_a_proxy_uvicorn_trusts(db, peer, caplog):
    """uvicorn (which serves the app) applies X-Forwarded-Proto from FORWARDED_ALLOW_IPS only,
    127.0.0.1 by default: a proxy on the same machine. A page over HTTPS whose request arrives
    as plain HTTP gets no cookie at all (never one without Secure), and the log says why."""
    _, code = handoff(db)
    app = ProxyHeadersMiddleware(Starlette(routes=endpoints.routes("")), trusted_hosts="127.0.0.1")
    with TestClient(app, base_url="http://xiangfeng.lan", client=(peer, 40000)) as c:
        answer = c.post("/auth/session", json={"code": code, "user": "wang"},
                        headers={"Origin": "https://xiangfeng.lan", "X-Forwarded-Proto": "https"})
    if peer == "127.0.0.1":
        assert answer.status_code == 204 and "secure" in attributes(set_cookie(answer))
    else:
        assert answer.status_code == 403 and "set-cookie" not in answer.headers
        assert "FORWARDED_ALLOW_IPS" in caplog.text


def test_a_code_works_once(db, client):
    _, code = handoff(db)
    assert client.post("/auth/session", json={"code": code, "user": "wang"}, headers=ORIGIN).status_code == 204
    again = client.post("/auth/session", json={"code": code, "user": "wang"}, headers=ORIGIN)
    assert again.status_code == 403 and "set-cookie" not in again.headers


def test_an_expired_code_is_refused(db, client):
    _, code = handoff(db, now=datetime.now(UTC) - timedelta(seconds=auth.HANDOFF_SECONDS + 1))
    answer = client.post("/auth/session", json={"code": code, "user": "wang"}, headers=ORIGIN)
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


def test_a_code_of_another_account_is_refused_and_spent(db, client):
    _, code = handoff(db, "wang")
    wrong = client.post("/auth/session", json={"code": code, "user": "li"}, headers=ORIGIN)
    assert wrong.status_code == 403 and "set-cookie" not in wrong.headers
    right = client.post("/auth/session", json={"code": code, "user": "wang"}, headers=ORIGIN)
    assert right.status_code == 403  # the wrong try spent it


def test_a_code_of_an_ended_session_or_a_disabled_account_is_refused(db, client):
    token, code = handoff(db, "wang")
    auth.end_session(db, auth.token_digest(token))
    assert client.post("/auth/session", json={"code": code, "user": "wang"}, headers=ORIGIN).status_code == 403
    _, code = handoff(db, "li")
    auth.set_disabled(db, "li", True, by=auth.get_user(db, "admin"))
    assert client.post("/auth/session", json={"code": code, "user": "li"}, headers=ORIGIN).status_code == 403


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b'{"code": 5, "user": "wang"}',
                                  b'{"code": "' + b"x" * 2000 + b'", "user": "wang"}'])
def test_malformed_or_oversized_bodies_are_refused(db, client, body):
    answer = client.post("/auth/session", content=body, headers=ORIGIN)
    assert answer.status_code in (400, 403, 413) and "set-cookie" not in answer.headers


@pytest.mark.parametrize("origin", [None, "http://evil.example", "http://testserver.evil.example",
                                    "null", "http://testserver:8080", "https://testserver"])
def test_a_request_from_another_origin_is_refused_and_leaves_the_code_unspent(db, client, origin):
    _, code = handoff(db)
    headers = {"Origin": origin} if origin else {}
    answer = client.post("/auth/session", json={"code": code, "user": "wang"}, headers=headers)
    assert answer.status_code == 403 and "set-cookie" not in answer.headers
    assert client.post("/auth/session", json={"code": code, "user": "wang"}, headers=ORIGIN).status_code == 204


def test_the_database_holds_neither_the_code_nor_the_token(db):
    token, code = handoff(db)
    raw = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))
    assert auth.token_digest(code).encode() in raw
    assert code.encode() not in raw and token.encode() not in raw


def test_delete_ends_the_session_of_the_cookie_and_expires_it(db, client):
    token, _ = handoff(db)
    other, _ = handoff(db)
    client.cookies.set(auth.SESSION_COOKIE, token)
    answer = client.delete("/auth/session", headers=ORIGIN)
    assert answer.status_code == 204
    header = set_cookie(answer)
    assert header.startswith((f'{auth.SESSION_COOKIE}="";', f"{auth.SESSION_COOKIE}=;"))
    assert "Max-Age=0" in header and "httponly" in attributes(header)
    assert store.session_row(db, auth.token_digest(token)) is None
    assert auth.resume_session(db, other).name == "wang"  # the other browser stays signed in


def test_delete_without_a_cookie_or_from_another_origin(db, client):
    assert client.delete("/auth/session", headers=ORIGIN).status_code == 204
    token, _ = handoff(db)
    client.cookies.set(auth.SESSION_COOKIE, token)
    assert client.delete("/auth/session", headers={"Origin": "http://evil.example"}).status_code == 403
    assert store.session_row(db, auth.token_digest(token)) is not None


def test_get_is_not_a_way_in(db, client):
    assert client.get("/auth/session").status_code == 405


def test_routes_follow_the_base_url_path():
    assert [r.path for r in endpoints.routes("/xf/") if "/auth/" in r.path] == ["/xf/auth/session", "/xf/auth/session"]
    assert [r.path for r in endpoints.routes("") if "/auth/" in r.path] == ["/auth/session", "/auth/session"]
    assert all(r.path.startswith(("/xf/auth/", "/xf/odk/")) for r in endpoints.routes("/xf/"))


def test_expired_handoffs_are_cleared_away(db):
    old = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    _, stale = handoff(db, now=old)
    handoff(db, now=old + timedelta(seconds=auth.HANDOFF_SECONDS + 1))
    assert store.take_handoff(db, auth.token_digest(stale)) is None
    assert auth.login(db, "wang", PASSWORD).name == "wang"  # the account itself is untouched
