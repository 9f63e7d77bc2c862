"""The store's connection, transactions and shared helpers.

SQLite through sqlite-utils. Each public function of the store opens a short-lived connection
(:func:`connect`: WAL mode, a busy timeout, foreign keys on), does one unit of work in one
transaction, and closes it: no connection is ever shared between threads or cached by the web
app. A write transaction takes the write lock at its first statement (``BEGIN IMMEDIATE``), so
what it reads is never stale when it writes. The schema is created and migrated on first use
(``PRAGMA user_version`` holds the version; migrations in :mod:`survey.store.schema`).

The audit table is append-only: triggers abort any UPDATE or DELETE of it. Every write function
of the store appends its audit row(s) with :func:`_audit` in the same transaction as the change."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from core.errors import NotFound, UsageError
from survey.store.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000


SCHEMA_VERSION = len(MIGRATIONS)

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _raw_connect(db_path: Path) -> sqlite3.Connection:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(db_path), timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged commit survives a power cut, not only a process crash.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _apply(conn: sqlite3.Connection, number: int, script: str) -> None:
    """Run migration ``number`` in one transaction (BEGIN IMMEDIATE also serialises two processes
    migrating the same new file). A script beginning ``-- rebuild`` remakes a table (SQLite cannot
    change a constraint in place): it runs with foreign keys off, as SQLite's documented
    procedure asks, and is checked with ``PRAGMA foreign_key_check`` before it commits."""
    rebuild = script.lstrip().startswith("-- rebuild")
    if rebuild:
        conn.execute("PRAGMA foreign_keys=OFF")  # no effect inside a transaction: set before
    try:
        # executescript commits first, then runs the script: the transaction stays open after it
        conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};")
        broken = conn.execute("PRAGMA foreign_key_check").fetchall() if rebuild else []
        if broken:
            conn.rollback()
            raise UsageError("schema_broken", value=number, detail=str(broken[:3]))
        conn.execute("COMMIT")
    finally:
        if rebuild:
            conn.execute("PRAGMA foreign_keys=ON")


def migrate(db_path: str | Path) -> int:
    """Create or migrate the database; return the schema version."""
    path = Path(db_path)
    conn = _raw_connect(path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UsageError("schema_newer", value=version, known=SCHEMA_VERSION)
        for number in range(version + 1, SCHEMA_VERSION + 1):
            _apply(conn, number, MIGRATIONS[number - 1])
        return SCHEMA_VERSION
    except sqlite3.OperationalError:
        if conn.in_transaction:
            conn.rollback()
        # Another process migrated concurrently: re-read.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise
        return version
    finally:
        conn.close()


#: One write lock per database file for the threads of this process (the web app serves every
#: browser from one process): a waiting writer is woken the moment the previous one commits,
#: where SQLite's busy handler would poll with sleeps of up to 100 ms.
_write_locks: dict[str, threading.RLock] = {}


class _Database(Database):
    """sqlite-utils' Database whose outermost :meth:`atomic` begins with ``BEGIN IMMEDIATE``.

    A write transaction takes the write lock before its first read, so concurrent writers wait
    for each other (up to the busy timeout). A deferred ``BEGIN`` would read first and fail at
    once with "database is locked" when another writer commits in between (WAL cannot upgrade
    a stale read snapshot, and SQLite does not call the busy handler then)."""

    def __init__(self, conn: sqlite3.Connection, key: str):
        super().__init__(conn, execute_plugins=False)
        self._write_lock = _write_locks.setdefault(key, threading.RLock())

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:  # nested: a savepoint, as sqlite-utils does
            with super().atomic():
                yield self
            return
        if not self._write_lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise UsageError("db_busy")  # what a user can act on, not SQLite's "database is locked"
        try:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # another process held the lock past the timeout
                if "locked" in str(exc) or "busy" in str(exc):
                    raise UsageError("db_busy") from None
                raise
            try:
                yield self
            except BaseException:
                self.rollback()
                raise
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.rollback()
                raise
        finally:
            self._write_lock.release()


@contextmanager
def connect(db_path: str | Path) -> Iterator[Database]:
    """A short-lived sqlite-utils Database on ``db_path``, migrated, closed on exit. Its
    ``atomic()`` is a write transaction that holds the write lock from its start."""
    path = Path(db_path)
    key = str(path.resolve())
    if key not in _migrated or not path.exists():
        with _migrate_lock:
            migrate(path)
            _migrated.add(key)
    conn = _raw_connect(path)
    try:
        yield _Database(conn, key)
    finally:
        conn.close()


def _bump(db: Database) -> None:
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'")


def data_version(db_path: str | Path) -> int:
    """A counter raised by every write: the web app keys its caches on it."""
    with connect(db_path) as db:
        return int(db.execute("SELECT value FROM meta WHERE key='data_version'").fetchone()[0])


def _dec(value: Decimal) -> str:
    return format(value, "f")


#: One encoder for every stored JSON text (json.dumps with options builds a new one per call).
_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


@lru_cache(maxsize=4096)
def _scalar_json(kind: type, value: Any) -> str:
    return _json(value)


def _value_json(value: Any) -> str:
    """The JSON of an answer: answers are a handful of distinct scalars (true, 0, "A", …), so
    their texts are cached (keyed by type too: ``True == 1``)."""
    if isinstance(value, bool | int | str):
        return _scalar_json(type(value), value)
    return _json(value)


def _insert_rows(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) with one ``executemany``: sqlite-utils'
    ``insert_all`` inspects every value and builds SQL per batch, several times slower."""
    if rows:
        columns = list(rows[0])
        db.conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(r[c] for c in columns) for r in rows])


