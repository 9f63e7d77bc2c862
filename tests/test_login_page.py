"""The login page, the app's navigation by role, and the role guard of every page (AppTest)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders import table
from scoped_db import PASSWORD, sign_in
from streamlit.testing.v1 import AppTest

from core.model import Round
from survey import auth, store
from ui import keys, nav

ROOT = Path(__file__).resolve().parents[1]
LOGIN = str(ROOT / "pages" / "login.py")
APP = str(ROOT / "app.py")


def page(path: str, db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    return AppTest.from_file(path, default_timeout=60)


def sign_in_form(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key=keys.LOGIN_NAME).input(name)
    at.text_input(key=keys.LOGIN_PASSWORD).input(password)
    return at.button(key=keys.LOGIN_SUBMIT).click().run()


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "t.db"
    auth.add_user(path, "wang", "surveyor", "429901", PASSWORD, display_name="王测试", by=auth.operator())
    store.create_round(path, Round("2026-B3", "第三次双月测评"))
    return path


def test_an_empty_database_says_how_to_create_the_first_admin(tmp_path, monkeypatch):
    at = page(LOGIN, tmp_path / "empty.db", monkeypatch).run()
    assert "还没有任何账号" in at.warning[0].value
    assert at.code[0].value == nav.FIRST_ADMIN
    assert "python -m survey users add NAME --role admin --county CODE --password-stdin" in nav.FIRST_ADMIN
    assert not at.text_input


def test_the_right_password_signs_in(db, monkeypatch):
    at = sign_in_form(page(LOGIN, db, monkeypatch).run(), "wang", PASSWORD)
    assert not at.exception
    assert at.session_state[keys.AUTH_USER] == "wang"
    assert not at.error


def test_a_wrong_password_is_refused_and_five_lock_the_account(db, monkeypatch):
    at = page(LOGIN, db, monkeypatch).run()
    for _ in range(4):
        at = sign_in_form(at, "wang", "wrong-password")
        assert at.error[0].value == "账号或密码错误"  # the page speaks its language only
    at = sign_in_form(at, "wang", "wrong-password")
    assert at.error[0].value.startswith("连续 5 次登录失败，账号已暂时锁定")
    at = sign_in_form(at, "wang", PASSWORD)
    assert "账号已暂时锁定" in at.error[0].value
    assert keys.AUTH_USER not in at.session_state


def test_demo_accounts_are_listed_on_the_demo_database_only(db, monkeypatch):
    at = page(LOGIN, db, monkeypatch).run()
    assert not at.dataframe
    store.set_meta(db, "demo", "1")
    auth.ensure_demo_accounts(db)
    at = page(LOGIN, db, monkeypatch).run()
    shown = table(at, "账号", "密码")
    assert shown["账号"].tolist() == ["admin", "reviewer", "surveyor", "liaison"]
    assert shown["密码"].tolist() == ["demo-admin", "demo-review", "demo-survey", "demo-liaison"]
    at = sign_in_form(at, "reviewer", "demo-review")
    assert at.session_state[keys.AUTH_USER] == "reviewer"


def test_nobody_signed_in_sees_only_the_login_page(db, monkeypatch):
    at = page(APP, db, monkeypatch).run()
    assert [t.value for t in at.title] == ["登录"]
    with pytest.raises(ValueError):
        at.switch_page(str(ROOT / "pages" / "dashboard.py"))


@pytest.mark.parametrize("role, first, hidden", [
    ("surveyor", "实地测评", ["dashboard", "export", "users"]),
    ("reviewer", "审核测评结果", ["tablet", "setup", "users"]),
    ("admin", "实地测评", []),
    ("liaison", "整改上报", ["tablet", "review", "dashboard", "ledger", "recheck", "setup"]),
])
def test_a_signed_in_user_sees_the_pages_of_their_role(db, monkeypatch, role, first, hidden):
    at = page(APP, db, monkeypatch)
    sign_in(at, db, role)
    at.run()
    assert not at.exception
    assert first in [t.value for t in at.title]
    for name in hidden:
        with pytest.raises(ValueError):
            at.switch_page(str(ROOT / "pages" / f"{name}.py"))


PAGES = sorted(nav.PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_refuses_a_visitor_who_is_not_signed_in(db, monkeypatch, name):
    at = page(str(ROOT / nav.PAGES[name][0]), db, monkeypatch).run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["请先登录"]
    assert not at.title and not at.dataframe


@pytest.mark.parametrize("role, pages", [
    ("surveyor", {"tablet", "review", "recheck"}),
    ("reviewer", {"review", "dashboard", "ledger", "map", "belts", "export", "recheck", "households", "vetoes",
                  "village"}),
    ("admin", {"tablet", "review", "dashboard", "ledger", "map", "belts", "export", "setup", "users", "recheck",
               "fixes", "households", "vetoes", "village", "settings"}),
    ("liaison", {"fixes", "households"}),  # fixes: the township liaison's first page
])
def test_each_role_opens_its_pages_only(role, pages):
    user = auth.User("u", "U", role, "429901")
    assert {p for p in nav.PAGES if nav.may_open(user, p)} == pages
    assert not nav.may_open(None, "tablet")


@pytest.mark.parametrize("name", [p for p in PAGES if set(nav.PAGES[p].roles) != set(auth.ROLES)])
def test_every_page_refuses_a_role_it_does_not_serve(db, monkeypatch, name):
    role = next(r for r in auth.ROLES if r not in nav.PAGES[name].roles)
    at = page(str(ROOT / nav.PAGES[name][0]), db, monkeypatch)
    sign_in(at, db, role)
    at.run()
    assert [e.value for e in at.error] == ["当前账号无权查看此页面"]
    assert not at.title and not at.dataframe


def test_an_idle_session_ends_and_a_disabled_account_is_signed_out(db, monkeypatch):
    at = page(APP, db, monkeypatch)
    sign_in(at, db, "reviewer")
    at.session_state[keys.AUTH_SEEN] = time.time() - auth.IDLE_MINUTES * 60 - 5
    at.run()
    assert [t.value for t in at.title] == ["登录"]
    assert at.info[0].value == "长时间未操作，已自动退出，请重新登录"
    at = page(APP, db, monkeypatch)
    sign_in(at, db, "reviewer")
    auth.set_disabled(db, "test-reviewer", True, by=auth.operator())
    at.run()
    assert [t.value for t in at.title] == ["登录"]
    assert store.audit_rows(db, entity="user", limit=1)[0]["action"] == "logout"



def test_signing_in_starts_a_session_whose_token_goes_to_the_browser(db, monkeypatch):
    at = sign_in_form(page(LOGIN, db, monkeypatch).run(), "wang", PASSWORD)
    # nav.cookie_jar has the browser post a one-time code; the route answers with the cookie
    _, (code, name) = at.session_state[keys.AUTH_COOKIE]
    assert name == "wang"
    token = auth.redeem_handoff(db, code, name)
    assert at.session_state[keys.AUTH_SESSION] == auth.token_digest(token)
    held = [at.session_state[k] for k in at.session_state]
    assert auth.token_digest(token) in held and token not in str(held)  # only its hash is kept
    assert auth.resume_session(db, token).name == "wang"
    assert auth.redeem_handoff(db, code, name) is None  # once


def signed_in_with_session(db, monkeypatch) -> tuple[AppTest, str]:
    """The app with "wang" signed in through a persistent session; returns its token."""
    token = auth.start_session(db, "wang")
    at = page(APP, db, monkeypatch)
    at.session_state[keys.AUTH_USER] = "wang"
    at.session_state[keys.AUTH_SESSION] = auth.token_digest(token)
    return at.run(), token


def test_an_idle_session_ends_in_the_database_too(db, monkeypatch):
    at, token = signed_in_with_session(db, monkeypatch)
    at.session_state[keys.AUTH_SEEN] = time.time() - auth.IDLE_MINUTES * 60 - 5
    # idle in the database as well: no request of the tablet's queue kept it alive
    idle = datetime.now(UTC) - timedelta(minutes=auth.IDLE_MINUTES, seconds=5)
    store.touch_session(db, auth.token_digest(token), idle.isoformat(timespec="seconds"),
                        idle.isoformat(timespec="seconds"), "2000-01-01")
    at.run()
    assert at.info[0].value == "长时间未操作，已自动退出，请重新登录"
    assert auth.resume_session(db, token) is None
    assert at.session_state[keys.AUTH_COOKIE][1] is None  # the browser is told to delete it


def test_answers_sent_by_the_tablets_queue_keep_the_page_signed_in(db, monkeypatch):
    """The tablet page answers through its own requests (auth.session_user), not page runs:
    a surveyor busy for half an hour without a page run is not idle."""
    at, token = signed_in_with_session(db, monkeypatch)
    at.session_state[keys.AUTH_SEEN] = time.time() - auth.IDLE_MINUTES * 60 - 5
    assert auth.session_user(db, token).name == "wang"  # a sync a moment ago
    at.run()
    assert not at.info and at.session_state[keys.AUTH_USER] == "wang"


def test_a_session_ended_elsewhere_signs_this_browser_out_at_its_next_check(db, monkeypatch):
    at, token = signed_in_with_session(db, monkeypatch)
    auth.end_session(db, auth.token_digest(token))  # signed out in another tab
    at.session_state[keys.AUTH_TOUCHED] = time.time() - auth.TOUCH_SECONDS
    at.run()
    assert [t.value for t in at.title] == ["登录"]
    assert at.info[0].value == "登录已失效，请重新登录"


def test_the_database_file_is_named_to_administrators_only(db, monkeypatch):
    at = page(APP, db, monkeypatch).run()  # the login page: nobody signed in
    assert not any(str(db) in c.value for c in at.sidebar.caption)
    sign_in(at, db, "reviewer")
    at.run()
    assert not any(str(db) in c.value for c in at.sidebar.caption)
    at = page(APP, db, monkeypatch)
    sign_in(at, db, "admin")
    at.run()
    assert any(str(db) in c.value for c in at.sidebar.caption)
