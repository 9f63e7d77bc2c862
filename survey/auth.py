"""Accounts, roles and scopes.

Users live in the database; passwords are hashed with argon2id (argon2-cffi) and never stored,
logged or audited in clear. Three roles: **surveyor** (测评员: assesses the villages assigned,
sees own drafts and submissions), **reviewer** (县文明办审核员: everything of one county) and
**admin** (everything, plus accounts, rounds and the registry). A user is scoped to a county
code and optionally to some of its townships; :class:`Scope` carries that into every query.

After :data:`MAX_FAILURES` failed logins in a row an account waits :data:`LOCK_MINUTES` before
the next try; a web session ends after :data:`IDLE_MINUTES` without activity.

A web sign-in survives a reload of the page (a tablet that slept, a dropped connection): the
browser keeps a random token in the cookie :data:`SESSION_COOKIE`, the database only its
SHA-256. The session ends on sign-out, after :data:`IDLE_MINUTES` without activity, after
:data:`SESSION_HOURS` in any case, or when the account is disabled.

The cookie is HttpOnly, so only a server response can set it: after a password sign-in the app
makes a one-time code (:func:`start_handoff`: single use, bound to the account, valid
:data:`HANDOFF_SECONDS`), the browser posts it to the app's own route (``ui/endpoints``), and
:func:`redeem_handoff` gives that route the token for its ``Set-Cookie``. The database holds
the code's SHA-256 and the token sealed with the code, never either in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.constants import county_of, township_of
from core.errors import NotFound, UsageError
from core.model import Village
from survey import store

SURVEYOR, REVIEWER, ADMIN, LIAISON = "surveyor", "reviewer", "admin", "liaison"
#: The roles: the field surveyor (测评员), the county office's reviewer (县文明办审核员), the
#: administrator, and the township liaison (乡镇联络员: one or more townships, reports fixes and
#: rates households, closes nothing).
ROLES: tuple[str, ...] = (SURVEYOR, REVIEWER, ADMIN, LIAISON)
MAX_FAILURES = 5
LOCK_MINUTES = 15
IDLE_MINUTES = 30
MIN_PASSWORD = 8
SESSION_COOKIE = "xf_session"
SESSION_HOURS = 12  # a sign-in lasts a working day at most, however active
TOUCH_SECONDS = 60  # a session's last-seen time is written at most this often
_NAME = re.compile(r"^[A-Za-z0-9._-]{2,32}$")

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash checked for unknown names, so a login takes as long whether the name exists."""
    return _hasher.hash("not-a-password-of-anyone")


@dataclass(frozen=True)
class Scope:
    """What a user may see: one county (None: every county), optionally some of its townships
    (empty: all of them), and for a surveyor the display name whose drafts and submissions are
    theirs (None: everybody's)."""

    county: str | None = None
    townships: tuple[str, ...] = ()
    surveyor: str | None = None

    def allows(self, village_code: str) -> bool:
        """True when the village (12-digit code) or township (9-digit code) is in scope."""
        if self.county is not None and county_of(village_code) != self.county:
            return False
        return not self.townships or township_of(village_code) in self.townships

    def allows_county(self, county: str) -> bool:
        return self.county is None or county == self.county

    def check(self, village_code: str) -> str:
        """``village_code`` when in scope; :class:`NotFound` otherwise (out of scope looks
        exactly like unknown: nothing of it is revealed)."""
        if not self.allows(village_code):
            raise NotFound("village_unknown", value=village_code)
        return village_code

    def check_county(self, county: str) -> str:
        """``county`` when in scope; :class:`NotFound` otherwise."""
        if not self.allows_county(county):
            raise NotFound("county_unknown", value=county, known=self.county or "")
        return county

    def counties(self, known: Iterable[str]) -> list[str]:
        """The counties of ``known`` in scope, in the given order."""
        return [c for c in known if self.allows_county(c)]


