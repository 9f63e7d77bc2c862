"""The store: migrations, WAL, registry upsert, rounds, drafts, roads, targets."""

import sqlite3
from decimal import Decimal

import pytest
from shapely.geometry import LineString

from core.errors import NotFound, UsageError
from core.model import Round
from geo.io import Road
from survey import auth, store
from survey.registry import VillageRow
from survey.roads import load_roads, save_roads


def row(code, name="李庄村", township="城关镇", county="演示县", title="无", **kw):
    base = {"code": code, "name": name, "township": township, "county": county, "lon": 113.9, "lat": 30.6,
            "title": title, "title_year": None, "households": 100, "demo": False, "line": 2}
    base.update(kw)
    return VillageRow(**base)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "t.db"


def test_migrate_creates_schema_in_wal_mode(db):
    assert store.migrate(db) == store.SCHEMA_VERSION
    assert store.migrate(db) == store.SCHEMA_VERSION  # twice is a no-op
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"villages", "townships", "counties", "rounds", "submission_rows", "drafts", "roads"} <= tables
    views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='view'")}
    assert views == {"submissions"}  # the published rows


def test_newer_schema_is_refused(db):
    store.migrate(db)
    sqlite3.connect(db).execute(f"PRAGMA user_version={store.SCHEMA_VERSION + 1}")
    store.db._migrated.clear()
    with pytest.raises(UsageError, match="newer"):
        store.migrate(db)


def test_registry_import_counts_and_is_idempotent(db):
    rows = [row("429901001001"), row("429901001002", name="张家湾村", title="县级")]
    assert store.import_registry(db, rows) == store.ImportSummary(2, 0, 0)
    version = store.data_version(db)
    assert store.import_registry(db, rows) == store.ImportSummary(0, 0, 2)
    assert store.data_version(db) == version  # nothing changed, nothing written
    changed = [row("429901001001", households=120), row("429901001002", name="张家湾村", title="县级")]
    assert store.import_registry(db, changed) == store.ImportSummary(0, 1, 1)
    villages = store.villages(db)
    assert [v.code for v in villages] == ["429901001001", "429901001002"]
    assert villages[0].households == 120 and villages[0].township == "城关镇"
    assert villages[1].civilized and not villages[0].civilized
    assert store.counties(db) == {"429901": "演示县"}
    assert store.townships(db) == {"429901001": ("城关镇", "429901")}


def test_absent_columns_keep_stored_values(db):
    store.import_registry(db, [row("429901001001", title="市级", households=300)])
    store.import_registry(db, [row("429901001001", title=None, households=None, county=None)])
    v = store.village(db, "429901001001")
    assert (v.title, v.households, v.county) == ("市级", 300, "演示县")


def test_codes_stay_text_with_leading_zeros(db):
    store.import_registry(db, [row("010101001001", township="一乡")])
    assert store.villages(db)[0].code == "010101001001"
    assert store.villages(db, county="010101")[0].township_code == "010101001"


def test_rounds_create_get_and_unknown(db):
    store.create_round(db, Round("2026-B3", "第三次双月测评", "2026-05-01", "2026-06-30"))
    assert store.get_round(db, "2026-B3").name == "第三次双月测评"
    with pytest.raises(UsageError):
        store.create_round(db, Round("2026-B3", "again"))
    with pytest.raises(NotFound, match="2026-B3"):
        store.get_round(db, "2026-B9")


def test_drafts_round_trip_and_progress(db):
    store.import_registry(db, [row("429901001001")])
    store.create_round(db, Round("R1", "R1"))
    assert store.load_draft(db, "R1", "429901001001", "王芳") is None
    store.save_draft(db, "R1", "429901001001", "王芳", {"answers": {"LJ01": True}, "id": "x"})
    store.save_draft(db, "R1", "429901001001", "王芳", {"answers": {"LJ01": False}, "id": "x"})
    assert store.load_draft(db, "R1", "429901001001", "王芳") == {"answers": {"LJ01": False}, "id": "x"}
    assert store.round_progress(db, "R1") == {"429901001001": "draft"}
    store.delete_draft(db, "R1", "429901001001", "王芳")
    assert store.load_draft(db, "R1", "429901001001", "王芳") is None