# The audit table is append-only: triggers (migration 3) abort any UPDATE or DELETE of it. Every
# write function of this module appends its audit row(s) in the same transaction as the change.


def _actor(actor: str | None) -> str:
    """Who made a change: the signed-in user, else the operating-system user (command line)."""
    if actor:
        return actor
    import getpass

    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # pragma: no cover - no passwd entry
        return "os:?"


def _audit_row(actor: str | None, action: str, entity: str, entity_id: str | None = None,
               village: str | None = None, before: Any = None, after: Any = None,
               at: str | None = None) -> dict[str, Any]:
    return {"at": at or _now(), "actor": _actor(actor), "action": action, "entity": entity,
            "entity_id": entity_id, "village_code": village,
            "before": None if before is None else _json(before),
            "after": None if after is None else _json(after)}


def _audit(db: Database, actor: str | None, action: str, entity: str, entity_id: str | None = None,
           village: str | None = None, before: Any = None, after: Any = None) -> None:
    """Append one audit row inside the caller's transaction."""
    db["audit"].insert(_audit_row(actor, action, entity, entity_id, village, before, after))


def _changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict, dict]:
    """The keys whose values differ (one level into nested dicts, as ``key.sub``)."""
    def flat(d: dict[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in (d or {}).items():
            if isinstance(v, dict):
                out.update({f"{k}.{s}": x for s, x in v.items()})
            else:
                out[k] = v
        return out

    b, a = flat(before), flat(after)
    keys = sorted(k for k in b.keys() | a.keys() if b.get(k) != a.get(k))
    return {k: b[k] for k in keys if k in b}, {k: a[k] for k in keys if k in a}


def backup(db_path: str | Path, out: str | Path) -> dict[str, int]:
    """Copy the database to ``out`` while it is in use: SQLite's online backup in one step
    (one read snapshot: every transaction committed before it began, none half), written to a
    temporary file beside ``out``, checked with ``PRAGMA integrity_check``, then renamed into
    place. Returns the copy's schema version and page count."""
    path, out = Path(db_path), Path(out)
    if not path.exists():
        raise NotFound("file_missing_db", value=str(path))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    src = _raw_connect(path)
    try:
        dst = sqlite3.connect(str(tmp))
        try:
            src.backup(dst)  # pages=-1: the whole database under one read transaction
            info = _check(dst, tmp)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
        os.replace(tmp, out)
    finally:
        src.close()
        tmp.unlink(missing_ok=True)
    return info


def _check(conn: sqlite3.Connection, name: str | Path) -> dict[str, int]:
    """``integrity_check`` and the schema version of a database copy; UsageError when bad."""
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise UsageError("backup_bad", value=str(name), detail=str(exc)) from None
    if result != ["ok"]:
        raise UsageError("backup_bad", value=str(name), detail="; ".join(result[:5]))
    if not 1 <= version <= SCHEMA_VERSION:
        raise UsageError("backup_bad", value=str(name), detail=f"schema version {version}")
    return {"schema_version": version, "pages": pages}


def restore(db_path: str | Path, backup_file: str | Path) -> dict[str, int]:
    """Replace the database's content with a checked backup, in place: SQLite's online backup
    into the live file under its write lock (a running app sees the restored data on its next
    read), then migrate it to this program's schema and raise the data version above both so
    no cache keeps the old content. UsageError when the backup is not a sound database."""
    src_path, path = Path(backup_file), Path(db_path)
    if not src_path.is_file():
        raise NotFound("file_missing_db", value=str(src_path))
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
    try:
        info = _check(src, src_path)
        before = 0
        if path.exists():
            with connect(path) as db:
                before = int(db.execute("SELECT value FROM meta WHERE key='data_version'").fetchone()[0])
        dst = _raw_connect(path)
        try:
            lock = _write_locks.setdefault(str(path.resolve()), threading.RLock())
            with lock:
                src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    _migrated.discard(str(path.resolve()))
    migrate(path)
    with connect(path) as db, db.atomic():
        db.execute("UPDATE meta SET value = CAST(MAX(CAST(value AS INTEGER), ?) + 1 AS TEXT) "
                   "WHERE key = 'data_version'", [before])
        _audit(db, None, "database.restore", "database", str(src_path), after=info)
    return info
