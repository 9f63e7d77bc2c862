"""The store: every SQL statement of the project lives here.

SQLite through sqlite-utils. Each public function opens a short-lived connection (WAL mode, a
busy timeout, foreign keys on), does one unit of work in one transaction, and closes it: no
connection is ever shared between threads or cached by the web app. The schema is created and
migrated on first use (``PRAGMA user_version`` holds the version).

Scores are stored as exact decimal text (``"84.5"``) beside a REAL copy used only for sorting
and aggregate queries.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from core import config
from core.constants import county_of, township_of
from core.errors import DataError, NotFound, UsageError, problem
from core.model import FrozenMap, Round, Village, VillageResult

if TYPE_CHECKING:  # pragma: no cover - typing only
    from geo.io import Road
    from survey.registry import VillageRow
    from survey.scoring import Score
    from survey.submissions import Submission

BUSY_TIMEOUT_MS = 10_000

#: Schema migrations, applied in order; version N is the state after MIGRATIONS[N-1].
#: Never edit a released migration: append a new one.
MIGRATIONS: list[str] = [
    # 1: registry, rounds, submissions, drafts, roads, targets
    """
    CREATE TABLE counties (code TEXT PRIMARY KEY, name TEXT);
    CREATE TABLE townships (
        code TEXT PRIMARY KEY, county_code TEXT NOT NULL, name TEXT NOT NULL);
    CREATE TABLE villages (
        code TEXT PRIMARY KEY, township_code TEXT NOT NULL, county_code TEXT NOT NULL,
        name TEXT NOT NULL, lon REAL, lat REAL, title TEXT NOT NULL DEFAULT '无',
        title_year INTEGER, households INTEGER, demo INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL);
    CREATE INDEX villages_township ON villages(township_code);
    CREATE INDEX villages_county ON villages(county_code);
    CREATE TABLE rounds (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, start_date TEXT, end_date TEXT,
        created_at TEXT NOT NULL);
    CREATE TABLE submissions (
        id TEXT PRIMARY KEY, village_code TEXT NOT NULL REFERENCES villages(code),
        round_id TEXT NOT NULL REFERENCES rounds(id), date TEXT NOT NULL, surveyor TEXT NOT NULL,
        lon REAL, lat REAL, gps_accuracy_m REAL,
        answers TEXT NOT NULL, veto TEXT NOT NULL, notes TEXT NOT NULL, content TEXT NOT NULL,
        sections TEXT NOT NULL, total TEXT NOT NULL, total_num REAL NOT NULL,
        passed INTEGER NOT NULL, findings INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending', received_at TEXT NOT NULL);
    CREATE INDEX submissions_round_village ON submissions(round_id, village_code);
    CREATE TABLE submission_items (
        submission_id TEXT NOT NULL REFERENCES submissions(id), item_code TEXT NOT NULL,
        value TEXT NOT NULL, points TEXT NOT NULL, lost TEXT NOT NULL, lost_num REAL NOT NULL,
        finding INTEGER NOT NULL, PRIMARY KEY (submission_id, item_code)) WITHOUT ROWID;
    CREATE TABLE drafts (
        round_id TEXT NOT NULL, village_code TEXT NOT NULL, surveyor TEXT NOT NULL,
        payload TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (round_id, village_code, surveyor)) WITHOUT ROWID;
    CREATE TABLE roads (
        name TEXT PRIMARY KEY, geometry TEXT NOT NULL, buffer_m REAL NOT NULL,
        updated_at TEXT NOT NULL);
    CREATE TABLE belt_overrides (
        road_name TEXT NOT NULL, village_code TEXT NOT NULL, include INTEGER NOT NULL,
        set_by TEXT, set_at TEXT NOT NULL, PRIMARY KEY (road_name, village_code)) WITHOUT ROWID;
    CREATE TABLE targets (
        county_code TEXT NOT NULL, township_code TEXT NOT NULL DEFAULT '',
        percent TEXT NOT NULL, set_by TEXT, set_at TEXT NOT NULL,
        PRIMARY KEY (county_code, township_code)) WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    INSERT INTO meta VALUES ('data_version', '0');
    """,
    # 2: photos, the evidence of the tablet page: a draft's photos are those of its (round,
    # village, surveyor) with no submission yet; submitting links them to the submission id.
    """
    CREATE TABLE photos (
        id TEXT PRIMARY KEY, round_id TEXT NOT NULL, village_code TEXT NOT NULL,
        surveyor TEXT NOT NULL, item_code TEXT NOT NULL, sha256 TEXT NOT NULL,
        jpeg BLOB NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
        created_at TEXT NOT NULL, submission_id TEXT REFERENCES submissions(id));
    CREATE UNIQUE INDEX photos_draft ON photos(round_id, village_code, surveyor, item_code, sha256)
        WHERE submission_id IS NULL;
    CREATE INDEX photos_submission ON photos(submission_id);
    """,
    # 3: accounts, review decisions and versions of submissions, the append-only audit log
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY, display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('surveyor', 'reviewer', 'admin')),
        county_code TEXT NOT NULL, townships TEXT NOT NULL DEFAULT '[]',
        password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
        failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE UNIQUE INDEX users_display_name ON users(display_name);
    ALTER TABLE submissions ADD COLUMN supersedes TEXT REFERENCES submissions(id);
    ALTER TABLE submissions ADD COLUMN reviewed_by TEXT;
    ALTER TABLE submissions ADD COLUMN reviewed_at TEXT;
    ALTER TABLE submissions ADD COLUMN review_comment TEXT;
    CREATE INDEX submissions_supersedes ON submissions(supersedes);
    CREATE INDEX submissions_status ON submissions(status, round_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT, village_code TEXT,
        before TEXT, after TEXT);
    CREATE INDEX audit_village ON audit(village_code);
    CREATE INDEX audit_entity ON audit(entity, entity_id);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
    # 4: web sign-in sessions that survive a reload: only the SHA-256 of each token is stored
    """
    CREATE TABLE sessions (
        token_sha256 TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users(name),
        created_at TEXT NOT NULL, last_seen TEXT NOT NULL, expires_at TEXT NOT NULL) WITHOUT ROWID;
    CREATE INDEX sessions_user ON sessions(user_name);
    """,
    # 5: where each submission came from: tablet, odk (Central), kobo, jsonl (import-submissions).
    # Rows stored before: a tablet submission closed its draft (audited as draft.close); the
    # others came from JSON Lines.
    """
    ALTER TABLE submissions ADD COLUMN source TEXT NOT NULL DEFAULT 'tablet';
    UPDATE submissions SET source = 'jsonl' WHERE id NOT IN (
        SELECT entity_id FROM audit WHERE action = 'draft.close' AND entity_id IS NOT NULL);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _raw_connect(db_path: Path) -> sqlite3.Connection:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(db_path), timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged commit survives a power cut, not only a process crash.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def migrate(db_path: str | Path) -> int:
    """Create or migrate the database; return the schema version."""
    path = Path(db_path)
    conn = _raw_connect(path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UsageError("schema_newer", value=version, known=SCHEMA_VERSION)
        for number in range(version + 1, SCHEMA_VERSION + 1):
            # executescript commits first; BEGIN IMMEDIATE makes the migration atomic and
            # serialises two processes that migrate the same new file at once.
            conn.executescript(
                "BEGIN IMMEDIATE;\n" + MIGRATIONS[number - 1]
                + f"\nPRAGMA user_version={number};\nCOMMIT;"
            )
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
            raise sqlite3.OperationalError("database is locked")  # as SQLite says after its timeout
        try:
            self.conn.execute("BEGIN IMMEDIATE")
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


# --- registry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int


_VILLAGE_FIELDS = ("name", "township_code", "county_code", "lon", "lat", "title", "title_year",
                   "households", "demo")


def import_registry(db_path: str | Path, rows: Iterable[VillageRow],
                    actor: str | None = None) -> ImportSummary:
    """Add or update villages (with their townships and counties) from validated rows, in one
    transaction. Fields a file did not carry (``None`` in the row) keep their stored value."""
    rows = list(rows)
    now = _now()
    who = _actor(actor)
    with connect(db_path) as db, db.atomic():
        existing = {r["code"]: r for r in db.query(
            "SELECT code, name, township_code, county_code, lon, lat, title, title_year, "
            "households, demo FROM villages")}
        towns = {r["code"]: r["name"] for r in db.query("SELECT code, name FROM townships")}
        counties = {r["code"]: r["name"] for r in db.query("SELECT code, name FROM counties")}
        new_towns: dict[str, tuple[str, str]] = {}
        new_counties: dict[str, str | None] = {}
        changed: list[dict[str, Any]] = []
        added = updated = unchanged = 0
        for row in rows:
            town_code, county_code = township_of(row.code), county_of(row.code)
            if towns.get(town_code) != row.township:
                new_towns[town_code] = (county_code, row.township)
            if row.county and counties.get(county_code) != row.county:
                new_counties[county_code] = row.county
            elif county_code not in counties and county_code not in new_counties:
                new_counties[county_code] = None
            old = existing.get(row.code)
            record = {
                "code": row.code, "name": row.name, "township_code": town_code,
                "county_code": county_code,
                "lon": row.lon if row.lon is not None else (old or {}).get("lon"),
                "lat": row.lat if row.lat is not None else (old or {}).get("lat"),
                "title": row.title if row.title is not None else (old or {}).get("title", "无"),
                "title_year": row.title_year if row.title is not None or row.title_year is not None
                else (old or {}).get("title_year"),
                "households": row.households if row.households is not None
                else (old or {}).get("households"),
                "demo": int(row.demo) if row.demo is not None else (old or {}).get("demo", 0),
            }
            if old is None:
                added += 1
            elif any(old[f] != record[f] for f in _VILLAGE_FIELDS):
                updated += 1
            else:
                unchanged += 1
                continue
            record["updated_at"] = now
            changed.append(record)
        if new_counties:
            db["counties"].upsert_all(
                [{"code": c, "name": n} for c, n in new_counties.items()], pk="code")
        if new_towns:
            db["townships"].upsert_all(
                [{"code": c, "county_code": cc, "name": n} for c, (cc, n) in new_towns.items()],
                pk="code")
        if changed:
            columns = list(changed[0])
            db.conn.executemany(
                f"INSERT INTO villages ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                f"ON CONFLICT(code) DO UPDATE SET "
                f"{', '.join(f'{c} = excluded.{c}' for c in columns if c != 'code')}",
                [tuple(r[c] for c in columns) for r in changed])
            _insert_rows(db, "audit", [_audit_row(
                who, "village.update" if r["code"] in existing else "village.add", "village",
                r["code"], r["code"], *_changes(existing.get(r["code"]),
                                                {f: r[f] for f in ("code", *_VILLAGE_FIELDS)}),
                at=now) for r in changed])
            _bump(db)
    return ImportSummary(added, updated, unchanged)


def _village(row: dict[str, Any]) -> Village:
    return Village(
        code=row["code"], name=row["name"], township_code=row["township_code"],
        township=row["township"], county_code=row["county_code"], county=row["county"],
        lon=row["lon"], lat=row["lat"], title=row["title"], title_year=row["title_year"],
        households=row["households"], demo=bool(row["demo"]))


_VILLAGE_SELECT = (
    "SELECT v.code, v.name, v.township_code, t.name AS township, v.county_code, "
    "c.name AS county, v.lon, v.lat, v.title, v.title_year, v.households, v.demo "
    "FROM villages v JOIN townships t ON t.code = v.township_code "
    "LEFT JOIN counties c ON c.code = v.county_code")


def villages(db_path: str | Path, county: str | None = None,
             township: str | None = None, townships: Iterable[str] = ()) -> list[Village]:
    """Villages of the registry, sorted by code, optionally of one county, one township and
    any of ``townships`` (a user's scope)."""
    where, params = _scope(county, township, townships)
    with connect(db_path) as db:
        return [_village(r) for r in db.query(f"{_VILLAGE_SELECT}{where} ORDER BY v.code", params)]


def village(db_path: str | Path, code: str) -> Village:
    with connect(db_path) as db:
        rows = list(db.query(f"{_VILLAGE_SELECT} WHERE v.code = ?", [code]))
    if not rows:
        raise NotFound("village_unknown", value=code)
    return _village(rows[0])


def _scope(county: str | None, township: str | None,
           townships: Iterable[str] = ()) -> tuple[str, list[str]]:
    clauses, params = [], []
    towns = list(townships)
    if towns:
        clauses.append(f"v.township_code IN ({','.join('?' * len(towns))})")
        params.extend(towns)
    if county:
        clauses.append("v.county_code = ?")
        params.append(county)
    if township:
        clauses.append("v.township_code = ?")
        params.append(township)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def counties(db_path: str | Path) -> dict[str, str | None]:
    """County code -> name (None when no file named it)."""
    with connect(db_path) as db:
        return {r["code"]: r["name"] for r in db.query("SELECT code, name FROM counties ORDER BY code")}


def townships(db_path: str | Path, county: str | None = None) -> dict[str, tuple[str, str]]:
    """Township code -> (name, county code), sorted by code."""
    sql = "SELECT code, name, county_code FROM townships"
    params: list[str] = []
    if county:
        sql += " WHERE county_code = ?"
        params.append(county)
    with connect(db_path) as db:
        return {r["code"]: (r["name"], r["county_code"]) for r in db.query(sql + " ORDER BY code", params)}


# --- rounds ------------------------------------------------------------------------------------


def _round(row: dict[str, Any]) -> Round:
    return Round(id=row["id"], name=row["name"], start_date=row["start_date"],
                 end_date=row["end_date"], created_at=row["created_at"])


def rounds(db_path: str | Path) -> list[Round]:
    """All rounds, oldest first (by start date, then creation time, then id)."""
    with connect(db_path) as db:
        return [_round(r) for r in db.query(
            "SELECT * FROM rounds ORDER BY COALESCE(start_date, created_at), created_at, id")]


def get_round(db_path: str | Path, round_id: str) -> Round:
    """The round ``round_id``; :class:`NotFound` naming the known rounds otherwise."""
    with connect(db_path) as db:
        rows = list(db.query("SELECT * FROM rounds WHERE id = ?", [round_id]))
        if rows:
            return _round(rows[0])
        known = [r["id"] for r in db.query("SELECT id FROM rounds ORDER BY id")]
    raise NotFound("round_unknown", value=round_id, known="、".join(known) or "（无 none）")


def create_round(db_path: str | Path, rnd: Round, actor: str | None = None) -> Round:
    """Open a new round; :class:`UsageError` when the id exists."""
    created = Round(rnd.id, rnd.name, rnd.start_date, rnd.end_date, rnd.created_at or _now())
    with connect(db_path) as db, db.atomic():
        if list(db.query("SELECT 1 FROM rounds WHERE id = ?", [rnd.id])):
            raise UsageError("round_exists", value=rnd.id)
        db["rounds"].insert(created.__dict__)
        _audit(db, actor, "round.add", "round", rnd.id, after=created.__dict__)
        _bump(db)
    return created


# --- submissions -------------------------------------------------------------------------------


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


def save_submissions(
    db_path: str | Path,
    scored: Iterable[tuple[Submission, Score]],
    source: dict[str, tuple[str, int]] | None = None,
    actor: str | None = None,
) -> tuple[int, int]:
    """Store scored submissions exactly once, all or nothing; return (added, skipped).

    A submission whose id is stored already with the same content is skipped (a resubmit after
    a dropped connection); the same id with *different* content is a conflict: nothing of the
    batch is written and :class:`DataError` names each conflict (located by ``source``:
    id -> (file, line), when given). Missing rounds are created (named by their id). A new
    submission of a village whose latest version in the round was returned supersedes it (the
    returned version is kept). Each stored submission appends an audit row (``actor``, else its
    surveyor).
    """
    from survey.submissions import canonical

    scored = list(scored)
    source = source or {}
    now = _now()
    # One write transaction from the first read: two writers saving the same id at once cannot
    # both see it as new.
    with connect(db_path) as db, db.atomic():
        ids = [s.id for s, _ in scored]
        stored: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            stored.update((r["id"], r["content"]) for r in db.query(
                f"SELECT id, content FROM submissions WHERE id IN ({marks})", chunk))
        problems, rows, items, seen = [], [], [], set()
        for sub, score in scored:
            content = canonical(sub)
            if sub.id in stored or sub.id in seen:
                if stored.get(sub.id, content) != content:
                    file, line = source.get(sub.id, ("submission", None))
                    problems.append(problem("submission_conflict", file, line, "id", value=sub.id))
                continue
            seen.add(sub.id)
            rows.append({
                "id": sub.id, "village_code": sub.village, "round_id": sub.round, "date": sub.date,
                "surveyor": sub.surveyor, "lon": sub.lon, "lat": sub.lat,
                "gps_accuracy_m": sub.gps_accuracy_m, "answers": _json(sub.answers),
                "veto": _json(list(sub.veto)), "notes": _json(sub.notes), "content": content,
                "sections": _json({k: _dec(v) for k, v in score.sections.items()}),
                "total": _dec(score.total), "total_num": float(score.total),
                "passed": int(score.passed), "findings": score.findings,
                "status": "pending", "received_at": now,
            })
            items.extend((sub.id, it.code, _value_json(it.value), _dec(it.points), _dec(it.lost),
                          float(it.lost), int(it.finding)) for it in score.items)
        if problems:
            raise DataError(problems)
        if rows:
            known = {r["id"] for r in db.query("SELECT id FROM rounds")}
            new_rounds = sorted({r["round_id"] for r in rows} - known)
            if new_rounds:
                db["rounds"].insert_all(
                    [{"id": r, "name": r, "start_date": None, "end_date": None, "created_at": now}
                     for r in new_rounds])
            _link_versions(db, rows)
            _insert_rows(db, "submissions", rows)
            db.conn.executemany(
                "INSERT INTO submission_items (submission_id, item_code, value, points, lost, lost_num, "
                "finding) VALUES (?, ?, ?, ?, ?, ?, ?)", items)
            _insert_rows(db, "audit", [_audit_row(
                actor or r["surveyor"], "submission.add", "submission", r["id"],
                r["village_code"], after={k: r[k] for k in (
                    "round_id", "date", "surveyor", "total", "passed", "supersedes")}, at=now)
                for r in rows])
            _bump(db)
    return len(rows), len(scored) - len(rows)


def submission_exists(db_path: str | Path, submission_id: str) -> bool:
    with connect(db_path) as db:
        return bool(list(db.query("SELECT 1 FROM submissions WHERE id = ?", [submission_id])))


_RESULTS_SQL = """
SELECT v.code, v.name, v.township_code, t.name AS township, v.county_code, c.name AS county,
       v.lon, v.lat, v.title, v.title_year, v.households, v.demo,
       r.id AS sid, r.date AS s_date, r.surveyor AS s_surveyor, r.lon AS s_lon, r.lat AS s_lat,
       r.gps_accuracy_m AS s_acc, r.sections AS s_sections, r.total AS s_total, r.veto AS s_veto,
       r.passed AS s_passed, r.findings AS s_findings, r.status AS s_status
FROM villages v JOIN townships t ON t.code = v.township_code
LEFT JOIN counties c ON c.code = v.county_code
-- the counting submission: a correlated lookup on (round_id, village_code) is an index probe
-- per village; a window over the whole round joined back scanned the round once per village.
-- Joined by rowid, not by id: no second index probe per village.
LEFT JOIN submissions r ON r.rowid = (
    SELECT s.rowid FROM submissions s
    WHERE s.round_id = ? AND s.village_code = v.code AND s.status != 'returned'
    ORDER BY s.date DESC, s.rowid DESC LIMIT 1)
"""


def round_results(db_path: str | Path, round_id: str, county: str | None = None,
                  township: str | None = None, townships: Iterable[str] = ()) -> list[VillageResult]:
    """Every village of the registry (optionally of one county / township) with its counting
    submission of ``round_id``: the latest one (by date, then arrival) not returned by a
    reviewer. Sorted by code; ``townships`` (any of) narrows to a user's scope.
    :class:`NotFound` for an unknown round."""
    get_round(db_path, round_id)
    where, params = _scope(county, township, townships)
    with connect(db_path) as db:
        rows = db.execute(_RESULTS_SQL + where + " ORDER BY v.code", [round_id, *params]).fetchall()
    # Province scale: 25,000 rows. Records are named tuples built by position (tuple.__new__,
    # as their ``_make`` does, without a Python call per record), and the few distinct score
    # texts (sections, totals, vetoes) are decoded once each; the read-only sections are shared.
    new = tuple.__new__
    sections: dict[str, FrozenMap] = {}
    totals: dict[str, Decimal] = {}
    vetoes: dict[str, tuple[str, ...]] = {"[]": ()}
    unassessed = VillageResult(None, round_id)[1:]  # type: ignore[arg-type]  # the defaults, in order
    out = []
    append = out.append
    for (code, name, town_code, town, county_code, county, lon, lat, title, title_year, households,
         demo, sid, date, surveyor, s_lon, s_lat, accuracy, s_sections, total, veto, passed, findings,
         status) in rows:
        v = new(Village, (code, name, town_code, town, county_code, county, lon, lat, title, title_year,
                          households, demo != 0))
        if sid is None:
            append(new(VillageResult, (v, *unassessed)))
            continue
        s = sections.get(s_sections)
        if s is None:
            s = sections[s_sections] = FrozenMap((k, Decimal(x)) for k, x in json.loads(s_sections).items())
        t = totals.get(total)
        if t is None:
            t = totals[total] = Decimal(total)
        vt = vetoes.get(veto)
        if vt is None:
            vt = vetoes[veto] = tuple(json.loads(veto))
        append(new(VillageResult, (v, round_id, sid, date, surveyor, s_lon, s_lat, accuracy, s, t, vt,
                                   passed != 0, findings, status)))
    return out


def item_losses(db_path: str | Path, submission_ids: Iterable[str]) -> dict[str, list[tuple[str, Decimal]]]:
    """Submission id -> the items that lost points, most points lost first."""
    ids = list(submission_ids)
    out: dict[str, list[tuple[str, Decimal]]] = {i: [] for i in ids}
    with connect(db_path) as db:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for r in db.query(
                f"SELECT submission_id, item_code, lost FROM submission_items "
                f"WHERE submission_id IN ({marks}) AND lost_num > 0 "
                f"ORDER BY submission_id, lost_num DESC, item_code", chunk):
                out[r["submission_id"]].append((r["item_code"], Decimal(r["lost"])))
    return out


def submission(db_path: str | Path, submission_id: str) -> dict[str, Any]:
    """One stored submission with its answers, veto, notes and scores (decoded)."""
    with connect(db_path) as db:
        rows = list(db.query("SELECT * FROM submissions WHERE id = ?", [submission_id]))
    if not rows:
        raise NotFound("submission_unknown", value=submission_id)
    row = rows[0]
    for key in ("answers", "veto", "notes", "sections"):
        row[key] = json.loads(row[key])
    row["total"] = Decimal(row["total"])
    row["sections"] = {k: Decimal(v) for k, v in row["sections"].items()}
    return row


def round_progress(db_path: str | Path, round_id: str, surveyor: str | None = None) -> dict[str, str]:
    """Village code -> 'submitted' or 'draft' for one round (villages with neither are absent)."""
    with connect(db_path) as db:
        out = {}
        draft_sql = "SELECT village_code FROM drafts WHERE round_id = ?"
        params = [round_id]
        if surveyor is not None:
            draft_sql += " AND surveyor = ?"
            params.append(surveyor)
        for r in db.query(draft_sql, params):
            out[r["village_code"]] = "draft"
        for r in db.query("SELECT DISTINCT village_code FROM submissions WHERE round_id = ? "
                          "AND status != 'returned'", [round_id]):
            out[r["village_code"]] = "submitted"
        return out


# --- drafts ------------------------------------------------------------------------------------


def save_draft(db_path: str | Path, round_id: str, village_code: str, surveyor: str,
               payload: dict[str, Any], actor: str | None = None) -> None:
    """Save (replace) the draft of one village, round and surveyor (audited: what changed)."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT payload FROM drafts WHERE round_id = ? AND village_code = ? "
                                 "AND surveyor = ?", [round_id, village_code, surveyor])), None)
        before, after = _changes(json.loads(old["payload"]) if old else None, payload)
        if before or after:
            _audit(db, actor or surveyor, "draft.save", "draft", f"{round_id}/{village_code}/{surveyor}",
                   village_code, before, after)
        db["drafts"].upsert({"round_id": round_id, "village_code": village_code,
                             "surveyor": surveyor, "payload": _json(payload),
                             "updated_at": _now()}, pk=("round_id", "village_code", "surveyor"))


def load_draft(db_path: str | Path, round_id: str, village_code: str, surveyor: str) -> dict[str, Any] | None:
    with connect(db_path) as db:
        rows = list(db.query("SELECT payload FROM drafts WHERE round_id = ? AND village_code = ? "
                             "AND surveyor = ?", [round_id, village_code, surveyor]))
    return json.loads(rows[0]["payload"]) if rows else None


def delete_draft(db_path: str | Path, round_id: str, village_code: str, surveyor: str,
                 actor: str | None = None) -> None:
    with connect(db_path) as db, db.atomic():
        if db.execute("DELETE FROM drafts WHERE round_id = ? AND village_code = ? AND surveyor = ?",
                      [round_id, village_code, surveyor]).rowcount:
            _audit(db, actor or surveyor, "draft.delete", "draft",
                   f"{round_id}/{village_code}/{surveyor}", village_code)


# --- roads and belts ---------------------------------------------------------------------------


def replace_roads(db_path: str | Path, new_roads: Iterable[Road],
                  actor: str | None = None) -> tuple[int, int]:
    """Add or replace roads by name; return (added, replaced). An identical road is left as is."""
    from shapely.geometry import mapping

    new_roads = list(new_roads)
    now = _now()
    with connect(db_path) as db:
        known = {r["name"]: (r["geometry"], r["buffer_m"])
                 for r in db.query("SELECT name, geometry, buffer_m FROM roads")}
        rows = [{"name": r.name, "geometry": _json(mapping(r.geometry)), "buffer_m": float(r.buffer_m),
                 "updated_at": now} for r in new_roads]
        changed = [r for r in rows if known.get(r["name"]) != (r["geometry"], r["buffer_m"])]
        with db.atomic():
            if changed:
                db["roads"].upsert_all(changed, pk="name")
                db["audit"].insert_all([_audit_row(
                    actor, "road.replace" if r["name"] in known else "road.add", "road", r["name"],
                    before={"buffer_m": known[r["name"]][1]} if r["name"] in known else None,
                    after={"buffer_m": r["buffer_m"]}, at=now) for r in changed])
                _bump(db)
    replaced = sum(1 for r in changed if r["name"] in known)
    return len(changed) - replaced, replaced


def roads(db_path: str | Path) -> list[Road]:
    """Stored roads (demonstration belts), sorted by name."""
    from shapely.geometry import shape

    from geo.io import Road

    with connect(db_path) as db:
        return [Road(name=r["name"], geometry=shape(json.loads(r["geometry"])), buffer_m=r["buffer_m"])
                for r in db.query("SELECT name, geometry, buffer_m FROM roads ORDER BY name")]


def belt_overrides(db_path: str | Path) -> list[tuple[str, str, bool]]:
    """(road name, village code, include) set by hand."""
    with connect(db_path) as db:
        return [(r["road_name"], r["village_code"], bool(r["include"])) for r in db.query(
            "SELECT road_name, village_code, include FROM belt_overrides ORDER BY road_name, village_code")]


def set_belt_override(db_path: str | Path, road_name: str, village_code: str,
                      include: bool | None, by: str | None = None, actor: str | None = None) -> None:
    """Add (True) or remove (False) a village from a belt by hand; None clears the override."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT include FROM belt_overrides WHERE road_name = ? AND "
                                 "village_code = ?", [road_name, village_code])), None)
        _audit(db, actor or by, "belt.override", "road", road_name, village_code,
               {"include": None if old is None else bool(old["include"])}, {"include": include})
        if include is None:
            db.execute("DELETE FROM belt_overrides WHERE road_name = ? AND village_code = ?",
                       [road_name, village_code])
        else:
            db["belt_overrides"].upsert({"road_name": road_name, "village_code": village_code,
                                         "include": int(include), "set_by": by, "set_at": _now()},
                                        pk=("road_name", "village_code"))
        _bump(db)


