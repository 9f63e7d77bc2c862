"""Hostile use of the store: dates a client invents, crashes between steps, an import that would
hold the field up, a demo loaded over a real county, backups taken while writers run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from builders import best_answers, surveyor

from core.errors import DataError, UsageError
from core.model import Round
from survey import auth, fieldwork, service, store
from survey.cli import main
from survey.registry import VillageRow
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]
ROUND = "2026-B3"
CODES = [f"429901100{i:03d}" for i in range(1, 21)]
OPEN = "open"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.db"
    store.import_registry(path, [
        VillageRow(code=c, name=f"村{c[-3:]}", township="城关镇", county="示范县", lon=113.9, lat=30.6,
                   title="无", title_year=None, households=100, demo=False, line=i + 2)
        for i, c in enumerate(CODES)])
    store.create_round(path, Round(ROUND, "第三轮", "2026-05-01", "2026-06-30"))
    store.create_round(path, Round(OPEN, "日常检查"))  # no dates: any day up to today
    return path


def snapshot(db: Path) -> list:
    """Everything a reader could see, for 'nothing changed' checks."""
    conn = sqlite3.connect(db)
    try:
        out = []
        for table in ("submission_rows", "submission_items", "rounds", "drafts", "photos", "villages"):
            out.append(conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall())
        out.append(conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall())
        return out
    finally:
        conn.close()


def line(code: str, day: str, sid: str | None = None, **extra) -> str:
    rubric = load_rubric()
    return json.dumps({"id": sid or str(uuid.uuid4()), "village": code, "round": ROUND, "date": day,
                       "surveyor": "王芳", "answers": best_answers(rubric), "veto": [], **extra},
                      ensure_ascii=False)


# --- dates a client declares ----------------------------------------------------------------------


@pytest.mark.parametrize("day, key", [
    ("2099-01-01", "date_future"),
    ((date.today() + timedelta(days=2)).isoformat(), "date_future"),
    ("2025-01-01", "date_outside_round"),
    ("2026-09-30", "date_outside_round"),
])
def test_a_submission_dated_in_the_future_or_far_outside_its_round_is_refused(db, tmp_path, capsys, day, key):
    path = tmp_path / "s.jsonl"
    path.write_text(line(CODES[0], "2026-05-20") + "\n" + line(CODES[1], day) + "\n", encoding="utf-8")
    before = snapshot(db)
    assert main(["--db", str(db), "import-submissions", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: date:" in err
    with pytest.raises(DataError) as exc:
        service.import_submissions_file(db, auth.operator(), path)
    assert [(p.key, p.line, p.field) for p in exc.value.problems] == [(key, 2, "date")]
    assert snapshot(db) == before


def test_a_date_just_outside_its_round_is_accepted_and_flagged(db, tmp_path, capsys):
    path = tmp_path / "s.jsonl"
    path.write_text(line(CODES[0], "2026-07-05") + "\n", encoding="utf-8")
    result = service.import_submissions_file(db, auth.operator(), path)
    assert result.added == 1 and [(w.key, w.line) for w in result.warnings] == [("date_near_round", 1)]


def test_the_counting_submission_is_the_latest_to_arrive_not_the_latest_date(db, tmp_path):
    path = tmp_path / "s.jsonl"
    rubric = load_rubric()
    worse = {**best_answers(rubric), rubric.items[0].code: False}
    path.write_text(line(CODES[0], "2026-06-20", "early-but-later-date", answers=worse) + "\n", encoding="utf-8")
    service.import_submissions_file(db, auth.operator(), path)
    path.write_text(line(CODES[0], "2026-05-10", "arrived-last") + "\n", encoding="utf-8")
    service.import_submissions_file(db, auth.operator(), path)
    result = {r.village.code: r for r in store.round_results(db, ROUND)}[CODES[0]]
    assert result.submission_id == "arrived-last"


# --- a crash between storing a submission and closing its draft --------------------------------------

CRASH = r"""
import os, signal, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
from builders import surveyor
from survey import fieldwork, store
from survey.rubric import load_rubric
from survey.store import drafts, submissions
db, where = sys.argv[1], sys.argv[2]
me = surveyor("王芳")
rubric = load_rubric()
draft = fieldwork.open_draft(db, me, "open", "429901100001")
def die(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)
if where == "link":      # inside the transaction: linking the draft's photos
    submissions._close = die
elif where == "audit":   # inside the transaction: the last writes before COMMIT
    orig = submissions._bump
    def bump(db):
        orig(db)
        die()
    submissions._bump = bump
