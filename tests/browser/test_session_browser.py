"""A sign-in survives a reload of the page (a tablet that slept, a dropped connection) in real
Chromium: the browser keeps the session token in an HttpOnly cookie of the app's own origin,
set by the server's answer to a one-time code (``/auth/session``), never seen by a script of the
page; the database keeps only its SHA-256. Signing out, or a session ended on the server, ends
it for the reload too, and the server's answer deletes the cookie."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest

from survey import auth, store

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

SURVEYOR = ("surveyor", "demo-survey")  # a demo account


def _session_answer(method: str):
    return lambda r: r.url.endswith("/auth/session") and r.request.method == method


def sign_in_with_cookie(page, steps) -> dict:
    """Sign in (the step waits for the server's answer that sets the cookie); the cookie."""
    steps.sign_in(page, *SURVEYOR)
    return session_cookie(page)


def session_cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == auth.SESSION_COOKIE), None)


def watch_frames(page) -> list:
    """Every websocket message the page receives (Streamlit's protobuf frames)."""
    frames: list = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
    return frames


def reload_signed_in(page, steps) -> None:
    page.reload()
    page.get_by_role("button", name="退出登录").wait_for()
    steps.wait_idle(page)
    expect(page.get_by_label("密码")).to_have_count(0)
    expect(page.get_by_text("王芳 · 测评员")).to_be_visible()


def reload_signed_out(page, steps) -> None:
    page.reload()
    page.get_by_label("密码").wait_for()
    steps.wait_idle(page)
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)


def test_a_reload_keeps_the_surveyor_signed_in_until_they_sign_out(demo_server, demo_db, new_page,
                                                                   steps):
    page = new_page(800, 1280)
    frames = watch_frames(page)
    page.goto(demo_server + "/")
    cookie = sign_in_with_cookie(page, steps)
    assert (cookie["domain"], cookie["path"], cookie["sameSite"]) == ("127.0.0.1", "/", "Strict")
    assert cookie["httpOnly"]
    assert not cookie["secure"]  # plain http here; over https it is Secure (the last test)
    token = cookie["value"]
    assert token not in page.evaluate("document.cookie")
    assert auth.SESSION_COOKIE not in page.evaluate("document.cookie")
    for frame in page.frames:  # nor in any frame of the page, our component's included
        assert auth.SESSION_COOKIE not in frame.evaluate("document.cookie")
    assert frames and not any(token in (f if isinstance(f, str) else f.decode("latin-1")) for f in frames)
    stored = store.session_row(demo_db, auth.token_digest(token))
    assert stored["user_name"] == "surveyor"
    assert token not in str(stored)

    reload_signed_in(page, steps)
    reload_signed_in(page, steps)  # and again: the same session goes on
    assert session_cookie(page)["value"] == token
    resumed = store.audit_rows(demo_db, entity="user", entity_id="surveyor", limit=2)
    assert [r["action"] for r in resumed] == ["login.resumed", "login.resumed"]

    with page.expect_response(_session_answer("DELETE")) as answer:
        steps.rerun(page, lambda: page.get_by_role("button", name="退出登录").click())
    assert answer.value.status == 204
    expect(page.get_by_text("已退出登录")).to_be_visible()
    assert session_cookie(page) is None
    assert store.session_row(demo_db, auth.token_digest(token)) is None
    reload_signed_out(page, steps)
    assert page.errors == []


def test_a_session_ended_on_the_server_asks_for_the_password_after_a_reload(demo_server, demo_db,
                                                                            new_page, steps):
    page = new_page(1024, 768)
    page.goto(demo_server + "/")
    token = sign_in_with_cookie(page, steps)["value"]
    auth.end_session(demo_db, auth.token_digest(token))  # idle too long, or signed out elsewhere
    with page.expect_response(_session_answer("DELETE")):  # the spent cookie is deleted
        reload_signed_out(page, steps)
    expect(page.get_by_text("登录已失效，请重新登录")).to_be_visible()
    assert session_cookie(page) is None
    assert sign_in_with_cookie(page, steps)["value"] != token
    reload_signed_in(page, steps)
    assert page.errors == []


@pytest.fixture(scope="module")
def tls_server(demo_db, tmp_path_factory):
    """serve.py over HTTPS with Streamlit's own certificate options (README), self-signed."""
    from conftest import ROOT, START_TIMEOUT_S, free_port

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    port = free_port()
    env = {**os.environ, "SURVEY_DB": str(demo_db), "STREAMLIT_SERVER_SSL_CERT_FILE": str(cert),
           "STREAMLIT_SERVER_SSL_KEY_FILE": str(key)}
    log = (folder / "streamlit.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url, insecure = f"https://127.0.0.1:{port}", ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE  # our own certificate
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:  # the health endpoint answers once the server is up
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=insecure):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log.name}") from None
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_over_https_the_cookie_is_secure_and_a_reload_keeps_the_sign_in(tls_server, new_page, steps):
    page = new_page(1024, 768, ignore_https_errors=True)
    page.goto(tls_server + "/")
    cookie = sign_in_with_cookie(page, steps)
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert auth.SESSION_COOKIE not in page.evaluate("document.cookie")
    reload_signed_in(page, steps)
    assert page.errors == []
