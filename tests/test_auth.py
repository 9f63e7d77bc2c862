"""Accounts: hashing, login, lockout, disabling, idle expiry, roles, the users command line."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from scoped_db import A1, B1, PASSWORD, A

from core.errors import UsageError
from survey import auth, cli, store


def login_error(db, name, password, now=None) -> UsageError:
    with pytest.raises(UsageError) as caught:
        auth.login(db, name, password, now=now)
    return caught.value


def test_login_with_the_right_password_returns_the_user_and_its_scope(scoped):
    user = auth.login(scoped, "wang", PASSWORD)
    assert (user.name, user.display_name, user.role) == ("wang", "王芳", "surveyor")
    assert user.scope == auth.Scope(A, (A1,), "王芳")
    assert auth.login(scoped, "rev-a", PASSWORD).scope == auth.Scope(A)
    assert auth.login(scoped, "admin", PASSWORD).scope == auth.Scope()


def test_a_wrong_password_and_an_unknown_name_get_the_same_message(scoped):
    wrong = login_error(scoped, "wang", "wrong-password")
    unknown = login_error(scoped, "nobody", PASSWORD)
    assert wrong.key == unknown.key == "login_failed"
    assert str(wrong) == str(unknown) == "账号或密码错误（wrong account name or password）"
    assert auth.get_user(scoped, "nobody") is None


def test_five_failures_lock_the_account_for_a_while_even_for_the_right_password(scoped):
    now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    for _ in range(4):
        assert login_error(scoped, "wang", "bad-guess", now).key == "login_failed"
    fifth = login_error(scoped, "wang", "bad-guess", now)
    assert fifth.key == "login_locked"
    assert str(fifth).startswith(f"连续 5 次登录失败，账号已暂时锁定，请 {auth.LOCK_MINUTES} 分钟后再试")
    later = now + timedelta(minutes=auth.LOCK_MINUTES - 1)
    assert "请 1 分钟后再试" in str(login_error(scoped, "wang", PASSWORD, later))
    after = now + timedelta(minutes=auth.LOCK_MINUTES, seconds=1)
    assert auth.login(scoped, "wang", PASSWORD, now=after).name == "wang"


def test_a_successful_login_starts_the_failure_count_again(scoped):
    now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    for _ in range(4):
        login_error(scoped, "li", "bad-guess", now)
    auth.login(scoped, "li", PASSWORD, now=now)
    for _ in range(4):
        assert login_error(scoped, "li", "bad-guess", now).key == "login_failed"


def test_a_disabled_account_cannot_sign_in_and_is_no_longer_active(scoped):
    auth.set_disabled(scoped, "li", True, by=auth.get_user(scoped, "admin"))
    assert login_error(scoped, "li", PASSWORD).key == "login_disabled"
    assert auth.active_user(scoped, "li") is None
    auth.set_disabled(scoped, "li", False, by=auth.get_user(scoped, "admin"))
    assert auth.active_user(scoped, "li").name == "li"
    assert auth.login(scoped, "li", PASSWORD).name == "li"


def test_a_new_password_replaces_the_old_one_and_lifts_a_lock(scoped):
    now = datetime.now(UTC)
    for _ in range(auth.MAX_FAILURES):
        login_error(scoped, "zhang", "bad-guess", now)
    auth.set_password(scoped, "zhang", "a-new-password", by=auth.get_user(scoped, "admin"))
    assert login_error(scoped, "zhang", PASSWORD).key == "login_failed"
    assert auth.login(scoped, "zhang", "a-new-password").name == "zhang"


def test_passwords_are_argon2_hashes_and_never_in_the_database_file_in_clear(scoped):
    auth.login(scoped, "wang", PASSWORD)
    login_error(scoped, "wang", "typo-" + PASSWORD)
    auth.set_password(scoped, "li", "second-secret-9", by=auth.get_user(scoped, "admin"))
    assert store.user_row(scoped, "wang", with_hash=True)["password_hash"].startswith("$argon2id$")
    files = [p for p in scoped.parent.iterdir() if p.name.startswith(scoped.name)]
    raw = b"".join(p.read_bytes() for p in files)
    for secret in (PASSWORD, "typo-" + PASSWORD, "second-secret-9"):
        assert secret.encode() not in raw
    trail = json.dumps(store.audit_rows(scoped), ensure_ascii=False)
    assert "$argon2" not in trail and PASSWORD not in trail


@pytest.mark.parametrize("kwargs, key", [
    ({"name": "x"}, "user_name"),
    ({"name": "bad name"}, "user_name"),
    ({"role": "boss"}, "role_unknown"),
    ({"county": "4299"}, "county_code"),
    ({"townships": [B1]}, "township_scope"),
    ({"password": "short"}, "password_short"),
    ({"name": "wang"}, "user_exists"),
    ({"display_name": "王芳"}, "user_exists"),
])
def test_account_creation_checks_its_input(scoped, kwargs, key):
    args = {"name": "newbie", "role": "surveyor", "county": A, "password": "long-enough",
            "townships": [], "display_name": None} | kwargs
    with pytest.raises(UsageError) as caught:
        auth.add_user(scoped, **args, by=auth.operator())
    assert caught.value.key == key


def test_idle_sessions_expire_after_the_idle_time():
    assert not auth.idle_expired(None, 10_000.0)
    assert not auth.idle_expired(1_000.0, 1_000.0 + auth.IDLE_MINUTES * 60)
    assert auth.idle_expired(1_000.0, 1_000.0 + auth.IDLE_MINUTES * 60 + 1)


def run_cli(args: list[str], db, monkeypatch, capsys, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_users_command_line_adds_lists_and_disables(tmp_path, monkeypatch, capsys):
    db = tmp_path / "cli.db"
    code, _, err = run_cli(["users", "add", "chief", "--role", "admin", "--county", A,
                            "--password-stdin"], db, monkeypatch, capsys, "first-admin-pw\n")
    assert code == 0 and "user chief added: admin, county 429901" in err
    code, _, _ = run_cli(["users", "add", "wang", "--role", "surveyor", "--county", A,
                          "--townships", A1, "--display-name", "王芳", "--password-stdin"],
                         db, monkeypatch, capsys, "field-work-pw\n")
    assert code == 0
    assert auth.login(db, "chief", "first-admin-pw").admin
    _, out, _ = run_cli(["users", "list"], db, monkeypatch, capsys)
    assert out.splitlines() == ["chief\tchief\tadmin\t429901\t-\tactive",
                                f"wang\t王芳\tsurveyor\t429901\t{A1}\tactive"]
    assert run_cli(["users", "disable", "wang"], db, monkeypatch, capsys)[0] == 0
    _, out, _ = run_cli(["users", "list", "--json"], db, monkeypatch, capsys)
    assert [(u["name"], u["disabled"]) for u in json.loads(out)] == [("chief", False), ("wang", True)]
    assert "first-admin-pw" not in (db.read_bytes().decode("latin-1"))


def test_users_command_line_refuses_a_password_not_on_stdin_and_unknown_names(tmp_path, monkeypatch, capsys):
    db = tmp_path / "cli.db"
    code, _, err = run_cli(["users", "add", "chief", "--role", "admin", "--county", A],
                           db, monkeypatch, capsys)
    assert code == 2 and "--password-stdin" in err
    code, _, err = run_cli(["users", "disable", "ghost"], db, monkeypatch, capsys)
    assert code == 1 and "账号“ghost”不存在" in err


def test_demo_accounts_are_created_once_with_the_readme_passwords(tmp_path):
    from survey import demo

    db = tmp_path / "demo.db"
    store.import_registry(db, [])
    assert auth.ensure_demo_accounts(db) == 4
    assert auth.ensure_demo_accounts(db) == 0
    for account in auth.DEMO_ACCOUNTS:
        user = auth.login(db, account.name, account.password)
        assert (user.role, user.county) == (account.role, demo.COUNTY_CODE)
    surveyor = auth.get_user(db, "surveyor")
    assert surveyor.display_name == "王芳" and len(surveyor.townships) == 4
    liaison = auth.get_user(db, "liaison")  # the township liaison: the first of them, 城关镇
    assert liaison.role == auth.LIAISON and liaison.townships == (demo.COUNTY_CODE + "100",)
