"""Reading JSON Lines submissions: every problem of every line, located; canonical content."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from core.errors import DataError
from survey.rubric import load_rubric
from survey.submissions import canonical, parse_submission, read_submissions

VILLAGES = {"421399101201", "421399101202"}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def answers(rubric, **override):
    out = {i.code: (True if i.type == "check" else 0 if i.type == "count" else "A") for i in rubric.items}
    out.update(override)
    return out


def record(rubric, **override):
    obj = {"id": "s1", "village": "421399101201", "round": "2026-B3", "date": "2026-05-20",
           "surveyor": "王芳", "lon": 113.91, "lat": 30.62, "gps_accuracy_m": 8.5,
           "answers": answers(rubric, LJ07=3, YF02="B"), "veto": [], "notes": {"LJ07": "村口两处"}}
    obj.update(override)
    return obj


def write(path: Path, lines: list, bom: bool = False) -> Path:
    text = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def errors(path: Path, rubric) -> list[str]:
    with pytest.raises(DataError) as err:
        read_submissions(path, rubric, VILLAGES)
    return [str(p) for p in err.value.problems]


def test_reads_a_valid_file_with_bom_and_blank_lines(tmp_path, rubric):
    path = write(tmp_path / "subs.jsonl", [record(rubric), "", "   ", record(rubric, id="s2", village="421399101202",
                                                                            veto=["V3"], lon=None, lat=None)], bom=True)
    subs = read_submissions(path, rubric, VILLAGES)
    assert [s.id for s in subs] == ["s1", "s2"]
    first = subs[0]
    assert first.village == "421399101201" and first.round == "2026-B3" and first.date == "2026-05-20"
    assert first.surveyor == "王芳" and first.lon == 113.91 and first.gps_accuracy_m == 8.5
    assert first.answers["LJ07"] == 3 and first.answers["YF02"] == "B"
    assert first.notes == {"LJ07": "村口两处"} and first.veto == ()
    assert subs[1].veto == ("V3",) and subs[1].lon is None
    assert [s.line for s in subs] == [1, 4]


def test_optional_fields_may_be_absent(rubric):
    obj = record(rubric)
    for key in ("lon", "lat", "gps_accuracy_m", "notes"):
        del obj[key]
    sub, problems = parse_submission(obj, rubric, VILLAGES, "f.jsonl", 1)
    assert problems == [] and sub.lon is None and sub.notes == {}


def test_every_problem_is_reported_with_its_line(tmp_path, rubric):
    lines = [
        record(rubric),                                              # 1 fine
        "{not json",                                                 # 2
        "[1, 2]",                                                    # 3
        record(rubric, id="s1"),                                     # 4 duplicate id
        record(rubric, id="s5", village="999999999999", round="2026 B3!", date="2026-02-30"),  # 5
        "",                                                          # 6 blank: skipped
        record(rubric, id="s7", lon=200, lat=-5, gps_accuracy_m=-1),  # 7
        record(rubric, id="s8", answers=answers(rubric, LJ01=1, LJ07=2.5, YF02="D"), veto=["V9"]),  # 8
        {k: v for k, v in record(rubric, id="s9").items() if k not in ("surveyor", "date")},  # 9
        record(rubric, id=9, village=421399101201),                  # 10
    ]
    path = write(tmp_path / "bad.jsonl", lines)
    with pytest.raises(DataError) as err:
        read_submissions(path, rubric, VILLAGES)
    expected = {
        (2, None), (3, None), (4, "id"), (5, "village"), (5, "round"), (5, "date"),
        (7, "lon"), (7, "lat"), (7, "gps_accuracy_m"),
        (8, "answers.LJ01"), (8, "answers.LJ07"), (8, "answers.YF02"), (8, "veto"),
        (9, "surveyor"), (9, "date"), (10, "id"), (10, "village"),
    }
    assert {(p.line, p.field) for p in err.value.problems} == expected
    shown = [str(p) for p in err.value.problems]
    assert any(s.startswith(f"{path}:4: id: 提交编号 s1 在本文件中重复（第一次在第 1 行）") for s in shown)
    assert any(s.startswith(f"{path}:2: 不是有效的 JSON") for s in shown)
    assert any(s.startswith(f"{path}:5: date: ") and "2026-02-30" in s for s in shown)


def test_missing_answers_is_one_problem(rubric):
    obj = record(rubric)
    del obj["answers"]
    _, problems = parse_submission(obj, rubric, VILLAGES, "f.jsonl", 3)
    assert [str(p).split(": ")[1] for p in problems] == ["answers"]


def test_unanswered_items_are_listed(rubric):
    given = answers(rubric)
    del given["XJ09"]
    _, problems = parse_submission(record(rubric, answers=given), rubric, VILLAGES, "f.jsonl", 2)
    assert [str(p) for p in problems] == ["f.jsonl:2: answers.XJ09: 测评项目 XJ09 未作答（item XJ09 is not answered）"]


def test_unknown_village_and_round_id_rules(rubric):
    _, problems = parse_submission(record(rubric, round="x" * 33), rubric, VILLAGES, "f", 1)
    assert [p.key for p in problems] == ["round_id"]
    sub, problems = parse_submission(record(rubric, round="A_b-1", village="421399101299"), rubric, None, "f", 1)
    assert problems == [] and sub.round == "A_b-1"


def test_invalid_utf8_and_empty_files(tmp_path, rubric):
    bad = tmp_path / "gbk.jsonl"
    bad.write_bytes(json.dumps(record(rubric), ensure_ascii=False).encode("gbk"))
    assert [p.split(": ")[0] for p in errors(bad, rubric)] == [f"{bad}:1"]  # located: line 1
    empty = write(tmp_path / "empty.jsonl", [""])
    assert len(errors(empty, rubric)) == 1


def test_canonical_tells_same_content_from_conflict(rubric):
    one, _ = parse_submission(record(rubric), rubric, VILLAGES, "f", 1)
    reordered = dict(reversed(list(record(rubric).items())))
    two, _ = parse_submission(reordered, rubric, VILLAGES, "f", 1)
    two = replace(two, line=7)
    assert canonical(one) == canonical(two) and one == two
    assert canonical(replace(one, answers={**one.answers, "LJ07": 4})) != canonical(one)
    assert json.loads(canonical(one))["answers"]["YF02"] == "B"


def test_veto_is_kept_in_rubric_order_without_repeats(rubric):
    sub, problems = parse_submission(record(rubric, veto=["V7", "V2", "V7"]), rubric, VILLAGES, "f", 1)
    assert problems == [] and sub.veto == ("V2", "V7")


def test_unmet_criteria_ride_along_a_grade_letter_and_older_files_still_import(rubric):
    yf02 = rubric.item("YF02")  # four criteria: one short is B
    sub, problems = parse_submission(record(rubric, unmet={"YF02": [3]}), rubric, VILLAGES, "f.jsonl", 1)
    assert problems == [] and sub.unmet == {"YF02": (3,)} and sub.answers["YF02"] == "B"
    assert json.loads(canonical(sub))["unmet"] == {"YF02": [3]}
    old, problems = parse_submission(record(rubric), rubric, VILLAGES, "f.jsonl", 1)
    assert problems == [] and old.unmet == {} and "unmet" not in json.loads(canonical(old))
    _, problems = parse_submission(record(rubric, unmet={"YF02": [1, 3]}), rubric, VILLAGES, "f.jsonl", 7)
    [p] = problems
    assert str(p).startswith("f.jsonl:7: answers.YF02: 项目 YF02 的等级 B 与子项不符："
                             "4 个子项中 2 个未达到，等级应为 C")
    _, problems = parse_submission(record(rubric, unmet={"YF02": [5], "LJ01": []}), rubric, VILLAGES, "f.jsonl", 8)
    assert [(p.field, p.key) for p in problems] == [("unmet.YF02", "unmet_type"), ("unmet.LJ01", "unmet_item")]
    assert len(yf02.criteria) == 4