@dataclass(frozen=True)
class User:
    name: str
    display_name: str
    role: str
    county: str
    townships: tuple[str, ...] = ()
    disabled: bool = False
    locked_until: str | None = None

    @property
    def scope(self) -> Scope:
        if self.role == ADMIN:
            return Scope()
        return Scope(self.county, self.townships,
                     self.display_name if self.role == SURVEYOR else None)

    @property
    def reviews(self) -> bool:
        """May approve and return submissions (reviewer, admin)."""
        return self.role in (REVIEWER, ADMIN)

    @property
    def admin(self) -> bool:
        return self.role == ADMIN


def operator() -> User:
    """The person at the server's command line (``python -m survey``): an administrator of
    everything, audited as ``os:<login name>``."""
    import getpass

    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry
        login = "?"
    return User(name=f"os:{login}", display_name=f"命令行（{login}）", role=ADMIN, county="")


def counties_in(db_path: str | Path, scope: Scope) -> dict[str, str | None]:
    """County code -> name of the registry, within ``scope``."""
    return {c: n for c, n in store.counties(db_path).items() if scope.allows_county(c)}


def townships_in(db_path: str | Path, scope: Scope, county: str | None = None) -> dict[str, str]:
    """Township code -> name of the registry (optionally of one county), within ``scope``."""
    return {code: name for code, (name, _) in store.townships(db_path, county).items()
            if scope.allows(code)}


def villages_in(db_path: str | Path, scope: Scope, township: str | None = None) -> list[Village]:
    """The villages of the registry within ``scope`` (optionally of one township), by code."""
    return store.villages(db_path, county=scope.county, township=township,
                          townships=scope.townships)


def _user(row: dict) -> User:
    return User(name=row["name"], display_name=row["display_name"], role=row["role"],
                county=row["county_code"], townships=tuple(row["townships"]),
                disabled=row["disabled"], locked_until=row["locked_until"])


def _now() -> datetime:
    return datetime.now(UTC)


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise UsageError("password_short", n=MIN_PASSWORD)


def _check_scope(role: str, county: str, townships: Iterable[str]) -> tuple[str, ...]:
    if role not in ROLES:
        raise UsageError("role_unknown", value=role, known="、".join(ROLES))
    if not re.fullmatch(r"\d{6}", county or ""):
        raise UsageError("county_code", value=county)
    towns = tuple(dict.fromkeys(t.strip() for t in townships if t.strip()))
    for town in towns:
        if not re.fullmatch(r"\d{9}", town) or county_of(town) != county:
            raise UsageError("township_scope", value=town, county=county)
    if role == LIAISON and not towns:
        raise UsageError("liaison_townships")
    return towns


def _administrator(by: User) -> str:
    """The audit actor of an account change: administrators only."""
    if not by.admin:
        raise UsageError("forbidden")
    return by.name


def add_user(db_path: str | Path, name: str, role: str, county: str, password: str,
             townships: Iterable[str] = (), display_name: str | None = None, *, by: User) -> User:
    """Create an account (display name: the name surveys are signed with, default ``name``),
    as the administrator ``by`` (the command line: :func:`operator`)."""
    actor = _administrator(by)
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise UsageError("user_name", value=name)
    towns = _check_scope(role, county, townships)
    _check_password(password)
    shown = (display_name or "").strip() or name
    store.insert_user(db_path, name, shown, role, county, towns, _hasher.hash(password), actor,
                      digest_secrets(name, password))
    return User(name, shown, role, county, towns)


def users(db_path: str | Path) -> list[User]:
    """Every account, sorted by name."""
    return [_user(r) for r in store.user_rows(db_path)]


def get_user(db_path: str | Path, name: str) -> User | None:
    row = store.user_row(db_path, name)
    return _user(row) if row else None


