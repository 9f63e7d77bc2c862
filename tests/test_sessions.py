"""Web sign-in sessions that survive a reload: the token stays in the browser (the database holds
its SHA-256), a session ends on sign-out, after the idle time, after SESSION_HOURS, or when the
account is disabled; resuming one is audited."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from scoped_db import PASSWORD

from survey import auth, store

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=auth.IDLE_MINUTES)


def db_bytes(db) -> bytes:
    """The database file with its WAL and shared-memory companions, as stored on disk."""
    return b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))


def test_a_session_token_signs_its_user_in_again_and_only_its_hash_is_stored(scoped):
    token = auth.start_session(scoped, "wang", NOW)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    user = auth.resume_session(scoped, token, NOW + timedelta(minutes=5))
    assert (user.name, user.display_name, user.role) == ("wang", "王芳", "surveyor")
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = store.session_row(scoped, digest)
    assert row["user_name"] == "wang"
    assert row["expires_at"] == (NOW + timedelta(minutes=5) + IDLE).isoformat()
    raw = db_bytes(scoped)
    assert digest.encode() in raw and token.encode() not in raw
    resumed = store.audit_rows(scoped, entity="user", entity_id="wang", limit=1)[0]
    assert (resumed["action"], resumed["actor"]) == ("login.resumed", "wang")
    assert token not in str(store.audit_rows(scoped))


def test_two_sign_ins_get_different_tokens_and_an_unknown_token_signs_nobody_in(scoped):
    first, second = auth.start_session(scoped, "wang", NOW), auth.start_session(scoped, "wang", NOW)
    assert first != second
    assert auth.resume_session(scoped, first[:-1] + ("A" if first[-1] != "A" else "B"), NOW) is None
    assert auth.resume_session(scoped, "", NOW) is None
    assert auth.resume_session(scoped, second, NOW).name == "wang"


def test_a_session_idle_longer_than_the_idle_time_has_ended_and_is_deleted(scoped):
    token = auth.start_session(scoped, "wang", NOW)
    digest = auth.token_digest(token)
    assert auth.touch_session(scoped, digest, NOW + IDLE - timedelta(seconds=1))  # kept alive...
    later = NOW + 2 * IDLE - timedelta(seconds=2)
    assert auth.resume_session(scoped, token, later).name == "wang"  # ...from the last activity
    assert auth.resume_session(scoped, token, later + IDLE + timedelta(seconds=1)) is None
    assert store.session_row(scoped, digest) is None
    assert not auth.touch_session(scoped, digest, later)


def test_even_an_active_session_ends_after_session_hours(scoped):
    token = auth.start_session(scoped, "li", NOW)
    digest = auth.token_digest(token)
    moment = NOW
    while moment < NOW + timedelta(hours=auth.SESSION_HOURS) - IDLE:
        moment += IDLE - timedelta(minutes=1)
        assert auth.touch_session(scoped, digest, moment)
    end = NOW + timedelta(hours=auth.SESSION_HOURS)
    assert not auth.touch_session(scoped, digest, end + timedelta(seconds=1))
    assert auth.resume_session(scoped, token, end + timedelta(seconds=2)) is None


def test_a_disabled_account_is_not_signed_in_again_and_its_session_ends(scoped):
    token = auth.start_session(scoped, "li", NOW)
    auth.set_disabled(scoped, "li", True, by=auth.get_user(scoped, "admin"))
    assert auth.resume_session(scoped, token, NOW) is None
    assert store.session_row(scoped, auth.token_digest(token)) is None
    auth.set_disabled(scoped, "li", False, by=auth.get_user(scoped, "admin"))
    assert auth.resume_session(scoped, token, NOW) is None  # enabling again does not revive it
    assert auth.login(scoped, "li", PASSWORD).name == "li"


def test_a_new_password_ends_every_session_of_the_account(scoped):
    phone, tablet = auth.start_session(scoped, "wang", NOW), auth.start_session(scoped, "wang", NOW)
    other = auth.start_session(scoped, "li", NOW)
    auth.set_password(scoped, "wang", "another-long-password", by=auth.get_user(scoped, "admin"))
    assert auth.resume_session(scoped, phone, NOW) is None
    assert auth.resume_session(scoped, tablet, NOW) is None
    assert auth.resume_session(scoped, other, NOW).name == "li"


def test_signing_out_ends_that_session_only(scoped):
    phone, tablet = auth.start_session(scoped, "wang", NOW), auth.start_session(scoped, "wang", NOW)
    auth.end_session(scoped, auth.token_digest(phone))
    assert auth.resume_session(scoped, phone, NOW) is None
    assert not auth.touch_session(scoped, auth.token_digest(phone), NOW)
    assert auth.resume_session(scoped, tablet, NOW).name == "wang"


def test_starting_a_session_clears_away_the_expired_ones(scoped):
    old = auth.token_digest(auth.start_session(scoped, "wang", NOW))
    kept = auth.token_digest(auth.start_session(scoped, "li", NOW + IDLE - timedelta(minutes=1)))
    auth.start_session(scoped, "zhang", NOW + IDLE + timedelta(seconds=1))
    assert store.session_row(scoped, old) is None
    assert store.session_row(scoped, kept)["user_name"] == "li"
