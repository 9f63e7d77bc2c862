"""The round's rubric as an XLSForm: converted by pyxform with no error and no warning; its
structure (languages, groups, questions, evidence, calculations, village cascade, metadata); the
command line; and ODK's own form engine computing the very totals ``survey.scoring`` does."""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from decimal import Decimal

import odk_engine
import odk_exports as ex
import pytest
from pyxform.xls2xform import convert
from scoped_db import ROUND, VILLAGES

from core.errors import NotFound
from core.model import Round, Village
from survey import auth, odk, store
from survey import xlsform as xf
from survey.cli import main
from survey.rubric import load_rubric, parse_rubric
from survey.scoring import grade_from_criteria, score

ZH, EN = "label::中文 (zh)", "label::English (en)"


def to_xform(xlsx: bytes) -> str:
    """pyxform's conversion; asserts it warns of nothing."""
    warnings: list[str] = []
    result = convert(xlsx, warnings=warnings, file_type=".xlsx")
    assert warnings == []
    return result.xform


@pytest.fixture
def form(scoped):
    return xf.make_form(scoped, ROUND)


# --- the grade rule ----------------------------------------------------------------------------


def test_grade_follows_the_national_rule():
    item = load_rubric().item("LJ06")  # five criteria, grades A B C C#
    assert len(item.criteria) == 5
    yes = [True] * 5
    assert grade_from_criteria(item, yes) == "A"
    assert grade_from_criteria(item, [False, *yes[1:]]) == "B"
    assert grade_from_criteria(item, [True, False, True, False, True]) == "C"
    assert grade_from_criteria(item, [False, False, False, True, True]) == "C#"
    assert grade_from_criteria(item, [False] * 5) == "C#"
    with pytest.raises(ValueError):
        grade_from_criteria(item, yes[:4])
    with pytest.raises(ValueError):
        grade_from_criteria(load_rubric().item("LJ01"), [])


# --- the form ----------------------------------------------------------------------------------


def test_form_converts_with_pyxform_with_no_warning(form):
    xml = to_xform(form.xlsx)
    assert f'id="{xf.form_id(ROUND)}"' in xml
    assert f'version="{form.version}"' in xml
    assert form.version == f"{ROUND}.{load_rubric().version}"
    assert '<translation lang="中文 (zh)" default="true()">' in xml and '<translation lang="English (en)">' in xml
    assert 'src="jr://file-csv/villages.csv"' in xml
    assert re.search(r'<bind nodeset="/data/username" jr:preload="property"[^>]*jr:preloadParams="username"', xml)
    assert "instanceName" in xml and "concat( /data/place/village_name , ' ',  /data/today )" in xml