# --- targets -----------------------------------------------------------------------------------


def get_target(db_path: str | Path, county: str, township: str | None = None) -> Decimal:
    """The share target (percent) in force: the township's own, else the county's, else 50."""
    with connect(db_path) as db:
        rows = {r["township_code"]: r["percent"] for r in db.query(
            "SELECT township_code, percent FROM targets WHERE county_code = ? AND township_code IN ('', ?)",
            [county, township or ""])}
    return Decimal(rows.get(township or "", rows.get("", config.DEFAULT_TARGET)))


def targets(db_path: str | Path) -> list[dict[str, Any]]:
    """Every target set by hand: county, township ('' for the county's), percent, who, when."""
    with connect(db_path) as db:
        return [dict(r, percent=Decimal(r["percent"])) for r in db.query(
            "SELECT county_code, township_code, percent, set_by, set_at FROM targets "
            "ORDER BY county_code, township_code")]


def set_target(db_path: str | Path, county: str, percent: Decimal, by: str | None,
               township: str | None = None, actor: str | None = None) -> None:
    """Set the share target of a county (or one of its townships), recording who and when."""
    if not Decimal(0) <= Decimal(percent) <= Decimal(100):
        raise UsageError("target_range", value=str(percent))
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT percent FROM targets WHERE county_code = ? AND "
                                 "township_code = ?", [county, township or ""])), None)
        _audit(db, actor or by, "target.set", "target", f"{county}/{township or ''}",
               before={"percent": old and old["percent"]}, after={"percent": _dec(Decimal(percent))})
        db["targets"].upsert({"county_code": county, "township_code": township or "",
                              "percent": _dec(Decimal(percent)), "set_by": by, "set_at": _now()},
                             pk=("county_code", "township_code"))
        _bump(db)


