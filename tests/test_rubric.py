"""The rubric files: they load, they sum, and every kind of mistake is reported with file and line."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from core import config
from core.errors import DataError, NotFound
from survey.rubric import load_rubric, parse_rubric

MAIN = """\
pass_mark: 8.5
total: 10
sections: [alpha, beta]
grades: {A: 1.0, B: 0.8, C: 0.6, "C#": 0.0}
fix_days: {hygiene: 7, facility: 30}
"""
ALPHA = """\
code: alpha
name: 甲
points: 6
items:
  - code: A01
    text: 有垃圾桶
    type: check
    points: 2.5
    severity: facility
  - code: A02
    text: 暴露垃圾点
    type: count
    points: 2
    deduct: 0.5
    severity: hygiene
    fix_days: 3
  - code: A03
    text: 门前三包
    type: grade
    points: 1.5
    criteria: [清洁, 有序]
"""
BETA = """\
code: beta
name: 乙
points: 4
items:
  - code: B01
    text: 红黑榜
    type: check
    points: 4
"""
VETO = """\
veto:
  - code: V1
    name: 重大刑事案件
    text: 发生重大刑事案件
"""


def docs(**override: str) -> dict[str, str]:
    base = {"rubric.yaml": MAIN, "alpha.yaml": ALPHA, "beta.yaml": BETA, "veto.yaml": VETO}
    base.update({k.replace("_", ".") if k.endswith("_yaml") else k: v for k, v in override.items()})
    return base


def problems_of(documents: dict[str, str]) -> list[str]:
    with pytest.raises(DataError) as err:
        parse_rubric(documents)
    return [str(p) for p in err.value.problems]


def test_shipped_rubric_loads_and_sums():
    rubric = load_rubric()
    assert [s.code for s in rubric.sections] == ["garbage", "customs", "tenstar"]
    assert [s.name for s in rubric.sections] == ["垃圾治理", "移风易俗", "十星级文明户"]
    assert rubric.pass_mark == Decimal(85) and rubric.total == Decimal(100)
    assert sum(s.points for s in rubric.sections) == rubric.total
    prefixes = {"garbage": "LJ", "customs": "YF", "tenstar": "XJ"}
    for section in rubric.sections:
        assert len(section.items) >= 8
        assert sum(i.points for i in section.items) == section.points
        assert all(i.code.startswith(prefixes[section.code]) for i in section.items)
    assert {i.type for i in rubric.items} == {"check", "count", "grade"}
    assert all(i.criteria for i in rubric.items if i.type == "grade")
    assert all(i.deduct for i in rubric.items if i.type == "count")
    assert [v.code for v in rubric.veto] == [f"V{n}" for n in range(1, 8)]
    assert rubric.item("LJ07").deduct == Decimal("0.5")


def test_every_yaml_file_under_data_parses():
    files = sorted(config.DATA_DIR.rglob("*.yaml"))
    assert files, "data/ holds YAML files"
    for path in files:
        yaml.safe_load(path.read_text(encoding="utf-8"))


def test_points_are_exact_decimals_and_bools_are_rejected():
    rubric = parse_rubric(docs())
    assert rubric.item("A01").points == Decimal("2.5")
    assert rubric.item("A02").deduct == Decimal("0.5")
    assert rubric.item("A03").grades == (("A", Decimal("1.0")), ("B", Decimal("0.8")), ("C", Decimal("0.6")),
                                         ("C#", Decimal("0.0")))
    found = problems_of(docs(beta_yaml=BETA.replace("points: 4\n", "points: true\n", 2)))
    assert any("beta.yaml:3: points:" in p for p in found)


def test_fix_days_from_severity_or_item():
    rubric = parse_rubric(docs())
    assert rubric.item("A01").fix_days == 30
    assert rubric.item("A02").fix_days == 3
    assert rubric.item("A03").fix_days is None


def test_lookups():
    rubric = parse_rubric(docs())
    assert [i.code for i in rubric.items] == ["A01", "A02", "A03", "B01"]
    assert rubric.section_of("B01").code == "beta"
    assert rubric.veto_item("V1").name == "重大刑事案件"
    with pytest.raises(NotFound):
        rubric.item("ZZ99")
    with pytest.raises(NotFound):
        rubric.veto_item("V9")


def test_to_json_has_the_spec_keys():
    out = parse_rubric(docs()).to_json()
    assert out["pass_mark"] == 8.5 and out["total"] == 10
    assert isinstance(out["total"], int) and isinstance(out["pass_mark"], float)
    alpha = out["sections"][0]
    assert {"code", "name", "points", "items"} <= set(alpha)
    assert alpha["code"] == "alpha" and alpha["points"] == 6
    check, count, grade = alpha["items"]
    assert {k: check[k] for k in ("code", "text", "type", "points")} == {
        "code": "A01", "text": "有垃圾桶", "type": "check", "points": 2.5}
    assert "deduct" not in check and "grades" not in check
    assert count["deduct"] == 0.5 and count["type"] == "count"
    assert grade["grades"] == {"A": 1.0, "B": 0.8, "C": 0.6, "C#": 0.0}
    assert grade["criteria"] == ["清洁", "有序"]
    assert out["veto"][0]["code"] == "V1" and out["veto"][0]["text"] == "发生重大刑事案件"
    json.dumps(out)  # serialisable as is


def test_shipped_to_json_is_consistent():
    out = load_rubric().to_json()
    assert out["total"] == sum(s["points"] for s in out["sections"])
    for section in out["sections"]:
        assert section["points"] == pytest.approx(sum(i["points"] for i in section["items"]))


def test_version_changes_with_content():
    one = parse_rubric(docs())
    assert one.version == parse_rubric(docs()).version and len(one.version) == 12
    assert parse_rubric(docs(rubric_yaml=MAIN.replace("pass_mark: 8.5", "pass_mark: 8"))).version != one.version


def test_malformed_yaml_reports_file_and_line():
    broken = ALPHA.replace("    type: count\n", "    type: [count\n")
    found = problems_of(docs(alpha_yaml=broken))
    assert len(found) >= 1
    assert found[0].startswith("alpha.yaml:")
    line = int(found[0].split(":")[1])
    assert 10 <= line <= 14
    assert "YAML" in found[0]


def test_broken_rubric_reports_every_problem_at_once():
    alpha = (ALPHA.replace("    type: count\n    points: 2\n    deduct: 0.5\n", "    type: count\n    points: 2\n")
             .replace("    type: check\n    points: 2.5", "    type: checkbox\n    points: 2.5")
             .replace("  - code: A03", "  - code: A01"))
    main = MAIN.replace("C: 0.6", "C: 1.6")
    beta = BETA.replace("    text: 红黑榜\n", "")
    found = problems_of(docs(alpha_yaml=alpha, rubric_yaml=main, beta_yaml=beta))
    text = "\n".join(found)
    assert "rubric.yaml:4: grades.C:" in text
    assert "alpha.yaml:7: A01.type:" in text and "checkbox" in text
    assert "alpha.yaml:10: A02.deduct:" in text
    assert "alpha.yaml:16: A01.code:" in text and "A01" in text
    assert "beta.yaml:5: B01.text:" in text
    assert len(found) >= 5


def test_sums_are_checked():
    found = problems_of(docs(beta_yaml=BETA.replace("points: 4\n", "points: 3.9\n", 1)))
    assert any(p.startswith("beta.yaml:3: points:") and "3.9" in p for p in found)
    assert any(p.startswith("beta.yaml:3: points:") and "4" in p for p in found)
    found = problems_of(docs(beta_yaml=BETA.replace("points: 4", "points: 5")))
    assert any(p.startswith("rubric.yaml:3: sections:") and "11" in p for p in found)


def test_missing_fields_unknown_fields_and_files():
    alpha = ALPHA.replace("    text: 暴露垃圾点\n", "    txet: 暴露垃圾点\n")
    found = problems_of({"rubric.yaml": MAIN, "alpha.yaml": alpha})
    text = "\n".join(found)
    assert "alpha.yaml:10: A02.text:" in text
    assert "alpha.yaml:11: A02.txet:" in text
    assert "beta.yaml:" in text and "veto.yaml:" in text


def test_grade_needs_criteria_and_count_needs_deduct():
    alpha = ALPHA.replace("    criteria: [清洁, 有序]\n", "")
    found = problems_of(docs(alpha_yaml=alpha))
    assert any("A03.criteria:" in p for p in found)
    check_with_deduct = BETA.replace("    points: 4\n", "    points: 4\n    deduct: 1\n")
    found = problems_of(docs(beta_yaml=check_with_deduct))
    assert any("beta.yaml:9: B01.deduct:" in p for p in found)


def test_duplicate_codes_across_sections_and_veto():
    found = problems_of(docs(beta_yaml=BETA.replace("B01", "A02"), veto_yaml=VETO + VETO.replace("veto:\n", "")))
    assert any(p.startswith("beta.yaml:5: A02.code:") for p in found)
    assert any(p.startswith("veto.yaml:5: V1.code:") for p in found)


def test_section_code_must_match_file_name():
    found = problems_of(docs(beta_yaml=BETA.replace("code: beta", "code: gamma")))
    assert any(p.startswith("beta.yaml:1: code:") and "gamma" in p for p in found)


def test_load_rubric_from_directory_reports_repo_relative_path_and_reloads(tmp_path: Path):
    for name, text in docs().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert load_rubric(tmp_path).pass_mark == Decimal("8.5")
    (tmp_path / "rubric.yaml").write_text(MAIN.replace("pass_mark: 8.5", "pass_mark: 9"), encoding="utf-8")
    assert load_rubric(tmp_path).pass_mark == Decimal(9)
    (tmp_path / "beta.yaml").write_text(BETA + "  - [\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_rubric(tmp_path)
    assert str(err.value.problems[0]).startswith(f"{tmp_path / 'beta.yaml'}:")


def test_shipped_problem_paths_are_repo_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "data" / "rubric"
    folder.mkdir(parents=True)
    for name, text in docs().items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "alpha.yaml").write_text(ALPHA.replace("points: 6", "points: six"), encoding="utf-8")
    monkeypatch.setattr(config, "REPO_ROOT", tmp_path)
    with pytest.raises(DataError) as err:
        load_rubric(folder)
    assert str(err.value.problems[0]).startswith("data/rubric/alpha.yaml:3: points:")


# --- evidence kinds and an item's own grade factors -----------------------------------------------


def test_every_item_names_its_evidence_and_the_json_carries_it():
    rubric = load_rubric()
    assert {i.evidence for i in rubric.items} == {"photo", "document", "interview"}
    assert rubric.item("YF05").evidence == "document" and rubric.item("YF06").evidence == "interview"
    assert not rubric.item("XJ06").needs_photo and rubric.item("LJ07").needs_photo  # 按年度复评; 暴露垃圾点
    doc = rubric.to_json()
    items = [i for s in doc["sections"] for i in s["items"]]
    assert all(i["evidence"] in ("photo", "document", "interview") for i in items)
    assert all(set(i["grades"]) == {"A", "B", "C", "C#"} for i in items if i["type"] == "grade")
    out = parse_rubric(docs()).to_json()  # an item that names none: a photo (as before)
    assert [i["evidence"] for i in out["sections"][0]["items"]] == ["photo", "photo", "photo"]


def test_an_item_may_carry_its_own_factors_which_are_checked_like_the_rubrics():
    own = ALPHA.replace("    criteria: [清洁, 有序]\n",
                        "    criteria: [清洁, 有序]\n    evidence: document\n    grades: {A: 1.0, B: 0.5, C: 0}\n")
    rubric = parse_rubric(docs(alpha_yaml=own))
    assert rubric.item("A03").grades == (("A", Decimal(1)), ("B", Decimal("0.5")), ("C", Decimal(0)))
    assert rubric.item("A03").evidence == "document"
    assert parse_rubric(docs(alpha_yaml=own)).version != parse_rubric(docs()).version
    wrong = ALPHA.replace("    criteria: [清洁, 有序]\n",
                          "    criteria: [清洁, 有序]\n    evidence: 录像\n    grades:\n      A: 1.2\n      B: 0.5\n"
                          "      C: 0.7\n")
    found = problems_of(docs(alpha_yaml=wrong))
    assert any(p.startswith("alpha.yaml:22: A03.evidence: “A03.evidence”应为 photo/document/interview 之一")
               for p in found)
    assert any(p.startswith("alpha.yaml:24: A03.grades.A: 等级系数应为 0–1 之间的数字，实为 1.2")
               for p in found)
    assert any(p.startswith("alpha.yaml:26: A03.grades.C: 等级系数应从高到低排列：0.7 高于上一等级 B 的 0.5")
               for p in found)
    check_grades = ALPHA.replace("    severity: facility\n", "    severity: facility\n    grades: {A: 1.0}\n", 1)
    assert any("A01.grades: 只有 grade 项目才能有 grades" in p for p in problems_of(docs(alpha_yaml=check_grades)))


def test_a_factor_above_one_in_the_main_file_is_located():
    found = problems_of(docs(rubric_yaml=MAIN.replace("B: 0.8", "B: 1.8")))
    assert found == ["rubric.yaml:4: grades.B: 等级系数应为 0–1 之间的数字，实为 1.8"
                     "（a grade factor must be a number within 0–1, got 1.8）"]