def _sheet(xlsx: bytes, name: str) -> list[dict[str, str]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    rows = list(book[name].iter_rows(values_only=True))
    return [{h: v for h, v in zip(rows[0], r) if v is not None} for r in rows[1:]]


def test_every_section_is_a_group_and_every_item_asks_the_right_question(form):
    rubric = load_rubric()
    survey = _sheet(form.xlsx, "survey")
    by_name = {r["name"]: r for r in survey if r["type"] not in ("end group",)}
    groups = [r["name"] for r in survey if r["type"] == "begin group"]
    assert [s.code for s in rubric.sections] == [g for g in groups if g in {s.code for s in rubric.sections}]
    for row in survey:
        if row["type"] not in ("end group", "calculate", "start", "end", "today", "username"):
            assert row.get(ZH) and row.get(EN), row  # Chinese and English labels
    for item in rubric.items:
        if item.type == "check":
            assert by_name[item.code]["type"] == "select_one met"
        elif item.type == "count":
            assert by_name[item.code]["type"] == "integer"
            assert by_name[item.code]["constraint"] == ". >= 0"
        else:
            for n, criterion in enumerate(item.criteria, start=1):
                question = by_name[xf.criterion_field(item.code, n)]
                assert question["type"] == "select_one met" and criterion in question[ZH]
            assert by_name[item.code]["type"] == "calculate"
        for evidence, kind in ((xf.note_field(item.code), "text"), (xf.photo_field(item.code), "image")):
            assert by_name[evidence]["type"] == kind
            assert by_name[evidence]["relevant"] == xf.finding_xpath(item)
        assert by_name[xf.note_field(item.code)]["required"] == "yes"  # a finding needs a note always
        # ... and a photo only when the item's evidence is a photo
        assert by_name[xf.photo_field(item.code)].get("required") == ("yes" if item.evidence == "photo" else None)
        assert by_name[xf.points_field(item.code)]["type"] == "calculate"
        assert "${total}" in by_name[item.code if item.type != "grade" else xf.criterion_field(item.code, 1)][
            "hint::中文 (zh)"]
    assert by_name[xf.VETO]["type"] == "select_multiple veto"
    assert by_name[xf.LOCATION]["type"] == "geopoint"
    assert by_name[xf.VILLAGE]["choice_filter"] == "kind = 'village' and township = ${township}"
    choices = _sheet(form.xlsx, "choices")
    assert {(c["list_name"], c["name"], c[ZH]) for c in choices if c["list_name"] == "met"} == {
        ("met", "yes", "符合"), ("met", "no", "不符合")}
    assert [c["name"] for c in choices if c["list_name"] == "veto"] == [v.code for v in rubric.veto]


def test_villages_csv_lists_townships_then_their_villages(scoped, form):
    text = form.villages_csv.decode("utf-8")
    assert not text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    towns = [r for r in rows if r["kind"] == "township"]
    villages = [r for r in rows if r["kind"] == "village"]
    assert rows[:len(towns)] == towns
    assert {r["name"] for r in villages} == set(VILLAGES)
    assert all(r["township"] == r["name"][:9] for r in villages)
    assert {r["name"] for r in towns} == {c[:9] for c in VILLAGES}


def test_text_from_data_never_becomes_a_formula():
    rubric = load_rubric()
    village = Village("429901100201", "=HYPERLINK(\"x\")", "429901100", "+镇", "429901", None, 113.9, 30.6)
    assert "'=HYPERLINK" in xf.villages_csv([village]).decode()
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xf.build_xlsform(rubric, Round("R1", "=cmd()"))))
    cell = book["settings"]["A2"]
    assert cell.value == "乡风测评 =cmd()（R1）" and cell.data_type == "s"


def test_the_form_zip_holds_the_form_and_its_villages(form):
    with zipfile.ZipFile(io.BytesIO(form.zip_bytes())) as zf:
        assert sorted(zf.namelist()) == sorted([f"{xf.form_id(ROUND)}.xlsx", "villages.csv"])
        assert zf.read("villages.csv") == form.villages_csv


def test_a_form_for_a_round_that_does_not_exist_is_refused(scoped):
    with pytest.raises(NotFound) as caught:
        xf.make_form(scoped, "2099-X")
    assert "2099-X" in str(caught.value) and ROUND in str(caught.value)


# --- the command line --------------------------------------------------------------------------


def test_cli_writes_the_form_and_villages_csv_beside_it(scoped, tmp_path, capsys):
    out = tmp_path / "out" / "FORM.xlsx"
    out.parent.mkdir()
    assert main(["--db", str(scoped), "xlsform", "--round", ROUND, "--out", str(out)]) == 0
    assert to_xform(out.read_bytes())
    assert (out.parent / "villages.csv").read_bytes() == xf.villages_csv(store.villages(scoped))


def test_cli_refuses_an_unknown_round_and_writes_nothing(scoped, tmp_path, capsys):
    out = tmp_path / "forms" / "FORM.xlsx"
    out.parent.mkdir()
    assert main(["--db", str(scoped), "xlsform", "--round", "2099-X", "--out", str(out)]) == 1
    assert "2099-X" in capsys.readouterr().err
    assert list(out.parent.iterdir()) == []


# --- ODK's own engine --------------------------------------------------------------------------

OP = auth.operator()

