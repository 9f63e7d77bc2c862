"""The officer's commands: import-townships, export-submissions (JSON Lines with the unmet
criteria), settings; exit codes and located messages as cli.md asks."""

from __future__ import annotations

import json

import pytest
from test_targets import C1, CHENG, build_db

from survey import cli, store


@pytest.fixture
def db(tmp_path):
    return build_db(tmp_path / "c.db")


def run(db, *argv) -> int:
    return cli.main(["--db", str(db), *argv])


def test_import_townships_exit_codes_and_messages(db, tmp_path, capsys):
    good = tmp_path / "towns.csv"
    good.write_text(f"乡镇代码,乡镇名称,文明乡镇称号,称号年份\n{CHENG},城关镇,县级,2024\n", encoding="utf-8-sig")
    assert run(db, "import-townships", str(good)) == 0
    assert "0 townships added, 1 updated" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("乡镇代码,乡镇名称\n12345,某镇\n", encoding="utf-8")
    assert run(db, "import-townships", str(bad)) == 1
    assert capsys.readouterr().err.startswith(f"{bad}:2: 乡镇代码: 乡镇代码应为 9 位数字，实为“12345”")
    assert {r["code"]: r["title"] for r in store.township_rows(db, C1)}[CHENG] == "县级"


def test_export_submissions_writes_the_round_as_json_lines(db, tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    assert run(db, "export-submissions", "--round", "2026-B3", "--county", C1, "--out", str(out)) == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["village"] for x in lines] == sorted(x["village"] for x in lines) and len(lines) == 6
    assert all(x["round"] == "2026-B3" for x in lines)
    assert run(db, "export-submissions", "--round", "nope") == 1


def test_settings_prints_the_values_in_force_with_their_origin(db, capsys):
    assert run(db, "settings", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["radius_m"]["value"] == "5000" and doc["radius_m"]["from"] == "file"
    assert doc["veto_months"]["source"].startswith("领域说明 §3")