def active_user(db_path: str | Path, name: str | None) -> User | None:
    """The account ``name`` as stored now, or None when unknown or disabled: the web app reads
    it on every run, so a disabled account or a changed scope takes effect at once."""
    user = get_user(db_path, name) if name else None
    return user if user and not user.disabled else None


def has_users(db_path: str | Path) -> bool:
    return store.user_count(db_path) > 0


def set_disabled(db_path: str | Path, name: str, disabled: bool, *, by: User) -> None:
    """Disable (or enable again) an account, as the administrator ``by``."""
    store.update_user(db_path, name, _administrator(by), disabled=disabled)


def set_password(db_path: str | Path, name: str, password: str, *, by: User) -> None:
    """Set a new password (and lift a lock), as the administrator ``by``."""
    actor = _administrator(by)
    _check_password(password)
    store.update_user(db_path, name, actor, password_hash=_hasher.hash(password), locked_until=None,
                      failed_logins=0, digest_ha1=digest_secrets(name, password))


def set_scope(db_path: str | Path, name: str, role: str, county: str,
              townships: Iterable[str] = (), *, by: User) -> None:
    """Change an account's role, county and townships, as the administrator ``by``."""
    actor = _administrator(by)
    towns = _check_scope(role, county, townships)
    store.update_user(db_path, name, actor, role=role, county_code=county, townships=towns)


def login(db_path: str | Path, name: str, password: str, now: datetime | None = None,
          via: str | None = None) -> User:
    """The user when ``password`` is right; :class:`UsageError` otherwise (``login_failed``,
    ``login_locked`` with the minutes to wait, ``login_disabled``). Every attempt is audited
    (``via``: how, when not on the web page: ``openrosa``).

    The failure count and the lock are decided in the database, atomically, around the slow
    password check (:func:`survey.store.login_begin` / :func:`~survey.store.login_end`): of many
    parallel attempts at most :data:`MAX_FAILURES` are checked, and a right password signs in
    only when no lock was decided before it. A right password also (re)writes the account's
    Digest secrets when they are missing (:func:`digest_secrets`)."""

    def check(row: dict) -> bool:
        try:  # an unknown name is checked against a dummy hash: the answer takes as long
            return _hasher.verify(row["password_hash"] if row else _dummy_hash(), password or "")
        except (VerificationError, InvalidHashError):
            return False

    return _attempt(db_path, name, check, now, password=password, via=via)


def _attempt(db_path: str | Path, name: str, check, now: datetime | None, password: str | None = None,
             via: str | None = None) -> User:
    """One counted sign-in attempt: ``check(row)`` says whether the secret presented matches the
    account's row (it is called with None for an unknown name, to take as long)."""
    now = now or _now()
    name = (name or "").strip()
    state, row = store.login_begin(db_path, name, MAX_FAILURES, _iso(now)) if _NAME.fullmatch(name) \
        else store.login_begin(db_path, "", MAX_FAILURES, _iso(now))
    if state == "locked":
        until = row["locked_until"] if row and row["locked_until"] else None
        raise UsageError("login_locked", n=MAX_FAILURES,
                         minutes=_minutes_left(until, now) if until else LOCK_MINUTES)
    ok = bool(check(row))
    if row is None:
        raise UsageError("login_failed")
    rehash = digest = None
    if ok and password is not None:
        rehash = _hasher.hash(password) if _hasher.check_needs_rehash(row["password_hash"]) else None
        wanted = digest_secrets(name, password)
        digest = wanted if row.get("digest_ha1") != wanted else None
    until = _iso(now + timedelta(minutes=LOCK_MINUTES))
    result, locked = store.login_end(db_path, name, ok, MAX_FAILURES, _iso(now), until, rehash, row["attempt"],
                                     digest_ha1=digest, via=via)
    if result == "ok":
        return _user(row)
    if result == "locked":
        raise UsageError("login_locked", n=MAX_FAILURES, minutes=_minutes_left(locked, now))
    if result == "disabled":
        raise UsageError("login_disabled")
    raise UsageError("login_failed")