AWKWARD = {  # points that are not halves: the sums must still be exact decimals
    "rubric.yaml": "pass_mark: 12.5\ntotal: 20\nsections: [one, two]\ngrades: {A: 1.0, B: 0.85, C: 0.55, 'C#': 0.1}\n",
    "one.yaml": "code: one\nname: 一\npoints: 10.3\nitems:\n"
                "  - {code: O1, text: 甲, type: check, points: 2.7}\n"
                "  - {code: O2, text: 乙, type: count, points: 3.3, deduct: 0.7}\n"
                "  - {code: O3, text: 丙, type: grade, points: 4.3, criteria: [子一, 子二, 子三, 子四]}\n",
    "two.yaml": "code: two\nname: 二\npoints: 9.7\nitems:\n"
                "  - {code: T1, text: 丁, type: grade, points: 3.1, criteria: [一]}\n"
                "  - {code: T2, text: 戊, type: count, points: 6.6, deduct: 1.3}\n",
    "veto.yaml": "veto:\n  - {code: V1, name: 否, text: 否决}\n",
}


def _refs(rubric, round_id):
    return {name: "/data/" + "/".join(path) for name, path, _ in ex.field_paths(rubric, round_id)}


def _engine_cases(rubric, round_id, village, count, seed, mode="answer"):
    """Answer sets as a surveyor enters them (criteria, counts, notes, photos, veto); ``mode``
    answer: node by node, restore: loaded as an instance document (see tools/odk-engine)."""
    rng = random.Random(seed)
    refs = _refs(rubric, round_id)
    entered = [xf.TOWNSHIP, xf.VILLAGE, xf.LOCATION, xf.VETO_ANY, xf.VETO]
    for item in rubric.items:
        entered += ([xf.criterion_field(item.code, n) for n in range(1, len(item.criteria) + 1)]
                    if item.type == "grade" else [item.code])
        entered += [xf.note_field(item.code), xf.photo_field(item.code)]
    read = [refs[n] for n in (xf.TOTAL, xf.VERSION_FIELD, xf.ROUND_FIELD, xf.VILLAGE_NAME, xf.PASSED,
                              *(xf.points_field(i.code) for i in rubric.items),
                              *(i.code for i in rubric.items),
                              *(xf.section_field(s.code) for s in rubric.sections))]
    if mode == "restore":  # a document carries its metadata, which a new instance preloads
        entered = [xf.START, xf.END, xf.TODAY, xf.USERNAME, "instanceID", *entered]
    filled, cases = [], []
    for _ in range(count):
        f = ex.answer_set(rubric, round_id, village, rng)
        filled.append(f)
        cases.append({"username": f.values[xf.USERNAME], "read": read, "mode": mode,
                      "set": [[refs[n], f.values[n]] for n in entered if f.values.get(n)],
                      "files": [refs[xf.photo_field(i.code)] for i in rubric.items]})
    return filled, cases


def _engine_or_skip():
    reason = odk_engine.missing()
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("which", ["county rubric", "awkward decimals"])
def test_odk_engine_computes_the_totals_of_survey_scoring(scoped, which):
    """Many answer sets: a few answered node by node as in Collect, the rest loaded as instance
    documents (the same calculations, computed once: ODK's engine re-renders every output on
    each answer, which makes node-by-node answering slow)."""
    _engine_or_skip()
    rubric = load_rubric() if which == "county rubric" else parse_rubric(AWKWARD)
    village = store.village(scoped, next(iter(VILLAGES)))
    rnd = store.get_round(scoped, ROUND)
    xform = to_xform(xf.build_xlsform(rubric, rnd))
    seed = len(which)
    answered, cases = _engine_cases(rubric, ROUND, village, 3, seed=seed)
    loaded, more = _engine_cases(rubric, ROUND, village, 30, seed=seed + 1, mode="restore")
    filled = answered + loaded
    results = odk_engine.run(xform, cases + more,
                             {"villages.csv": xf.villages_csv(store.villages(scoped)).decode()})
    assert len({f.values[xf.TOTAL] for f in filled}) > 10  # many different totals
    refs = _refs(rubric, ROUND)
    for f, got in zip(filled, results):
        assert got["error"] is None, got["error"]
        assert got["violations"] == []  # complete: every finding has its note and photo
        values = got["values"]
        expected = score(rubric, f.answers, f.veto)
        assert Decimal(values[refs[xf.TOTAL]]) == expected.total
        for section, points in expected.sections.items():
            assert Decimal(values[refs[xf.section_field(section)]]) == points
        for item in expected.items:
            assert Decimal(values[refs[xf.points_field(item.code)]]) == item.points, item.code
            if rubric.item(item.code).type == "grade":
                assert values[refs[item.code]] == f.answers[item.code]
        assert values[refs[xf.PASSED]] == (xf.YES if expected.passed else xf.NO)
        assert values[refs[xf.VERSION_FIELD]] == xf.form_version(ROUND, rubric)
        assert values[refs[xf.VILLAGE_NAME]] == f"{village.name}（{village.code}）"


