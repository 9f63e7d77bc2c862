"""The tablet's rules in the browser (ui/components/tablet/rules.js, exif.js) are the server's:
run under Node on many answer sets and change sequences generated from the rubric, they give
what survey/scoring.py, survey/fieldwork.py and survey/gps.py give — the running total, each
section, each item's points, the grade from the criteria, what is missing before a submit, how
queued changes apply to a draft, the GPS warnings — and they read a photo's header and EXIF as
PIL does. Without Node these tests are skipped, saying so."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from core.model import Village
from survey import fieldwork, gps
from survey.rubric import load_rubric, parse_rubric
from survey.scoring import grade_from_criteria, item_points, partial, valid_answer

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "tests" / "js" / "tablet_rules.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (apt-get install nodejs)")


def run(rubric, cases: list[dict]) -> list:
    job = rubric.to_json()
    payload = {"rubric": job, "cases": cases,
               "grade_order": {i["code"]: list(i["grades"]) for s in job["sections"] for i in s["items"]
                               if i.get("grades")}}
    done = subprocess.run([NODE, str(RUNNER)], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def num(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- generated answer sets --------------------------------------------------------------------

WRONG = ("x", -1, 1.5, None, True, 1, "A ", [])


def answer_sets(rubric, n: int, seed: int):
    """``n`` drafts as a tablet may hold them: most items answered (grades from criteria), some
    not, a few with values of the wrong type, notes blank or not, every veto answer, some
    photographed findings."""
    rng = random.Random(seed)
    for _ in range(n):
        answers, notes, criteria = {}, {}, {}
        for item in rubric.items:
            if rng.random() < 0.15:
                continue
            if item.type == "check":
                value = rng.random() < 0.75
            elif item.type == "count":
                value = rng.choice([0, 0, 0, 1, 2, 3, 7, 11, 100, 10**6])
            else:
                met = [rng.random() < 0.75 for _ in item.criteria]
                shape = rng.random()
                if shape < 0.1:  # a grade stored without its criteria (before they were carried)
                    value = grade_from_criteria(item, met)
                elif shape < 0.2:  # some criteria still open
                    criteria[item.code] = [None if rng.random() < 0.5 else m for m in met[:-1]] + [None]
                    value = None
                else:
                    criteria[item.code] = met
                    value = grade_from_criteria(item, met)
            if rng.random() < 0.04:
                value = rng.choice(WRONG)
            if value is not None:
                answers[item.code] = value
            if rng.random() < 0.6:
                notes[item.code] = rng.choice(["", "   ", "村口两处暴露垃圾", " 有 "])
        veto = rng.choice([None, [], [rubric.veto[0].code], [v.code for v in rubric.veto[1:3]]])
        photographed = sorted(c for c in answers if rng.random() < 0.6)
        yield {"kind": "partial", "answers": answers, "notes": notes, "veto": veto, "photographed": photographed,
               "criteria": criteria}


def expected(rubric, case: dict) -> dict:
    running = partial(rubric, case["answers"])
    draft = fieldwork.Draft(round_id="r", village="v", surveyor="s", id="i", started="",
                            answers=case["answers"], notes=case["notes"],
                            veto=None if case["veto"] is None else tuple(case["veto"]),
                            criteria={code: tuple(met) for code, met in case.get("criteria", {}).items()})
    missing = fieldwork.validate(rubric, draft, set(case["photographed"]))
    return {
        "total": num(running.total), "total_max": num(running.total_max), "answered": running.answered,
        "count": running.count,
        "sections": {code: [num(running.sections[code]), num(running.section_max[code])] for code in running.sections},
        "missing": [[m.kind, m.item] for m in missing],
        "evidence": [i.code for i in rubric.items if fieldwork.needs_evidence(i, draft)],
        "points": [[i.code, num(item_points(i, case["answers"][i.code]))] for i in rubric.items
                   if i.code in case["answers"] and valid_answer(i, case["answers"][i.code])],
        "passed": running.total >= rubric.pass_mark,
        "unmet": fieldwork.submission_dict(draft, "2026-07-01").get("unmet", {}),
    }


def test_the_running_total_sections_points_and_what_is_missing_equal_the_servers():
    rubric = load_rubric()
    cases = list(answer_sets(rubric, 400, seed=20260701))
    complete = [{"kind": "partial", "answers": dict(a), "notes": {}, "veto": [], "photographed": [],
                 "criteria": c} for a, c in _every_item_answered(rubric)]
    cases += complete
    for case, got in zip(cases, run(rubric, cases), strict=True):
        assert got == expected(rubric, case), case


def _every_item_answered(rubric):
    """Every item answered, each way it can be (every grade by criteria, counts past the
    floor): (answers, criteria)."""
    for k in range(6):
        answers, criteria = {}, {}
        for item in rubric.items:
            if item.type == "check":
                answers[item.code] = bool(k % 2)
            elif item.type == "count":
                answers[item.code] = [0, 1, 2, 5, 9, 1000][k]
            else:
                met = [n >= k for n in range(len(item.criteria))]  # the first k not met
                criteria[item.code] = met
                answers[item.code] = grade_from_criteria(item, met)
        yield answers, criteria


def test_a_rubric_with_other_numbers_and_grades_scores_the_same():
    """A county's own rubric: points and deductions with decimals, grade names that look like
    numbers (a JavaScript object would reorder them), a pass mark of 8.05, an item with its own
    grades and factors, items whose evidence is a document or an interview (a note, no photo)."""
    docs = {
        "rubric.yaml": "pass_mark: 8.05\ntotal: 10\nsections: [s1]\ngrades:\n  '3': 1.0\n  '2': 0.75\n"
                       "  '1': 0.333\n  X: 0.0\nfix_days: {hygiene: 7}\n",
        "s1.yaml": "code: s1\nname: 一\npoints: 10\nitems:\n"
                   "  - {code: A1, text: 甲, type: check, points: 2.25, evidence: interview}\n"
                   "  - {code: A2, text: 乙, type: count, points: 3.75, deduct: 0.125}\n"
                   "  - {code: A3, text: 丙, type: grade, points: 3, criteria: [一, 二, 三, 四, 五]}\n"
                   "  - {code: A4, text: 丁, type: grade, points: 1, criteria: [一, 二, 三], evidence: document,\n"
                   "     grades: {'10': 1.0, '9': 0.6, '1': 0.2}}\n",
        "veto.yaml": "veto:\n  - {code: V1, name: 否, text: 否决}\n",
    }
    rubric = parse_rubric(docs)
    assert rubric.item("A3").grade_names == ("3", "2", "1", "X")
    assert rubric.item("A4").grade_names == ("10", "9", "1") and not rubric.item("A4").needs_photo
    cases = list(answer_sets(rubric, 300, seed=7))
    for case, got in zip(cases, run(rubric, cases), strict=True):
        assert got == expected(rubric, case), case


def test_the_grade_follows_the_criteria_as_on_the_server():
    rubric = load_rubric()
    cases = [{"kind": "grade", "item": item.code, "met": list(met)}
             for item in rubric.items if item.type == "grade"
             for met in itertools.product([True, False], repeat=len(item.criteria))]
    assert len(cases) > 16
    for case, got in zip(cases, run(rubric, cases), strict=True):
        assert got == grade_from_criteria(rubric.item(case["item"]), case["met"])


def test_exact_decimals_print_as_the_server_prints_them():
    rng = random.Random(3)
    cases = []
    for _ in range(500):
        a = Decimal(rng.randint(0, 10**6)).scaleb(-rng.randint(0, 6))
        b = Decimal(rng.randint(0, 10**4)).scaleb(-rng.randint(0, 4))
        c = rng.randint(0, 50)
        cases.append({"kind": "fmt", "a": str(a), "b": str(b), "c": c})
    for case, got in zip(cases, run(load_rubric(), cases), strict=True):
        assert got == num(Decimal(case["a"]) + Decimal(case["b"]) * case["c"]), case


# --- queued changes applied to a draft ----------------------------------------------------------


def op_sequences(rubric, n: int, seed: int):
    """Pairs (draft already saved, changes arriving): numbers in any order, changes sent twice,
    every kind of change and clearing."""
    rng = random.Random(seed)
    grades = [i for i in rubric.items if i.type == "grade"]
    for _ in range(n):
        def one(seq):
            kind = rng.choice(["answer", "answer", "criterion", "criterion", "note", "veto", "fix"])
            if kind == "criterion":
                item = rng.choice(grades)
                return {"seq": seq, "kind": kind, "item": item.code, "index": rng.randrange(len(item.criteria)),
                        "value": rng.choice([True, False, True, None])}
            if kind == "answer":
                item = rng.choice(rubric.items)
                value = None if rng.random() < 0.2 or item.type == "grade" else (
                    rng.random() < 0.5 if item.type == "check" else rng.randint(0, 5))
                return {"seq": seq, "kind": kind, "item": item.code, "value": value}
            if kind == "note":
                return {"seq": seq, "kind": kind, "item": rng.choice(rubric.items).code,
                        "value": rng.choice([None, "", "  村口 ", "两处"])}
            if kind == "veto":
                return {"seq": seq, "kind": kind, "value": rng.choice([None, [], ["V2"], ["V3", "V1"]])}
            return {"seq": seq, "kind": kind, "value": rng.choice([
                None, {"lon": 113.9 + rng.random() / 100, "lat": 30.6, "accuracy_m": 12.5, "source": "browser"},
                {"lon": 114.0, "lat": 30.61, "accuracy_m": 3.0, "source": "manual"}])}

        seqs = rng.sample(range(1, 400), 80)
        first = [one(s) for s in seqs[:40]]
        later = [one(s) for s in seqs[40:]]
        later += rng.sample(first, 8) + rng.sample(later, 5)  # sent twice
        rng.shuffle(later)
        yield first, later


def test_changes_apply_to_a_draft_as_on_the_server():
    """The tablet shows a draft with its waiting changes applied by the server's rule, so what
    it shows is what the server will store: each field takes the change with the higher
    number, a repeat is skipped, a grade follows its criteria."""
    rubric = load_rubric()
    cases, wanted = [], []
    for first, later in op_sequences(rubric, 150, seed=11):
        ops, refused = fieldwork.parse_ops(rubric, first)
        assert refused == []
        start = fieldwork.Draft("r", "v", "s", "d", "")
        saved, _, _ = fieldwork.apply_ops(rubric, start, ops)
        ops, refused = fieldwork.parse_ops(rubric, later)
        assert refused == []
        new, applied, stale = fieldwork.apply_ops(rubric, saved, ops)
        cases.append({"kind": "ops", "draft": saved.state(), "ops": later})
        state = new.state()
        del state["seq"]
        wanted.append({"draft": state, "applied": applied, "stale": stale})
    for case, got, want in zip(cases, run(rubric, cases), wanted, strict=True):
        assert got == want, case


# --- position, photos, texts --------------------------------------------------------------------


def test_position_warnings_equal_the_servers():
    village = Village(code="429901100001", name="村", township="镇", township_code="429901100",
                      county="县", county_code="429901", lon=113.9, lat=30.6)
    rng = random.Random(5)
    fixes = [gps.Fix(113.9 + rng.uniform(-0.06, 0.06), 30.6 + rng.uniform(-0.06, 0.06),
                     rng.choice([None, 5.0, 99.9, 100.0, 100.5, 150.5, 151.5, 2500.25, rng.uniform(0, 300)]),
                     "browser") for _ in range(300)]
    place = {"lon": village.lon, "lat": village.lat}
    # the county's limits (settings gps_accuracy_m, gps_distance_m): the defaults and others
    for limits in ({"accuracy_m": 100.0, "distance_m": 3000.0}, {"accuracy_m": 37.5, "distance_m": 2250.0}):
        cases = [{"kind": "gps", "fix": f.to_dict(), "village": place, "limits": limits} for f in fixes]
        for fix, got in zip(fixes, run(load_rubric(), cases), strict=True):
            want = [[p.key, dict(p.fields)["value"], dict(p.fields)["limit"]]
                    for p in gps.check(fix, village, accuracy_limit_m=limits["accuracy_m"],
                                       distance_limit_m=limits["distance_m"])]
            assert got == want, fix


def _jpeg(width: int, height: int, exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 60)).save(out, "JPEG", exif=exif or Image.Exif())
    return out.getvalue()


def _exif(orientation: int | None = None, taken: str | None = None, offset: str | None = None,
          position: tuple[float, float] | None = None) -> Image.Exif:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif[0x8769] = {0x9003: taken, **({0x9011: offset} if offset else {})}
    if position:
        lon, lat = position

        def dms(v):
            d = int(v)
            m = int((v - d) * 60)
            s = round(((v - d) * 60 - m) * 60 * 1000)
            return (d, m, s / 1000)

        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: dms(abs(lat)), 3: "E" if lon >= 0 else "W",
                        4: dms(abs(lon))}
    return exif


def test_the_photo_header_and_exif_are_read_as_pil_reads_them():
    files = {
        "plain": _jpeg(640, 480),
        "turned": _jpeg(4000, 3000, _exif(orientation=6, taken="2026:07:02 10:15:33")),
        "zoned": _jpeg(300, 200, _exif(orientation=3, taken="2026:07:02 10:15:33", offset="+08:00")),
        "placed": _jpeg(320, 240, _exif(taken="2026:07:03 08:00:00", position=(113.912345, 30.612345))),
        "png": _png(123, 45),
        "text": "这不是照片".encode(),
        "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    }
    cases = [{"kind": "inspect", "base64": base64.b64encode(data).decode()} for data in files.values()]
    got = dict(zip(files, run(load_rubric(), cases), strict=True))
    assert got["plain"] == {"kind": "jpeg", "width": 640, "height": 480, "orientation": 1, "taken": None, "gps": None}
    assert got["turned"]["orientation"] == 6 and (got["turned"]["width"], got["turned"]["height"]) == (4000, 3000)
    assert got["turned"]["taken"] == "2026-07-02T10:15:33"
    assert got["zoned"]["taken"] == "2026-07-02T10:15:33+08:00" and got["zoned"]["orientation"] == 3
    lon, lat = got["placed"]["gps"]
    assert abs(lon - 113.912345) < 1e-5 and abs(lat - 30.612345) < 1e-5
    assert got["png"] == {"kind": "png", "width": 123, "height": 45, "orientation": 1, "taken": None, "gps": None}
    assert got["text"]["kind"] is None and got["heic"]["kind"] == "heic"
    # what the tablet reads is what the server's PIL reads
    for name in ("plain", "turned", "zoned", "placed", "png"):
        img = Image.open(io.BytesIO(files[name]))
        assert (got[name]["width"], got[name]["height"]) == img.size
        assert got[name]["orientation"] == img.getexif().get(0x0112, 1)
    assert fieldwork.parse_taken(got["zoned"]["taken"]) == "2026-07-02 10:15"


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height)).save(out, "PNG")
    return out.getvalue()


def test_sha256_without_crypto_subtle_equals_hashlib():
    rng = random.Random(9)
    blobs = [bytes(rng.getrandbits(8) for _ in range(n)) for n in (0, 1, 55, 56, 63, 64, 65, 1000, 70_000)]
    cases = [{"kind": "sha256", "base64": base64.b64encode(b).decode()} for b in blobs]
    assert run(load_rubric(), cases) == [hashlib.sha256(b).hexdigest() for b in blobs]


def test_templates_are_filled_as_plain_text():
    cases = [{"kind": "fill", "template": "当前得分 {total} 分 {{x}} {missing}", "fields": {"total": "<b>84.5</b>"}}]
    assert run(load_rubric(), cases) == ["当前得分 <b>84.5</b> 分 {x} {missing}"]