# --- HTTP credentials of ODK Collect: Basic (cached briefly) and Digest ------------------------

#: The realm of HTTP authentication (Digest secrets depend on it: never change it).
DIGEST_REALM = "xiangfeng"
#: The Digest algorithms (RFC 7616) the server offers, preferred first; Collect takes the first.
DIGEST_ALGORITHMS = ("SHA-256", "MD5")
#: How long a checked credential is believed without checking it again (argon2 is slow on
#: purpose, and Collect sends the credentials with every request).
CREDENTIAL_SECONDS = 300
_CREDENTIALS_MAX = 1024
_credential_key = secrets.token_bytes(32)  # per process: the cache's keys mean nothing elsewhere
_credentials: dict[str, tuple[datetime, str]] = {}
_credentials_lock = threading.Lock()


def digest_ha1(name: str, password: str, algorithm: str, realm: str = DIGEST_REALM) -> str:
    """H(name:realm:password) of RFC 7616 for ``algorithm`` (``MD5`` or ``SHA-256``), in hex."""
    function = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[algorithm]
    return function(f"{name}:{realm}:{password}".encode()).hexdigest()


def digest_secrets(name: str, password: str) -> str:
    """What the database keeps for HTTP Digest: :func:`digest_ha1` of each algorithm, as JSON.
    Digest never shows the server the password, so it cannot be checked against the argon2
    hash; these are password equivalents for this realm only (README)."""
    return json.dumps({a: digest_ha1(name, password, a) for a in DIGEST_ALGORITHMS}, sort_keys=True)


def _secrets(row: dict | None) -> dict[str, str]:
    try:
        found = json.loads(row["digest_ha1"]) if row and row.get("digest_ha1") else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _stamp(row: dict) -> str:
    """What a cached credential was checked against: a new password or Digest secret voids it."""
    return hashlib.sha256(f"{row['password_hash']}\0{row.get('digest_ha1') or ''}".encode()).hexdigest()


def _usable(row: dict, now: datetime) -> bool:
    return not row["disabled"] and not (row["locked_until"] and _iso(now) < row["locked_until"])


def _believed(key: str, row: dict | None, now: datetime) -> bool:
    """Whether ``key`` was checked against this very row within :data:`CREDENTIAL_SECONDS`."""
    if row is None or not _usable(row, now):
        return False
    with _credentials_lock:
        entry = _credentials.get(key)
    return entry is not None and entry[0] > now and hmac.compare_digest(entry[1], _stamp(row))


def _believe(key: str, db_path: str | Path, name: str, now: datetime) -> None:
    row = store.user_row(db_path, name, with_hash=True)
    if row is None:
        return
    with _credentials_lock:
        if len(_credentials) >= _CREDENTIALS_MAX:
            for old in [k for k, (until, _) in _credentials.items() if until <= now] or list(_credentials)[:64]:
                _credentials.pop(old, None)
        _credentials[key] = (now + timedelta(seconds=CREDENTIAL_SECONDS), _stamp(row))


def forget_credentials() -> None:
    """Forget every believed credential of this process (tests; a password change does it by
    itself, since the cache is keyed on the stored hash)."""
    with _credentials_lock:
        _credentials.clear()


def check_password(db_path: str | Path, name: str, password: str, now: datetime | None = None) -> User:
    """The account of HTTP Basic credentials (ODK Collect over HTTPS). Checked like a sign-in
    (:func:`login`: counted, locked after :data:`MAX_FAILURES`, audited), then believed for
    :data:`CREDENTIAL_SECONDS` without hashing again while the stored password, the lock and the
    account's state stay as they were. Raises what :func:`login` raises."""
    now = now or _now()
    name = (name or "").strip()
    key = hmac.new(_credential_key, f"basic\0{name}\0{password}".encode(), hashlib.sha256).hexdigest()
    row = store.user_row(db_path, name, with_hash=True) if _NAME.fullmatch(name) else None
    if _believed(key, row, now):
        return _user(row)  # type: ignore[arg-type]
    user = login(db_path, name, password, now, via="openrosa")
    _believe(key, db_path, user.name, now)
    return user