def test_the_surveyor_sees_the_total_must_give_evidence_and_picks_the_village_by_township(scoped):
    _engine_or_skip()
    rubric = load_rubric()
    xform = to_xform(xf.build_xlsform(rubric, store.get_round(scoped, ROUND)))
    refs = _refs(rubric, ROUND)
    town, other = sorted({c[:9] for c in VILLAGES})[:2]
    in_town = sorted(c for c in VILLAGES if c.startswith(town))
    cases = [
        {"set": [[refs["LJ01"], "yes"], [refs["LJ07"], "3"]], "read": [refs["LJ07"]]},
        {"set": [[refs[xf.TOWNSHIP], town], [refs[xf.VILLAGE], in_town[0]]], "read": [refs[xf.VILLAGE_NAME]]},
        {"set": [[refs[xf.TOWNSHIP], other], [refs[xf.VILLAGE], in_town[0]]], "read": [refs[xf.VILLAGE]]},
    ]
    running, chosen, outside = odk_engine.run(
        xform, cases, {"villages.csv": xf.villages_csv(store.villages(scoped)).decode()})
    assert "当前累计 6.5 分，达标线 85 分" in running["hints"][refs["LJ07"]]  # 3 + (5 − 3 × 0.5)
    # LJ07 found 3 problems: its note and photo are required; LJ01 is met: nothing asked
    assert f"{refs[xf.note_field('LJ07')]}:required" in running["violations"]
    assert f"{refs[xf.photo_field('LJ07')]}:required" in running["violations"]
    assert not [v for v in running["violations"] if "LJ01_" in v]
    assert chosen["values"][refs[xf.VILLAGE_NAME]].startswith(VILLAGES[in_town[0]][0])
    assert re.search(rf"<instanceName>{VILLAGES[in_town[0]][0]}.* \d{{4}}-\d{{2}}-\d{{2}}</instanceName>",
                     chosen["xml"])
    assert outside["values"][refs[xf.VILLAGE]] == ""  # a village of another township is not offered


def test_what_the_engine_submits_imports_and_scores_the_same(scoped):
    """Engine-made instances, laid out as Central's export, go through the import unchanged."""
    _engine_or_skip()
    rubric = load_rubric()
    village = store.village(scoped, next(iter(VILLAGES)))
    xform = to_xform(xf.build_xlsform(rubric, store.get_round(scoped, ROUND)))
    answered, cases = _engine_cases(rubric, ROUND, village, 1, seed=9)
    loaded, more = _engine_cases(rubric, ROUND, village, 2, seed=10, mode="restore")
    filled = answered + loaded
    results = odk_engine.run(xform, cases + more, {"villages.csv": xf.villages_csv([village]).decode()})
    from xml.etree import ElementTree

    rows = []
    for f, got in zip(filled, results):
        root = ElementTree.fromstring(got["xml"])
        values = {el.tag: (el.text or "") for el in root.iter() if len(el) == 0}
        rows.append(ex.Filled(values, f.answers, f.veto, f.photos))
    data = ex.central_zip(rubric, ROUND, rows)
    result = odk.import_export(scoped, OP, data, "engine.zip")
    assert (result.added, result.source) == (3, "odk")
    for f in rows:
        stored = store.submission(scoped, f.id)
        assert stored["answers"] == f.answers
        assert stored["total"] == score(rubric, f.answers, f.veto).total
