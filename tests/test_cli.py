"""`python -m survey` as county IT staff run it: exit codes, stderr lines, idempotence."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, db=None, env_db=None):
    import os

    env = dict(os.environ)
    env.pop("SURVEY_DB", None)
    if env_db:
        env["SURVEY_DB"] = str(env_db)
    cmd = [sys.executable, "-m", "survey", *([f"--db={db}"] if db else []), *map(str, args)]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def stats(db):
    r = cli("stats", "--json", db=db)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


CSV = "区划代码,村名,乡镇,县,经度,纬度,文明村称号\n" \
      "429901001001,李庄村,城关镇,演示县,113.91,30.61,县级\n" \
      "429901001002,张家湾村,城关镇,演示县,113.92,30.62,\n"


def test_init_prints_schema_version_and_db_rules(tmp_path):
    r = cli("init", db=tmp_path / "a.db")
    assert r.returncode == 0 and r.stdout.strip().isdigit()
    assert (tmp_path / "a.db").exists()
    # $SURVEY_DB when no --db
    r = cli("init", env_db=tmp_path / "env.db")
    assert r.returncode == 0 and (tmp_path / "env.db").exists()
    # --db after the command works too
    r = cli("init", f"--db={tmp_path / 'after.db'}")
    assert r.returncode == 0 and (tmp_path / "after.db").exists()


def test_stats_json_has_the_spec_keys(tmp_path):
    assert stats(tmp_path / "s.db") == {"counties": 0, "townships": 0, "villages": 0, "roads": 0,
                                         "rounds": 0, "submissions": 0}


def test_import_villages_then_again_changes_nothing(tmp_path):
    db, f = tmp_path / "v.db", tmp_path / "村庄.csv"
    f.write_text(CSV, encoding="gb18030")
    first = cli("import-villages", f, db=db)
    assert first.returncode == 0, first.stderr
    assert stats(db)["villages"] == 2 and stats(db)["townships"] == 1
    again = cli("import-villages", f, db=db)
    assert again.returncode == 0 and "0 added, 0 updated, 2 unchanged" in again.stderr


def test_bad_file_reports_every_problem_and_writes_nothing(tmp_path):
    db, f = tmp_path / "bad.db", tmp_path / "bad.csv"
    f.write_text("区划代码,村名,乡镇,经度,纬度,文明村称号\n"
                 "4213991012,李庄村,城关镇,113.9,30.6,\n"
                 "429901001002,张家湾村,城关镇,13.9,30.6,\n"
                 "429901001003,王村,城关镇,113.9,30.6,金牌\n", encoding="utf-8-sig")
    r = cli("import-villages", f, db=db)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{f}:2: ") and "12" in lines[0]
    assert lines[1].startswith(f"{f}:3: ") and "73" in lines[1]
    assert lines[2].startswith(f"{f}:4: ") and "金牌" in lines[2]
    assert stats(db)["villages"] == 0


def test_wrong_usage_exits_2(tmp_path):
    assert cli("export", db=tmp_path / "u.db").returncode == 2  # --round missing
    assert cli("no-such-command").returncode == 2
    assert cli("export", "--round", "R", "--encoding", "latin1", db=tmp_path / "u.db").returncode == 2


def test_missing_file_is_a_data_error(tmp_path):
    r = cli("import-villages", tmp_path / "nope.csv", db=tmp_path / "m.db")
    assert r.returncode == 1 and "nope.csv" in r.stderr


def test_checklists_json_is_the_rubric(tmp_path):
    r = cli("checklists", "--json", db=tmp_path / "c.db")
    doc = json.loads(r.stdout)
    assert doc["total"] == 100 and doc["pass_mark"] == 85
    assert [s["code"] for s in doc["sections"]] == ["garbage", "customs", "tenstar"]
    assert sum(s["points"] for s in doc["sections"]) == 100
    assert len(doc["veto"]) == 7


def test_demo_loads_once_and_twice_changes_nothing(tmp_path):
    db = tmp_path / "demo.db"
    assert cli("demo", db=db).returncode == 0
    first = stats(db)
    assert first["counties"] == 1 and 150 <= first["villages"] <= 250
    assert first["roads"] >= 2 and first["rounds"] == 1 and first["submissions"] > 100
    again = cli("demo", db=db)
    assert again.returncode == 0 and stats(db) == first


def _submission(**over):
    from survey.rubric import load_rubric

    rubric = load_rubric()
    answers = {}
    for it in rubric.items:
        answers[it.code] = {"check": True, "count": 0, "grade": "A"}[it.type]
    doc = {"id": "sub-1", "village": "429901001001", "round": "2026-B9", "date": "2026-05-20",
           "surveyor": "王芳", "lon": 113.91, "lat": 30.61, "gps_accuracy_m": 8.5,
           "answers": answers, "veto": [], "notes": {}}
    doc.update(over)
    return doc


def test_import_submissions_creates_round_and_is_idempotent(tmp_path):
    db, villages, subs = tmp_path / "s.db", tmp_path / "v.csv", tmp_path / "s.jsonl"
    villages.write_text(CSV, encoding="utf-8")
    assert cli("import-villages", villages, db=db).returncode == 0
    subs.write_text(json.dumps(_submission(), ensure_ascii=False) + "\n", encoding="utf-8")
    r = cli("import-submissions", subs, db=db)
    assert r.returncode == 0, r.stderr
    assert stats(db)["rounds"] == 1 and stats(db)["submissions"] == 1
    again = cli("import-submissions", subs, db=db)
    assert again.returncode == 0 and "0 added, 1 already stored" in again.stderr
    # same id, other content: refused with file and line, nothing written
    changed = _submission(surveyor="李明")
    other = _submission(id="sub-2")
    subs.write_text(json.dumps(other) + "\n" + json.dumps(changed) + "\n", encoding="utf-8")
    r = cli("import-submissions", subs, db=db)
    assert r.returncode == 1 and r.stderr.startswith(f"{subs}:2: id: ")
    assert stats(db)["submissions"] == 1


def test_bad_submissions_report_every_line(tmp_path):
    db, villages, subs = tmp_path / "b.db", tmp_path / "v.csv", tmp_path / "b.jsonl"
    villages.write_text(CSV, encoding="utf-8")
    cli("import-villages", villages, db=db)
    missing = _submission(id="a")
    first_item = next(iter(missing["answers"]))
    del missing["answers"][first_item]
    unknown = _submission(id="b", village="429901009999")
    subs.write_text("\n".join([json.dumps(missing), "{not json", json.dumps(unknown)]) + "\n",
                    encoding="utf-8")
    r = cli("import-submissions", subs, db=db)
    assert r.returncode == 1
    text = r.stderr
    assert f"{subs}:1: " in text and first_item in text
    assert f"{subs}:2: " in text
    assert f"{subs}:3: " in text and "429901009999" in text
    assert stats(db)["submissions"] == 0


def test_the_readme_command_table_lists_exactly_the_parsers_commands():
    """README's "Command line" table and the one parser name the same commands."""
    from survey.cli import commands

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    listed = {m.group(1) for m in re.finditer(r"^\| `([a-z][a-z-]*)[ `]", section, re.M)}
    assert listed == set(commands())
