"""Hostile sign-ins: parallel guesses cannot walk through the lockout, and what is typed into the
account field never lands in the audit trail as typed."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from core.errors import UsageError
from survey import auth, store

PASSWORD = "right-password-1"
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "accounts.db"
    auth.add_user(path, "wang", auth.SURVEYOR, "429901", PASSWORD, display_name="王芳", by=auth.operator())
    return path


@pytest.fixture
def checks(monkeypatch):
    """How many passwords were really checked (argon2 verifications), from any thread."""
    counted = {"n": 0}
    lock = threading.Lock()

    class Counting(PasswordHasher):
        def verify(self, hash_, password):
            with lock:
                counted["n"] += 1
            return super().verify(hash_, password)

    monkeypatch.setattr(auth, "_hasher", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    return counted


def attempt_all(db, passwords: list[str]) -> list[str]:
    """Every password tried at once from its own thread; each outcome as 'ok' or the error key."""
    barrier = threading.Barrier(len(passwords))
    outcomes: list[str | None] = [None] * len(passwords)

    def run(i: int, password: str) -> None:
        barrier.wait()
        try:
            auth.login(db, "wang", password, now=NOW)
            outcomes[i] = "ok"
        except UsageError as exc:
            outcomes[i] = exc.key

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(passwords)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes  # type: ignore[return-value]


def test_forty_parallel_wrong_passwords_are_not_all_checked(db, checks):
    outcomes = attempt_all(db, [f"guess-{i}" for i in range(40)])
    assert checks["n"] <= auth.MAX_FAILURES
    assert outcomes.count("login_failed") + outcomes.count("login_locked") == 40
    assert outcomes.count("login_locked") >= 40 - auth.MAX_FAILURES
    row = store.user_row(db, "wang")
    assert row["locked_until"] is not None  # locked after the fifth checked failure
    with pytest.raises(UsageError) as err:
        auth.login(db, "wang", PASSWORD, now=NOW + timedelta(minutes=1))
    assert err.value.key == "login_locked"


def decisions(db) -> list[tuple[str, dict]]:
    """The sign-in decisions about wang, oldest first: (action, after)."""
    return [(r["action"], r["after"] or {}) for r in reversed(store.audit_rows(db, entity="user"))
            if r["entity_id"] == "wang" and r["action"] in ("login", "login.failed", "login.refused")]


@pytest.mark.parametrize("run", range(8))
def test_nine_wrong_and_one_right_at_once_never_sign_in_past_a_lock(db, checks, run):
    passwords = [f"guess-{i}" for i in range(9)]
    passwords.insert(run % 10, PASSWORD)
    outcomes = attempt_all(db, passwords)
    # in the order they were decided: no sign-in once a lock was decided
    locked = False
    for action, after in decisions(db):
        if action == "login.failed":
            locked = locked or bool(after.get("locked_until"))
        elif action == "login":
            assert not locked
    signed_in = outcomes[run % 10] == "ok"
    assert [a for a, _ in decisions(db)].count("login") == int(signed_in)
    assert checks["n"] <= 2 * auth.MAX_FAILURES  # at most five before the right one and five after


def test_sequential_failures_lock_at_the_fifth_and_the_right_password_waits(db, checks):
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(UsageError) as err:
            auth.login(db, "wang", "nope-nope", now=NOW)
        assert err.value.key == "login_failed"
    with pytest.raises(UsageError) as err:
        auth.login(db, "wang", "nope-nope", now=NOW)
    assert err.value.key == "login_locked"
    with pytest.raises(UsageError) as err:
        auth.login(db, "wang", PASSWORD, now=NOW + timedelta(minutes=5))
    assert err.value.key == "login_locked"
    assert auth.login(db, "wang", PASSWORD, now=NOW + timedelta(minutes=auth.LOCK_MINUTES + 1)).name == "wang"
    assert checks["n"] == auth.MAX_FAILURES + 1  # the locked attempt was never checked


def test_a_right_password_on_the_fifth_try_still_signs_in(db):
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(UsageError):
            auth.login(db, "wang", "nope-nope", now=NOW)
    assert auth.login(db, "wang", PASSWORD, now=NOW).name == "wang"
    assert store.user_row(db, "wang")["failed_logins"] == 0


@pytest.mark.parametrize("typed", ["my-secret-pass-99", "王芳的密码123", "wang x", "a" * 200, ""])
def test_what_is_typed_as_an_unknown_account_is_not_kept(db, typed):
    with pytest.raises(UsageError) as err:
        auth.login(db, typed, "whatever", now=NOW)
    assert err.value.key == "login_failed"
    trail = json.dumps(store.audit_rows(db), ensure_ascii=False)
    if typed:
        assert typed not in trail
    assert "whatever" not in trail
    failed = store.audit_rows(db, entity="user")[0]
    assert (failed["action"], failed["actor"], failed["entity_id"]) == ("login.failed", "?", None)