fieldwork.submit(db, me, rubric, draft)
"""


@pytest.mark.parametrize("where", ["link", "audit"])
def test_a_kill_during_submit_leaves_the_draft_with_its_photos_or_a_complete_submission(db, tmp_path, where):
    me = surveyor("王芳")
    rubric = load_rubric()
    draft = fieldwork.open_draft(db, me, OPEN, CODES[0])
    for code, value in best_answers(rubric).items():
        item = rubric.item(code)
        draft = (fieldwork.criteria(db, me, rubric, draft, code, [True] * len(item.criteria)) if item.type == "grade"
                 else fieldwork.answer(db, me, draft, code, value))
    check = rubric.items[0]
    draft = fieldwork.answer(db, me, draft, check.code, False)
    draft = fieldwork.note(db, me, draft, check.code, "无分类桶")
    draft = fieldwork.set_veto(db, me, draft, [])
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(buf, "JPEG")
    fieldwork.add_photo(db, me, draft, check.code, buf.getvalue(), "a.jpg")
    script = tmp_path / "crash.py"
    script.write_text(CRASH.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), str(db), where], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # killed inside the one transaction: nothing of it stayed; the draft keeps its photo
    assert not store.submission_exists(db, draft.id)
    assert [p.item_code for p in store.draft_photos(db, OPEN, CODES[0], "王芳")] == [check.code]
    # and the surveyor's next tap on submit stores it whole
    outcome = fieldwork.submit(db, me, rubric, draft)
    assert outcome.added and [p.item_code for p in store.submission_photos(db, draft.id)] == [check.code]
    assert store.load_draft(db, OPEN, CODES[0], "王芳") is None


# --- a long import does not block the field ------------------------------------------------------------


def scored_subs(n: int, tag: str) -> list:
    rubric = load_rubric()
    answers = best_answers(rubric)
    result = score(rubric, answers, ())
    return [(Submission(id=f"{tag}-{i}", village=CODES[i % len(CODES)], round=ROUND, date="2026-05-20",
                        surveyor="导入", answers=answers), result) for i in range(n)]


def test_tablet_saves_go_on_while_a_large_import_runs_and_the_import_shows_all_at_once(db):
    me = surveyor("王芳")
    subs = scored_subs(3000, "big")
    seen_counts: set[int] = set()
    errors: list[BaseException] = []
    saves = {"n": 0}
    staged: set[int] = set()
    done = threading.Event()

    def importer():
        try:
            store.save_submissions(db, subs, chunk=100)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    def field():
        draft = fieldwork.open_draft(db, me, ROUND, CODES[1])
        while not done.is_set():
            try:
                draft = fieldwork.note(db, me, draft, "LJ01", f"第{saves['n']}次")
                saves["n"] += 1
                seen_counts.add(store.stats(db)["submissions"])
                with sqlite3.connect(db) as conn:
                    staged.add(conn.execute("SELECT COUNT(*) FROM submission_rows WHERE batch IS NOT NULL")
                               .fetchone()[0])
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=importer), threading.Thread(target=field)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert any(0 < n < 3000 for n in staged)  # the tablet saved between the import's chunks
    assert seen_counts <= {0, 3000}  # readers saw none of the import, then all of it
    assert store.stats(db)["submissions"] == 3000


def test_an_import_that_fails_midway_leaves_nothing_visible(db, monkeypatch):
    from survey.store import submissions as mod

    calls = {"n": 0}
    write = mod._write

    def failing(db_, new, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite3.OperationalError("disk I/O error")
        write(db_, new, batch)

    monkeypatch.setattr(mod, "_write", failing)
    before = snapshot(db)
    with pytest.raises(sqlite3.OperationalError):
        store.save_submissions(db, scored_subs(500, "fail"), chunk=100)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM submission_rows").fetchone()[0] == 0
    assert conn.execute("SELECT state FROM import_batches").fetchall() == [("failed",)]
    assert snapshot(db)[:-1] == before[:-1]


def test_a_batch_left_by_a_killed_import_is_removed_by_the_next(db, monkeypatch):
    from survey.store import submissions as mod

    monkeypatch.setattr(mod, "_publish", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    monkeypatch.setattr(mod, "_drop_batch", lambda *a, **k: None)  # as if killed: no cleanup ran
    with pytest.raises(KeyboardInterrupt):
        store.save_submissions(db, scored_subs(300, "killed"), chunk=100)
    monkeypatch.undo()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM submission_rows").fetchone()[0] == 300  # staged
    assert store.stats(db)["submissions"] == 0 and store.round_results(db, ROUND)[0].submission_id is None
    assert store.clean_batches(db) == 0  # still fresh: it might be running
    later = __import__("datetime").datetime.now(__import__("datetime").timezone.utc) + timedelta(hours=1)
    assert store.clean_batches(db, now=later) == 1
    assert conn.execute("SELECT COUNT(*) FROM submission_rows").fetchone()[0] == 0


# --- the demo never lands in a real county ------------------------------------------------------------


def test_demo_refuses_a_database_that_holds_a_real_county(db, capsys):
    before = snapshot(db)
    assert main(["--db", str(db), "demo"]) == 2
    assert "演示县只能装入空数据库" in capsys.readouterr().err
    assert snapshot(db) == before and auth.users(db) == []


def test_demo_refuses_a_database_with_only_accounts(tmp_path):
    path = tmp_path / "accounts.db"
    auth.add_user(path, "chief", auth.ADMIN, "420102", "a-long-password", by=auth.operator())
    with pytest.raises(UsageError) as err:
        service.load_demo(path, auth.operator())
    assert err.value.key == "demo_refused"


def test_demo_loads_into_an_empty_database_and_again_into_itself(tmp_path):
    path = tmp_path / "demo.db"
    assert main(["--db", str(path), "demo"]) == 0
    assert main(["--db", str(path), "demo"]) == 0
    assert store.stats(path)["villages"] > 0


# --- backup while writers run; restore ----------------------------------------------------------------


def test_a_backup_taken_while_writers_run_holds_every_acknowledged_submission(db, tmp_path):
    acknowledged: list[str] = []
    stop = threading.Event()
    rubric = load_rubric()
    answers = best_answers(rubric)
    result = score(rubric, answers, ())

    def writer(n: int):
        i = 0
        while not stop.is_set():
            sid = f"w{n}-{i}"
            store.save_submissions(db, [(Submission(id=sid, village=CODES[i % 20], round=ROUND,
                                                    date="2026-05-20", surveyor="王芳", answers=answers),
                                         result)])
            acknowledged.append(sid)
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        while len(acknowledged) < 20:
            time.sleep(0.01)  # let the writers get going (a state, polled)
        before_backup = list(acknowledged)
        out = tmp_path / "backups" / "b.db"
        assert main(["--db", str(db), "backup", "--out", str(out)]) == 0
    finally:
        stop.set()
        for t in threads:
            t.join()
    conn = sqlite3.connect(out)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    in_copy = {r[0] for r in conn.execute("SELECT id FROM submissions")}
    assert set(before_backup) <= in_copy
    assert not list(out.parent.glob(".*tmp"))  # no temporary file left


def test_restore_brings_the_backup_back_and_refuses_a_bad_file(db, tmp_path, capsys):
    out = tmp_path / "b.db"
    assert main(["--db", str(db), "backup", "--out", str(out)]) == 0
    store.create_round(db, Round("2026-B4", "第四轮"))
    version = store.data_version(db)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    before = snapshot(db)
    assert main(["--db", str(db), "restore", str(bad)]) == 2
    assert "不是完好的数据库备份" in capsys.readouterr().err
    assert snapshot(db) == before
    assert main(["--db", str(db), "restore", str(out)]) == 0
    assert [r.id for r in store.rounds(db)] == [ROUND, OPEN]  # 2026-B4 came after the backup
    assert store.data_version(db) > version  # caches keyed on the version cannot serve the old data
    assert store.audit_rows(db, entity="database")[0]["action"] == "database.restore"


def test_a_save_that_cannot_get_the_lock_says_so_in_words(db, monkeypatch):
    from survey.store import db as dbmod

    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(db, isolation_level=None)  # another process's long write
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(UsageError) as err:
            store.save_draft(db, ROUND, CODES[0], "王芳", {"id": "x", "answers": {}})
        assert err.value.key == "db_busy"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    store.save_draft(db, ROUND, CODES[0], "王芳", {"id": "x", "answers": {}})  # free again: saved
    assert store.load_draft(db, ROUND, CODES[0], "王芳") == {"id": "x", "answers": {}}


def test_a_road_stored_in_metres_before_imports_refused_them_is_left_out_of_maps(db, tmp_path):
    """Roads kept by an older version (metres read as degrees, NaN): never a crash of `map`."""
    from survey.roads import load_roads, unusable_roads

    store.replace_roads(db, [
        store.StoredRoad("G316", json.dumps({"type": "LineString", "coordinates": [[113.9, 30.5], [114.0, 30.7]]}),
                         2000.0),
        store.StoredRoad("米制", json.dumps({"type": "LineString", "coordinates": [[512000.0, 3380000.0],
                                                                                 [515000.0, 3390000.0]]}), 2000.0),
        store.StoredRoad("NaN路", '{"type": "LineString", "coordinates": [[113.9, NaN], [114.0, 30.7]]}', 2000.0)])
    assert [r.name for r in load_roads(db)] == ["G316"]
    assert sorted(unusable_roads(db)) == sorted(["米制", "NaN路"])
    out = tmp_path / "map.html"
    assert main(["--db", str(db), "map", "--out", str(out)]) == 0
    assert "G316" in out.read_text(encoding="utf-8")