def test_roads_replace_by_name_and_skip_identical(db):
    g316 = Road("G316", LineString([(113.9, 30.5), (113.9, 30.7)]), 2000.0)
    assert save_roads(db, [g316]) == (1, 0)
    assert save_roads(db, [g316]) == (0, 0)
    assert save_roads(db, [Road("G316", g316.geometry, 1500.0)]) == (0, 1)
    (stored,) = load_roads(db)
    assert stored.name == "G316" and stored.buffer_m == 1500.0
    assert stored.geometry.equals(g316.geometry)


def test_targets_default_county_and_township(db):
    assert store.get_target(db, "429901") == Decimal("50")
    store.set_target(db, "429901", Decimal("56"), by="张科长")
    store.set_target(db, "429901", Decimal("80"), by="张科长", township="429901001")
    assert store.get_target(db, "429901") == Decimal("56")
    assert store.get_target(db, "429901", "429901002") == Decimal("56")
    assert store.get_target(db, "429901", "429901001") == Decimal("80")
    (county_row, town_row) = store.targets(db)
    assert county_row["set_by"] == "张科长" and town_row["township_code"] == "429901001"
    with pytest.raises(UsageError):
        store.set_target(db, "429901", Decimal("101"), by="x")


def test_belt_overrides(db):
    store.set_belt_override(db, "G316", "429901001001", True, by="officer")
    store.set_belt_override(db, "G316", "429901001002", False, by="officer")
    assert store.belt_overrides(db) == [("G316", "429901001001", True), ("G316", "429901001002", False)]
    store.set_belt_override(db, "G316", "429901001001", None)
    assert store.belt_overrides(db) == [("G316", "429901001002", False)]


def test_a_database_of_an_older_schema_migrates_without_losing_a_row(tmp_path):
    """Every migration from version 4 on, over rows of every table they remake."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for number, script in enumerate(store.schema.MIGRATIONS[:4], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
    now = "2026-05-20T08:00:00+00:00"
    conn.executescript(f"""
        INSERT INTO counties VALUES ('429901', '示范县');
        INSERT INTO townships VALUES ('429901100', '429901', '城关镇');
        INSERT INTO villages (code, township_code, county_code, name, updated_at)
            VALUES ('429901100001', '429901100', '429901', '李庄村', '{now}');
        INSERT INTO rounds VALUES ('2026-B3', '第三轮', NULL, NULL, '{now}');
        INSERT INTO submissions (id, village_code, round_id, date, surveyor, answers, veto, notes, content,
            sections, total, total_num, passed, findings, received_at)
            VALUES ('s1', '429901100001', '2026-B3', '2026-05-20', '王芳', '{{}}', '[]', '{{}}', '{{}}',
                    '{{}}', '90', 90, 1, 0, '{now}');
        INSERT INTO users (name, display_name, role, county_code, password_hash, created_at, updated_at)
            VALUES ('wang', '王芳', 'surveyor', '429901', 'x', '{now}', '{now}');
        INSERT INTO sessions VALUES ('digest', 'wang', '{now}', '{now}', '2099-01-01T00:00:00+00:00');
    """)
    conn.close()
    assert store.migrate(path) == store.SCHEMA_VERSION
    assert [r.submission_id for r in store.round_results(path, "2026-B3")] == ["s1"]
    assert store.submission(path, "s1")["source"] == "jsonl"  # no draft was closed for it
    assert store.user_row(path, "wang")["role"] == "surveyor"
    assert store.session_row(path, "digest")["user_name"] == "wang"
    # the new role
    auth.add_user(path, "liu", auth.LIAISON, "429901", "a-long-password", ["429901100"], by=auth.operator())
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
