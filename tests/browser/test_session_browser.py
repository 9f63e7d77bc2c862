"""A sign-in survives a reload of the page (a tablet that slept, a dropped connection) in real
Chromium: the browser keeps the session token in a cookie of the app's own origin, the database
only its SHA-256. Signing out, or a session ended on the server, ends it for the reload too."""

from __future__ import annotations

import pytest

from survey import auth, store

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

SURVEYOR = ("surveyor", "demo-survey")  # a demo account
HAS_COOKIE = f"() => document.cookie.includes('{auth.SESSION_COOKIE}=')"
NO_COOKIE = f"() => !document.cookie.includes('{auth.SESSION_COOKIE}=')"


def session_cookie(page) -> dict:
    """The session cookie, once the browser has stored it."""
    page.wait_for_function(HAS_COOKIE)
    return next(c for c in page.context.cookies() if c["name"] == auth.SESSION_COOKIE)


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
    page.goto(demo_server + "/")
    steps.sign_in(page, *SURVEYOR)
    cookie = session_cookie(page)
    assert (cookie["domain"], cookie["path"], cookie["sameSite"]) == ("127.0.0.1", "/", "Strict")
    assert not cookie["secure"]  # plain http here; https pages get a Secure cookie
    stored = store.session_row(demo_db, auth.token_digest(cookie["value"]))
    assert stored["user_name"] == "surveyor"
    assert cookie["value"] not in str(stored)

    reload_signed_in(page, steps)
    reload_signed_in(page, steps)  # and again: the same session goes on
    assert session_cookie(page)["value"] == cookie["value"]
    resumed = store.audit_rows(demo_db, entity="user", entity_id="surveyor", limit=2)
    assert [r["action"] for r in resumed] == ["login.resumed", "login.resumed"]

    steps.rerun(page, lambda: page.get_by_role("button", name="退出登录").click())
    expect(page.get_by_text("已退出登录")).to_be_visible()
    page.wait_for_function(NO_COOKIE)
    assert store.session_row(demo_db, auth.token_digest(cookie["value"])) is None
    reload_signed_out(page, steps)
    assert page.errors == []


def test_a_session_ended_on_the_server_asks_for_the_password_after_a_reload(demo_server, demo_db,
                                                                            new_page, steps):
    page = new_page(1024, 768)
    page.goto(demo_server + "/")
    steps.sign_in(page, *SURVEYOR)
    token = session_cookie(page)["value"]
    auth.end_session(demo_db, auth.token_digest(token))  # idle too long, or signed out elsewhere
    reload_signed_out(page, steps)
    expect(page.get_by_text("登录已失效，请重新登录")).to_be_visible()
    page.wait_for_function(NO_COOKIE)  # the spent cookie is deleted
    steps.sign_in(page, *SURVEYOR)
    assert session_cookie(page)["value"] != token
    reload_signed_in(page, steps)
    assert page.errors == []