def check_digest(db_path: str | Path, name: str, verify, now: datetime | None = None) -> User:
    """The account of an HTTP Digest response (ODK Collect). ``verify(secrets)`` says whether the
    response matches the account's :func:`digest_secrets` (algorithm -> H(A1)). A failure counts
    as a failed sign-in; a success is believed for :data:`CREDENTIAL_SECONDS` (no write on each
    request). ``openrosa_digest_unset`` when the account has no Digest secret yet (made before
    Digest existed: a sign-in with the password writes it)."""
    now = now or _now()
    name = (name or "").strip()
    row = store.user_row(db_path, name, with_hash=True) if _NAME.fullmatch(name) else None
    if row is not None and not _secrets(row):
        raise UsageError("openrosa_digest_unset", value=name)
    key = f"digest\0{name}"
    if row is not None and verify(_secrets(row)) and _believed(key, row, now):
        return _user(row)
    user = _attempt(db_path, name, lambda r: r is not None and bool(_secrets(r)) and verify(_secrets(r)),
                    now, via="openrosa")
    _believe(key, db_path, user.name, now)
    return user


@dataclass(frozen=True)
class DemoAccount:
    name: str
    password: str
    role: str
    display_name: str


#: The accounts of the demo database (README lists them; the login page shows them on the demo
#: only). The surveyor signs as 王芳, who surveyed four townships of the demo county; the
#: township liaison (乡镇联络员) has the first of them, 城关镇.
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "demo-admin", ADMIN, "管理员（演示）"),
    DemoAccount("reviewer", "demo-review", REVIEWER, "审核员（演示）"),
    DemoAccount("surveyor", "demo-survey", SURVEYOR, "王芳"),
    DemoAccount("liaison", "demo-liaison", LIAISON, "城关镇联络员（演示）"),
)


def ensure_demo_accounts(db_path: str | Path) -> int:
    """Create the missing demo accounts in the demo county; return how many were added."""
    from survey import demo

    team = next(i for i, pair in enumerate(demo.SURVEYORS) if "王芳" in pair)
    towns = [demo.COUNTY_CODE + t[0] for i, t in enumerate(demo.TOWNSHIPS)
             if i % len(demo.SURVEYORS) == team]  # as demo._submissions assigns teams
    added = 0
    for account in DEMO_ACCOUNTS:
        if get_user(db_path, account.name) is None:
            scope = towns if account.role == SURVEYOR else towns[:1] if account.role == LIAISON else ()
            add_user(db_path, account.name, account.role, demo.COUNTY_CODE, account.password, scope,
                     account.display_name, by=operator())
            added += 1
    return added


def _minutes_left(until: str, now: datetime) -> int:
    return max(1, math.ceil((datetime.fromisoformat(until) - now).total_seconds() / 60))


def logout(db_path: str | Path, name: str, reason: str = "logout") -> None:
    """Record the end of a session (``logout`` or ``idle``)."""
    store.logout(db_path, name, reason)


def idle_expired(last_seen: float | None, now: float, minutes: int = IDLE_MINUTES) -> bool:
    """True when a session last active at ``last_seen`` (epoch seconds) has been idle too long."""
    return last_seen is not None and now - last_seen > minutes * 60


# --- web sessions: a sign-in that survives a reload of the page -------------------------------


def token_digest(token: str) -> str:
    """The SHA-256 (hex) of a session token: what the database holds instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def start_session(db_path: str | Path, name: str, now: datetime | None = None) -> str:
    """A new session of ``name`` (just signed in with a password); returns its token for the
    browser's cookie (the database keeps only :func:`token_digest` of it)."""
    now = now or _now()
    token = secrets.token_urlsafe(32)
    store.insert_session(db_path, token_digest(token), name, _iso(now),
                         _iso(now + timedelta(minutes=IDLE_MINUTES)))
    return token