# --- meta and statistics -----------------------------------------------------------------------


def set_meta(db_path: str | Path, key: str, value: str) -> None:
    with connect(db_path) as db, db.atomic():
        db["meta"].upsert({"key": key, "value": value}, pk="key")


def get_meta(db_path: str | Path, key: str) -> str | None:
    with connect(db_path) as db:
        rows = list(db.query("SELECT value FROM meta WHERE key = ?", [key]))
    return rows[0]["value"] if rows else None


def stats(db_path: str | Path) -> dict[str, int]:
    """Counts of counties, townships, villages, roads, rounds and submissions."""
    with connect(db_path) as db:
        return {name: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for name, table in (
            ("counties", "counties"), ("townships", "townships"), ("villages", "villages"),
            ("roads", "roads"), ("rounds", "rounds"), ("submissions", "submissions"))}


# --- photos (evidence for the tablet page) -----------------------------------------------------


@dataclass(frozen=True)
class PhotoInfo:
    """A stored photo without its bytes (read those with :func:`photo_jpeg`)."""

    id: str
    item_code: str
    sha256: str
    width: int
    height: int
    created_at: str


_PHOTO_COLUMNS = "id, item_code, sha256, width, height, created_at"


def add_photo(db_path: str | Path, round_id: str, village_code: str, surveyor: str,
              item_code: str, sha256: str, jpeg: bytes, width: int, height: int,
              actor: str | None = None) -> str:
    """Attach a photo to the draft (round, village, surveyor) for ``item_code``; return its id.
    The same original (``sha256``) added twice to the same draft item is stored once."""
    import uuid

    with connect(db_path) as db, db.atomic():
        found = list(db.query(
            "SELECT id FROM photos WHERE round_id = ? AND village_code = ? AND surveyor = ? "
            "AND item_code = ? AND sha256 = ? AND submission_id IS NULL",
            [round_id, village_code, surveyor, item_code, sha256]))
        if found:
            return found[0]["id"]
        photo_id = uuid.uuid4().hex
        db["photos"].insert({
            "id": photo_id, "round_id": round_id, "village_code": village_code,
            "surveyor": surveyor, "item_code": item_code, "sha256": sha256, "jpeg": jpeg,
            "width": width, "height": height, "created_at": _now(), "submission_id": None})
        _audit(db, actor or surveyor, "photo.add", "photo", photo_id, village_code,
               after={"item": item_code, "sha256": sha256})
    return photo_id