def touch_session(db_path: str | Path, digest: str, now: datetime | None = None,
                  resumed: bool = False) -> bool:
    """Keep the session ``digest`` alive from ``now``; False when it has ended (signed out,
    idle for :data:`IDLE_MINUTES`, older than :data:`SESSION_HOURS`)."""
    now = now or _now()
    expires = now + timedelta(minutes=IDLE_MINUTES)
    return store.touch_session(db_path, digest, _iso(now), _iso(expires),
                               _iso(now - timedelta(hours=SESSION_HOURS)), resumed)


def resume_session(db_path: str | Path, token: str, now: datetime | None = None) -> User | None:
    """The user of a session cookie's ``token`` when the session is alive and the account
    active (the session is then kept alive and the resumption audited); None otherwise (and a
    session that has ended is deleted)."""
    digest = token_digest(token)
    row = store.session_row(db_path, digest)
    if row is None:
        return None
    user = active_user(db_path, row["user_name"])
    if user is not None and touch_session(db_path, digest, now, resumed=True):
        return user
    store.delete_session(db_path, digest)  # ended: idle, too old, or the account disabled
    return None


def end_session(db_path: str | Path, digest: str) -> None:
    """End the session ``digest`` (signed out, idle, account disabled)."""
    store.delete_session(db_path, digest)


# --- handing a session to the browser: a one-time code for an HttpOnly cookie ----------------

HANDOFF_SECONDS = 60
_HANDOFF_MAX = 128  # a longer "code" is refused before any lookup


def _keystream(code: str, size: int) -> bytes:
    """Bytes only the holder of ``code`` can compute (the database keeps SHA-256(code))."""
    return hmac.new(code.encode(), b"xiangfeng session handoff", hashlib.sha512).digest()[:size]


def start_handoff(db_path: str | Path, name: str, token: str, now: datetime | None = None) -> str:
    """A one-time code that hands the session ``token`` of ``name`` to the browser: whoever
    posts it to the app's route within :data:`HANDOFF_SECONDS` gets the token as an HttpOnly
    cookie, once. The database keeps the code's SHA-256 and the token XORed with a keystream
    derived from the code (the token itself is 43 URL-safe characters, within the 64 bytes)."""
    now = now or _now()
    code = secrets.token_urlsafe(32)
    raw = token.encode()
    sealed = bytes(a ^ b for a, b in zip(raw, _keystream(code, len(raw)), strict=True)).hex()
    store.insert_handoff(db_path, token_digest(code), name, token_digest(token), sealed,
                                 _iso(now), _iso(now + timedelta(seconds=HANDOFF_SECONDS)))
    return code


def redeem_handoff(db_path: str | Path, code: str, name: str,
                   now: datetime | None = None) -> str | None:
    """The session token handed over by ``code`` when the code is known, unused, not expired,
    made for ``name``, and its session alive with the account active; None otherwise. The code
    is spent by the first try, whatever its outcome."""
    if not isinstance(code, str) or not isinstance(name, str) or not 0 < len(code) <= _HANDOFF_MAX:
        return None
    now = now or _now()
    row = store.take_handoff(db_path, token_digest(code))
    if row is None or row["expires_at"] <= _iso(now) or row["user_name"] != name:
        return None
    sealed = bytes.fromhex(row["sealed"])
    token = bytes(a ^ b for a, b in zip(sealed, _keystream(code, len(sealed)), strict=True)).decode(
        "ascii", errors="replace")
    if not hmac.compare_digest(token_digest(token), row["session_sha256"]):
        return None
    session = store.session_row(db_path, row["session_sha256"])
    if session is None or session["user_name"] != name or session["expires_at"] <= _iso(now):
        return None
    return token if active_user(db_path, name) is not None else None