def draft_photos(db_path: str | Path, round_id: str, village_code: str,
                 surveyor: str) -> list[PhotoInfo]:
    """The photos of a draft, oldest first."""
    with connect(db_path) as db:
        return [PhotoInfo(**r) for r in db.query(
            f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE round_id = ? AND village_code = ? "
            "AND surveyor = ? AND submission_id IS NULL ORDER BY created_at, rowid",
            [round_id, village_code, surveyor])]


def submission_photos(db_path: str | Path, submission_id: str) -> list[PhotoInfo]:
    """The photos of a stored submission, oldest first."""
    with connect(db_path) as db:
        return [PhotoInfo(**r) for r in db.query(
            f"SELECT {_PHOTO_COLUMNS} FROM photos WHERE submission_id = ? ORDER BY created_at, rowid",
            [submission_id])]


def photo_jpeg(db_path: str | Path, photo_id: str) -> bytes:
    """The stored JPEG of a photo; :class:`NotFound` when there is none."""
    with connect(db_path) as db:
        rows = list(db.query("SELECT jpeg FROM photos WHERE id = ?", [photo_id]))
    if not rows:
        raise NotFound("photo_unknown", value=photo_id)
    return rows[0]["jpeg"]


def delete_photo(db_path: str | Path, photo_id: str, actor: str | None = None) -> None:
    """Remove a photo from its draft; :class:`NotFound` when it is unknown or submitted already."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT village_code, surveyor, item_code, sha256 FROM photos "
                                 "WHERE id = ? AND submission_id IS NULL", [photo_id])), None)
        if old is None:
            raise NotFound("photo_unknown", value=photo_id)
        db.execute("DELETE FROM photos WHERE id = ?", [photo_id])
        _audit(db, actor or old["surveyor"], "photo.delete", "photo", photo_id, old["village_code"],
               before={"item": old["item_code"], "sha256": old["sha256"]})


def close_draft(db_path: str | Path, round_id: str, village_code: str, surveyor: str,
                submission_id: str, actor: str | None = None) -> int:
    """After its submission is stored: link the draft's photos to ``submission_id`` and delete
    the draft, in one transaction. Returns the number of photos linked; a repeat is a no-op."""
    with connect(db_path) as db, db.atomic():
        if not list(db.query("SELECT 1 FROM submissions WHERE id = ?", [submission_id])):
            raise NotFound("submission_unknown", value=submission_id)
        linked = db.execute(
            "UPDATE photos SET submission_id = ? WHERE round_id = ? AND village_code = ? "
            "AND surveyor = ? AND submission_id IS NULL",
            [submission_id, round_id, village_code, surveyor]).rowcount
        if db.execute("DELETE FROM drafts WHERE round_id = ? AND village_code = ? AND surveyor = ?",
                      [round_id, village_code, surveyor]).rowcount or linked:
            _audit(db, actor or surveyor, "draft.close", "submission", submission_id, village_code,
                   after={"photos": linked})
    return linked


# --- accounts, review, audit -------------------------------------------------------------------
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


def append_audit(db_path: str | Path, actor: str | None, action: str, entity: str,
                 entity_id: str | None = None, village: str | None = None, before: Any = None,
                 after: Any = None) -> None:
    """Append one audit row on its own (a write with no other table to change)."""
    with connect(db_path) as db, db.atomic():
        _audit(db, actor, action, entity, entity_id, village, before, after)


def audit_rows(db_path: str | Path, village: str | None = None, entity: str | None = None,
               entity_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Audit rows, newest first, of one village, entity or entity id (all when None)."""
    clauses, params = [], []
    for column, value in (("village_code", village), ("entity", entity), ("entity_id", entity_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    with connect(db_path) as db:
        rows = list(db.query(f"SELECT * FROM audit{where} ORDER BY id DESC LIMIT ?", [*params, limit]))
    for r in rows:
        r["before"] = None if r["before"] is None else json.loads(r["before"])
        r["after"] = None if r["after"] is None else json.loads(r["after"])
    return rows


# users: the password hash never leaves these functions except through user_row(with_hash=True),
# and never enters an audit row.
_USER_PUBLIC = ("name, display_name, role, county_code, townships, disabled, failed_logins, "
                "locked_until, created_at, updated_at")


def _user(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["townships"] = tuple(json.loads(row["townships"]))
    row["disabled"] = bool(row["disabled"])
    return row


def _user_audit(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: row[k] for k in ("display_name", "role", "county_code", "townships", "disabled")}


def user_rows(db_path: str | Path) -> list[dict[str, Any]]:
    """Every account (no password hashes), sorted by name."""
    with connect(db_path) as db:
        return [_user(r) for r in db.query(f"SELECT {_USER_PUBLIC} FROM users ORDER BY name")]


def user_row(db_path: str | Path, name: str, with_hash: bool = False) -> dict[str, Any] | None:
    """One account by login name, or None."""
    columns = _USER_PUBLIC + (", password_hash" if with_hash else "")
    with connect(db_path) as db:
        rows = list(db.query(f"SELECT {columns} FROM users WHERE name = ?", [name]))
    return _user(rows[0]) if rows else None


def user_count(db_path: str | Path) -> int:
    with connect(db_path) as db:
        return db.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def insert_user(db_path: str | Path, name: str, display_name: str, role: str, county: str,
                townships: Iterable[str], password_hash: str, actor: str | None) -> None:
    """Create an account; :class:`UsageError` when the name or display name is taken."""
    now = _now()
    record = {"name": name, "display_name": display_name, "role": role, "county_code": county,
              "townships": _json(list(townships)), "password_hash": password_hash, "disabled": 0,
              "failed_logins": 0, "locked_until": None, "created_at": now, "updated_at": now}
    with connect(db_path) as db, db.atomic():
        if list(db.query("SELECT 1 FROM users WHERE name = ? OR display_name = ?", [name, display_name])):
            raise UsageError("user_exists", value=name, display=display_name)
        db["users"].insert(record)
        _audit(db, actor, "user.add", "user", name,
               after=_user_audit(dict(record, townships=list(townships), disabled=False)))


def update_user(db_path: str | Path, name: str, actor: str | None, **changes: Any) -> None:
    """Change columns of an account (``display_name``, ``role``, ``county_code``, ``townships``,
    ``disabled``, ``password_hash``, ``locked_until``, ``failed_logins``); :class:`NotFound`
    for an unknown name. The audit row names a password change without any hash."""
    with connect(db_path) as db, db.atomic():
        rows = list(db.query(f"SELECT {_USER_PUBLIC}, password_hash FROM users WHERE name = ?", [name]))
        if not rows:
            raise NotFound("user_unknown", value=name)
        before = _user(rows[0])
        values = dict(changes)
        if "townships" in values:
            values["townships"] = _json(list(values["townships"]))
        if "disabled" in values:
            values["disabled"] = int(values["disabled"])
        values["updated_at"] = _now()
        try:
            db["users"].update(name, values)
        except sqlite3.IntegrityError:
            raise UsageError("user_exists", value=name, display=values.get("display_name")) from None
        after = _user(next(iter(db.query(f"SELECT {_USER_PUBLIC} FROM users WHERE name = ?", [name]))))
        old, new = _changes(_user_audit(before), _user_audit(after))
        if "password_hash" in changes:
            old["password"], new["password"] = "***", "***（已更改 changed）"
        if "password_hash" in changes or changes.get("disabled"):
            # a new password or a disabled account ends every browser signed in as it
            db.execute("DELETE FROM sessions WHERE user_name = ?", [name])
        _audit(db, actor, "user.update", "user", name, before=old, after=new)


def login_failed(db_path: str | Path, name: str, max_failures: int, lock_until: str) -> str | None:
    """Count a failed login of ``name`` (any name: unknown ones are only recorded). At the
    ``max_failures``-th failure in a row the account is locked until ``lock_until`` and the count
    starts again. Returns the time the account is locked until, or None."""
    with connect(db_path) as db, db.atomic():
        rows = list(db.query("UPDATE users SET failed_logins = failed_logins + 1 WHERE name = ? "
                             "RETURNING failed_logins", [name]))
        locked = None
        if rows and rows[0]["failed_logins"] >= max_failures:
            db.execute("UPDATE users SET failed_logins = 0, locked_until = ? WHERE name = ?",
                       [lock_until, name])
            locked = lock_until
        _audit(db, name, "login.failed", "user", name,
               after={"failures": rows[0]["failed_logins"] if rows else None, "locked_until": locked})
    return locked


def login_refused(db_path: str | Path, name: str, reason: str) -> None:
    """Record a refused login (locked or disabled account)."""
    append_audit(db_path, name, "login.refused", "user", name, after={"reason": reason})


def login_succeeded(db_path: str | Path, name: str, new_hash: str | None = None) -> None:
    """Record a login: reset the failure count (and store a re-hashed password when given)."""
    with connect(db_path) as db, db.atomic():
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
        if new_hash:
            values["password_hash"] = new_hash
        db["users"].update(name, values)
        _audit(db, name, "login", "user", name)


def logout(db_path: str | Path, name: str, reason: str) -> None:
    append_audit(db_path, name, "logout", "user", name, after={"reason": reason})


# review: the queue, decisions and versions of submissions

_QUEUE_SELECT = (
    "SELECT s.id, s.round_id, s.village_code, v.name AS village, v.township_code, "
    "t.name AS township, v.county_code, s.date, s.surveyor, s.total, s.passed, s.veto, "
    "s.findings, s.status, s.supersedes, s.review_comment, s.reviewed_by, s.reviewed_at, "
    "s.received_at, s.lon, s.lat, s.gps_accuracy_m, "
    "(SELECT n.id FROM submissions n WHERE n.supersedes = s.id) AS superseded_by "
    "FROM submissions s JOIN villages v ON v.code = s.village_code "
    "JOIN townships t ON t.code = v.township_code")


def _queue_row(r: dict[str, Any]) -> dict[str, Any]:
    return dict(r, total=Decimal(r["total"]), passed=bool(r["passed"]),
                veto=tuple(json.loads(r["veto"])))


def review_rows(db_path: str | Path, round_id: str | None = None, county: str | None = None,
                townships: Iterable[str] = (), township: str | None = None,
                surveyor: str | None = None, statuses: Iterable[str] = (),
                ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Submissions with their village, review state and versions, sorted by village code then
    date, filtered by round, county, townships (any of), township, surveyor, statuses, ids."""
    clauses, params = [], []
    for column, value in (("s.round_id", round_id), ("v.county_code", county),
                          ("v.township_code", township), ("s.surveyor", surveyor)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    for column, values in (("v.township_code", list(townships)), ("s.status", list(statuses))):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if ids is not None:
        wanted = list(ids)
        clauses.append(f"s.id IN ({','.join('?' * len(wanted))})" if wanted else "0")
        params.extend(wanted)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    with connect(db_path) as db:
        return [_queue_row(r) for r in db.query(
            f"{_QUEUE_SELECT}{where} ORDER BY s.village_code, s.date, s.rowid", params)]


def decide(db_path: str | Path, ids: Iterable[str], status: str, by: str,
           comment: str | None) -> int:
    """Approve or return pending submissions, all or nothing: :class:`UsageError` when any of
    them is not pending (decided meanwhile by someone else). Returns how many were decided."""
    ids = list(dict.fromkeys(ids))
    now = _now()
    with connect(db_path) as db, db.atomic():
        rows = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows.update((r["id"], r) for r in db.query(
                f"SELECT id, village_code, status FROM submissions WHERE id IN "
                f"({','.join('?' * len(chunk))})", chunk))
        for sid in ids:
            if sid not in rows:
                raise NotFound("submission_unknown", value=sid)
            if rows[sid]["status"] != "pending":
                raise UsageError("review_decided", value=sid, status=rows[sid]["status"])
        db.conn.executemany(
            "UPDATE submissions SET status = ?, reviewed_by = ?, reviewed_at = ?, review_comment = ? "
            "WHERE id = ?", [(status, by, now, comment, sid) for sid in ids])
        db["audit"].insert_all([_audit_row(
            by, f"review.{status}", "submission", sid, rows[sid]["village_code"],
            before={"status": "pending"}, after={"status": status, "comment": comment}, at=now)
            for sid in ids])
        if ids:
            _bump(db)
    return len(ids)


def reopen_draft(db_path: str | Path, submission_id: str, surveyor: str,
                 payload: dict[str, Any], actor: str | None) -> bool:
    """Start the correction of a returned submission: a draft of ``surveyor`` holding
    ``payload`` and copies of the submission's photos. Returns False (changing nothing) when
    that surveyor has a draft of the village in the round already."""
    import uuid

    with connect(db_path) as db, db.atomic():
        sub = next(iter(db.query("SELECT round_id, village_code FROM submissions WHERE id = ?",
                                 [submission_id])), None)
        if sub is None:
            raise NotFound("submission_unknown", value=submission_id)
        key = [sub["round_id"], sub["village_code"], surveyor]
        if list(db.query("SELECT 1 FROM drafts WHERE round_id = ? AND village_code = ? "
                         "AND surveyor = ?", key)):
            return False
        now = _now()
        db["drafts"].insert({"round_id": key[0], "village_code": key[1], "surveyor": surveyor,
                             "payload": _json(payload), "updated_at": now})
        photos = list(db.query("SELECT item_code, sha256, jpeg, width, height FROM photos "
                               "WHERE submission_id = ?", [submission_id]))
        db["photos"].insert_all([dict(p, id=uuid.uuid4().hex, round_id=key[0], village_code=key[1],
                                      surveyor=surveyor, created_at=now, submission_id=None)
                                 for p in photos])
        _audit(db, actor or surveyor, "draft.reopen", "submission", submission_id, key[1],
               after={"draft": payload.get("id"), "photos": len(photos)})
    return True


def _link_versions(db: Database, rows: list[dict[str, Any]]) -> None:
    """Set ``supersedes`` of new submission rows: the latest returned version of the same round
    and village that no other version supersedes yet (one query per round of the batch)."""
    waiting: dict[tuple[str, str], list[str]] = {}
    for round_id in sorted({r["round_id"] for r in rows}):
        for x in db.query(
            "SELECT s.id, s.village_code FROM submissions s WHERE s.round_id = ? AND "
            "s.status = 'returned' AND NOT EXISTS (SELECT 1 FROM submissions n WHERE "
            "n.supersedes = s.id) ORDER BY s.date DESC, s.rowid DESC", [round_id]):
            waiting.setdefault((round_id, x["village_code"]), []).append(x["id"])
    for r in rows:
        versions = waiting.get((r["round_id"], r["village_code"]))
        r["supersedes"] = versions.pop(0) if versions else None


# --- web sign-in sessions ----------------------------------------------------------------------
# A row per signed-in browser: the SHA-256 (hex) of its cookie token, never the token. Times are
# ISO UTC text of one format (``_now()``), so they compare as strings.


def insert_session(db_path: str | Path, digest: str, name: str, now: str, expires: str) -> None:
    """Start a session of ``name`` (and drop the expired sessions of everybody)."""
    with connect(db_path) as db, db.atomic():
        db.execute("DELETE FROM sessions WHERE expires_at <= ?", [now])
        db["sessions"].insert({"token_sha256": digest, "user_name": name, "created_at": now,
                               "last_seen": now, "expires_at": expires})


def session_row(db_path: str | Path, digest: str) -> dict[str, Any] | None:
    """The session of the token whose SHA-256 is ``digest``, or None."""
    with connect(db_path) as db:
        rows = list(db.query("SELECT * FROM sessions WHERE token_sha256 = ?", [digest]))
    return rows[0] if rows else None


def touch_session(db_path: str | Path, digest: str, now: str, expires: str, started_after: str,
                  resumed: bool = False) -> bool:
    """Mark the session seen at ``now``, valid until ``expires``; False when it is gone, expired
    or started before ``started_after``. ``resumed``: a new browser connection took it up
    (audited)."""
    with connect(db_path) as db, db.atomic():
        rows = list(db.query("UPDATE sessions SET last_seen = ?, expires_at = ? WHERE token_sha256 = ? "
                             "AND expires_at > ? AND created_at > ? RETURNING user_name",
                             [now, expires, digest, now, started_after]))
        if rows and resumed:
            name = rows[0]["user_name"]
            _audit(db, name, "login.resumed", "user", name)
    return bool(rows)


def delete_session(db_path: str | Path, digest: str) -> None:
    """End one session (signed out, idle, refused)."""
    with connect(db_path) as db, db.atomic():
        db.execute("DELETE FROM sessions WHERE token_sha256 = ?", [digest])
