"""Exports of the round's form, as ODK Central and KoboToolbox lay them out, imported and scored:
group prefixes, ``;`` and ``,``, XLSX, Central's media folder, idempotence by instance id, the
source shown to reviewers, the setup page, and every bad input refused with its located
message and nothing written."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import odk_exports as ex
import pytest
from PIL import Image
from scoped_db import A1, B1, ROUND, VILLAGES, user
from streamlit.testing.v1 import AppTest

from core.errors import DataError, UsageError
from survey import auth, odk, review, store
from survey import xlsform as xf
from survey.cli import main
from survey.rubric import load_rubric
from survey.scoring import is_finding, score
from ui import keys

RUBRIC = load_rubric()
OP = auth.operator()
A_VILLAGES = [c for c in VILLAGES if c.startswith("429901")]
SETUP = str(Path(__file__).resolve().parents[1] / "pages" / "setup.py")
REVIEW = str(Path(__file__).resolve().parents[1] / "pages" / "review.py")


def filled(db, n=3, seed=1, codes=A_VILLAGES):
    rng = random.Random(seed)
    return [ex.answer_set(RUBRIC, ROUND, store.village(db, codes[k % len(codes)]), rng) for k in range(n)]


def snapshot(db):
    """What any write would change."""
    return store.data_version(db), store.stats(db)["submissions"]


def refused(db, data, name, **kwargs) -> list:
    """The problems of an import that must write nothing."""
    before = snapshot(db)
    with pytest.raises(DataError) as caught:
        odk.import_export(db, kwargs.pop("user", OP), data, name, **kwargs)
    assert snapshot(db) == before
    return caught.value.problems


def assert_stored(db, rows, source):
    for f in rows:
        stored = store.submission(db, f.id)
        assert stored["answers"] == f.answers
        assert stored["reported"] == f.veto  # ticked vetoes are reports, suspected until the office confirms
        assert stored["veto"] == [] and stored["passed"] == score(RUBRIC, f.answers, ()).passed
        assert stored["total"] == score(RUBRIC, f.answers, f.veto).total
        unmet = {c: [n for n, _ in enumerate(RUBRIC.item(c).criteria, start=1)
                     if f.values.get(xf.criterion_field(c, n)) == xf.NO]
                 for c in f.answers if RUBRIC.item(c).type == "grade"}
        assert stored["unmet_numbers"] == unmet  # the criteria answered not met, numbered from 1
        assert stored["village_code"] == f.values[xf.VILLAGE] and stored["round_id"] == ROUND
        assert stored["surveyor"] == "王芳" and stored["date"] == "2026-05-20"
        lat, lon, _, accuracy = f.values[xf.LOCATION].split()
        assert (stored["lon"], stored["lat"], stored["gps_accuracy_m"]) == (float(lon), float(lat), float(accuracy))
        assert stored["notes"] == {c: f"{c} 发现问题" for c, v in f.answers.items()
                                   if is_finding(RUBRIC.item(c), v)}
    assert {store.submission(db, f.id)["source"] for f in rows} == {source}


# --- both tools' layouts -----------------------------------------------------------------------


def test_central_zip_imports_scores_and_attaches_the_photos_to_their_items(scoped):
    rows = filled(scoped, 2)
    data = ex.central_zip(RUBRIC, ROUND, rows, photo_size=(1800, 1200))
    result = odk.import_export(scoped, OP, data, "xiangfeng_2026-B3.zip")
    assert (result.added, result.skipped, result.source, result.warnings) == (2, 0, "odk", ())
    assert result.photos == sum(len(f.photos) for f in rows) > 0
    assert_stored(scoped, rows, "odk")
    f = rows[0]
    photos = store.submission_photos(scoped, f.id)
    findings = {c for c, v in f.answers.items() if is_finding(RUBRIC.item(c), v)}
    assert sorted(p.item_code for p in photos) == sorted(findings)
    original = ex.jpeg(0, (1800, 1200))
    import hashlib

    assert {p.sha256 for p in photos} == {hashlib.sha256(original).hexdigest()}  # of the original file
    stored = store.photo_jpeg(scoped, photos[0].id)
    assert stored != original
    assert max(Image.open(io.BytesIO(stored)).size) == 1600 == max(photos[0].width, photos[0].height)
    bottom = Image.open(io.BytesIO(stored)).convert("RGB").getpixel((5, photos[0].height - 5))
    assert bottom != Image.open(io.BytesIO(original)).convert("RGB").getpixel((5, 1195))  # the watermark band


def test_central_csv_alone_imports_and_warns_that_the_photos_stayed_behind(scoped):
    rows = filled(scoped, 2, seed=2)
    result = odk.import_export(scoped, OP, ex.central_csv(RUBRIC, ROUND, rows), "xiangfeng_2026-B3.csv")
    assert (result.added, result.photos) == (2, 0)
    assert [w.key for w in result.warnings] == ["odk_no_media"]
    assert str(sum(len(f.photos) for f in rows)) in result.warnings[0].message
    assert_stored(scoped, rows, "odk")


def test_central_without_group_names_and_with_split_choices(scoped):
    rows = filled(scoped, 2, seed=3)
    data = ex.to_csv(ex.central_table(RUBRIC, ROUND, rows, group_paths=False, split_veto=True), bom=True)
    assert odk.import_export(scoped, OP, data, "export.csv").added == 2
    assert_stored(scoped, rows, "odk")


@pytest.mark.parametrize("delimiter", [";", ","])
def test_kobo_csv_with_slash_groups_imports(scoped, delimiter):
    rows = filled(scoped, 3, seed=4)
    data = ex.kobo_csv(RUBRIC, ROUND, rows, delimiter=delimiter)
    assert data.decode().splitlines()[0].count(delimiter) > 100
    assert "place/_location_latitude" in data.decode().splitlines()[0]
    result = odk.import_export(scoped, OP, data, "aKoboAsset.csv")
    assert (result.added, result.source) == (3, "kobo")
    assert_stored(scoped, rows, "kobo")


def test_kobo_xlsx_imports(scoped):
    rows = filled(scoped, 3, seed=5)
    result = odk.import_export(scoped, OP, ex.kobo_xlsx(RUBRIC, ROUND, rows), "乡风测评_2026-05-21.xlsx")
    assert (result.added, result.source) == (3, "kobo")
    assert_stored(scoped, rows, "kobo")
    more = filled(scoped, 1, seed=55)  # a workbook saved under another name is known by its content
    assert odk.import_export(scoped, OP, ex.kobo_xlsx(RUBRIC, ROUND, more), "export.csv").added == 1


def test_kobo_with_another_group_separator_no_groups_or_no_meta_columns(scoped):
    rows = filled(scoped, 3, seed=6)
    odk.import_export(scoped, OP, ex.kobo_csv(RUBRIC, ROUND, rows[:1], sep="."), "a.csv")
    odk.import_export(scoped, OP, ex.kobo_csv(RUBRIC, ROUND, rows[1:2], groups=False), "b.csv")
    table = ex.kobo_table(RUBRIC, ROUND, rows[2:])  # the instance id from _uuid alone
    keep = [n for n, h in enumerate(table[0]) if not h.startswith("meta/")]
    odk.import_export(scoped, OP, ex.to_csv([[r[n] for n in keep] for r in table]), "c.csv")
    assert_stored(scoped, rows, "kobo")


# --- idempotence, conflicts, the command line --------------------------------------------------


def test_importing_the_same_export_again_adds_nothing(scoped):
    rows = filled(scoped, 3, seed=7)
    data = ex.central_zip(RUBRIC, ROUND, rows)
    first = odk.import_export(scoped, OP, data, "e.zip")
    before = snapshot(scoped), store.audit_rows(scoped, entity="submission")
    again = odk.import_export(scoped, OP, data, "e.zip")
    assert (again.added, again.skipped, again.photos) == (0, 3, 0)
    assert (snapshot(scoped), store.audit_rows(scoped, entity="submission")) == before
    assert sum(len(store.submission_photos(scoped, f.id)) for f in rows) == first.photos
    # the same rows in Kobo's layout are the same submissions (uuid:… from _uuid)
    assert odk.import_export(scoped, OP, ex.kobo_csv(RUBRIC, ROUND, rows), "k.csv").added == 0


def test_the_same_id_with_other_answers_is_a_conflict(scoped):
    rows = filled(scoped, 1, seed=8)
    odk.import_export(scoped, OP, ex.central_csv(RUBRIC, ROUND, rows), "e.csv")
    rows[0].values["LJ07"] = str(int(rows[0].values["LJ07"]) + 1)
    problems = refused(scoped, ex.central_csv(RUBRIC, ROUND, rows), "e2.csv")
    assert [(p.key, p.line) for p in problems] == [("submission_conflict", 2)]


def test_cli_imports_and_reports_then_adds_nothing(scoped, tmp_path, capsys):
    path = tmp_path / "xiangfeng_2026-B3.zip"
    path.write_bytes(ex.central_zip(RUBRIC, ROUND, filled(scoped, 2, seed=9)))
    assert main(["--db", str(scoped), "import-odk", str(path)]) == 0
    assert "2 added, 0 already stored" in capsys.readouterr().err
    assert main(["--db", str(scoped), "import-odk", str(path)]) == 0
    assert "0 added, 2 already stored" in capsys.readouterr().err


def test_cli_prints_every_problem_located_and_exits_1(scoped, tmp_path, capsys):
    rows = filled(scoped, 2, seed=10)
    rows[0].values["LJ07"] = "-1"
    rows[1].values[xf.VILLAGE] = "429901999999"
    path = tmp_path / "bad.csv"
    path.write_bytes(ex.central_csv(RUBRIC, ROUND, rows))
    before = snapshot(scoped)
    assert main(["--db", str(scoped), "import-odk", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith(f"{path}:2: garbage-LJ07_item-LJ07: ") for line in err)
    assert any(line.startswith(f"{path}:3: place-village: ") and "429901999999" in line for line in err)
    assert snapshot(scoped) == before


# --- bad input: located, nothing written -------------------------------------------------------


def test_an_export_of_another_form_names_it(scoped):
    table = [["SubmissionDate", "name", "age", "meta-instanceID", "KEY", "FormVersion"],
             ["2026-05-21T02:00:00Z", "x", "3", "uuid:1", "uuid:1", "2024010101"]]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("household_census.csv", ex.to_csv(table))
    (p,) = refused(scoped, out.getvalue(), "household_census.zip")
    assert (p.key, p.line, p.field) == ("odk_other_form", 1, xf.ROUND_FIELD)
    assert "household_census" in p.message


def test_an_export_of_another_version_says_which_version_the_round_expects(scoped):
    rows = filled(scoped, 3, seed=11)
    for f in rows:
        f.values[xf.VERSION_FIELD] = f"{ROUND}.0123456789ab"
    (p,) = refused(scoped, ex.central_csv(RUBRIC, ROUND, rows), "old.csv")
    assert (p.key, p.line, p.field) == ("odk_version", 2, "xf_version")
    assert f"{ROUND}.0123456789ab" in p.message and xf.form_version(ROUND, RUBRIC) in p.message
    assert "3" in p.message


def test_an_export_of_a_round_that_does_not_exist(scoped):
    rows = filled(scoped, 1, seed=12)
    rows[0].values[xf.ROUND_FIELD] = "2099-X"
    (p,) = refused(scoped, ex.kobo_csv(RUBRIC, ROUND, rows), "k.csv")
    assert (p.key, p.line, p.field) == ("round_unknown", 2, xf.ROUND_FIELD)


def test_a_photo_named_by_a_row_but_missing_from_media(scoped):
    rows = filled(scoped, 2, seed=13)
    gone = rows[1].photos[0]
    problems = refused(scoped, ex.central_zip(RUBRIC, ROUND, rows, drop=[gone]), "e.zip")
    assert [(p.key, p.line) for p in problems] == [("odk_media_missing", 3)]
    assert gone in problems[0].message and problems[0].field.endswith("_photo")
    assert problems[0].file == f"e.zip!{xf.form_id(ROUND)}.csv"


def test_a_village_not_in_the_registry(scoped):
    rows = filled(scoped, 2, seed=14)
    rows[1].values[xf.VILLAGE] = "429901100299"
    (p,) = refused(scoped, ex.central_csv(RUBRIC, ROUND, rows), "e.csv")
    assert (p.key, p.line, p.field) == ("village_unknown", 3, "place-village")


def test_answers_outside_the_rubric(scoped):
    rows = filled(scoped, 4, seed=15)
    rows[0].values["LJ07"] = "-2"  # a negative count
    rows[1].values["LJ02"] = "D"  # an unknown grade
    rows[2].values["LJ01"] = "maybe"
    criteria = [xf.criterion_field("LJ06", n) for n in range(1, 6)]
    for name in criteria:
        rows[3].values[name] = xf.YES
    rows[3].values["LJ06"] = "B"  # all five criteria met: the grade is A
    problems = refused(scoped, ex.kobo_csv(RUBRIC, ROUND, rows), "k.csv")
    assert [(p.key, p.line, p.field) for p in problems] == [
        ("answer_count", 2, "garbage/LJ07_item/LJ07"), ("answer_grade", 3, "garbage/LJ02_item/LJ02"),
        ("odk_choice", 4, "garbage/LJ01_item/LJ01"), ("odk_grade", 5, "garbage/LJ06_item/LJ06")]
    assert "A" in problems[3].message


def test_a_zip_whose_paths_escape_its_folder_is_refused_before_anything_is_read(scoped):
    for evil in ("../evil.csv", "/etc/cron.d/x", "media/../../x.jpg", "C:/x.csv", "media\\..\\..\\x.jpg"):
        data = ex.central_zip(RUBRIC, ROUND, filled(scoped, 1, seed=16), extra={evil: b"x"})
        (p,) = refused(scoped, data, "e.zip")
        assert (p.key, p.line) == ("odk_zip_path", None) and evil in p.message


def test_a_csv_in_gbk(scoped):
    text = ex.central_csv(RUBRIC, ROUND, filled(scoped, 2, seed=17)).decode("utf-8")
    (p,) = refused(scoped, text.encode("gb18030"), "excel.csv")
    assert (p.key, p.line) == ("odk_encoding", 2)  # the header is ASCII: the first Chinese is on line 2


def test_a_zip_without_exactly_one_table(scoped):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("media/1.jpg", ex.jpeg())
    (p,) = refused(scoped, out.getvalue(), "e.zip")
    assert p.key == "odk_zip_tables" and "实有 0 个" in p.message
    (p,) = refused(scoped, b"not an export", "e.txt")
    assert p.key == "odk_format"


def test_limits_are_checked_before_the_work(scoped):
    rows = filled(scoped, 3, seed=18)
    (p,) = refused(scoped, ex.central_csv(RUBRIC, ROUND, rows), "e.csv", limits=odk.Limits(rows=2))
    assert p.key == "limit_exceeded" and "rows" in p.message
    (p,) = refused(scoped, ex.central_csv(RUBRIC, ROUND, rows), "e.csv", limits=odk.Limits(file_bytes=1000))
    assert p.key == "limit_exceeded"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("e.csv", ex.central_csv(RUBRIC, ROUND, rows))
        zf.writestr("media/zeros.jpg", b"\0" * 20_000_000)
    (p,) = refused(scoped, bomb.getvalue(), "bomb.zip")
    assert p.key == "limit_exceeded" and "zeros.jpg" in p.message
    rows[0].values[xf.note_field(next(c for c, v in rows[0].answers.items()
                                      if is_finding(RUBRIC.item(c), v)))] = "长" * 3000
    (p,) = refused(scoped, ex.central_csv(RUBRIC, ROUND, rows), "e.csv")
    assert (p.key, p.line) == ("limit_exceeded", 2)


def test_an_instance_id_twice_in_one_file(scoped):
    rows = filled(scoped, 2, seed=19)
    rows[1].values["instanceID"] = rows[0].id
    problems = refused(scoped, ex.central_csv(RUBRIC, ROUND, rows), "e.csv")
    assert [(p.key, p.line) for p in problems] == [("sub_id_duplicate", 3)]


# --- who may import, and what reviewers see ----------------------------------------------------


def test_a_reviewer_imports_only_villages_of_their_county_and_a_surveyor_not_at_all(scoped):
    rows = filled(scoped, 2, seed=20, codes=[A1 + "201", B1 + "201"])
    data = ex.central_csv(RUBRIC, ROUND, rows)
    (p,) = refused(scoped, data, "e.csv", user=user(scoped, "rev-a"))
    assert (p.key, p.line) == ("village_unknown", 3)
    with pytest.raises(UsageError):
        odk.import_export(scoped, user(scoped, "wang"), data, "e.csv")
    assert odk.import_export(scoped, user(scoped, "admin"), data, "e.csv").added == 2


def test_reviewers_see_where_each_submission_came_from(scoped, monkeypatch, signed_in):
    rows = filled(scoped, 1, seed=21)
    odk.import_export(scoped, OP, ex.kobo_csv(RUBRIC, ROUND, rows), "k.csv")
    items = {i.id: i for i in review.submissions(scoped, user(scoped, "rev-a"), ROUND)}
    assert items[rows[0].id].source == "kobo"
    assert {i.source for i in items.values() if i.id != rows[0].id} == {"tablet"}
    monkeypatch.setenv("SURVEY_DB", str(scoped))
    at = AppTest.from_file(REVIEW, default_timeout=30)
    signed_in(at, scoped, "reviewer")
    at.session_state[keys.ROUND] = ROUND
    at.run()
    table = next(d.value for d in at.dataframe if "区划代码" in d.value.columns)  # the list
    assert set(table["来源"]) == {"平板", "KoboCollect"}
    at.selectbox(key=keys.RV_SELECTED).set_value(rows[0].id).run()
    assert not at.exception
    assert "来源：KoboCollect" in [c.value for c in at.caption]


def test_the_setup_page_gives_the_form_and_takes_an_export(scoped, monkeypatch, signed_in):
    monkeypatch.setenv("SURVEY_DB", str(scoped))
    at = AppTest.from_file(SETUP, default_timeout=60)
    signed_in(at, scoped, "admin")
    at.run()
    assert not at.exception
    (button,) = [b for b in at.get("download_button") if b.proto.label.startswith("下载表单")]
    assert button.proto.label == "下载表单（XLSForm + villages.csv，ZIP）"
    rows = filled(scoped, 2, seed=22)
    at.file_uploader(key=keys.SETUP_ODK_UPLOAD).set_value(
        ("xiangfeng_2026-B3.zip", ex.central_zip(RUBRIC, ROUND, rows), "application/zip"))
    at.run()
    at.button(key=keys.SETUP_ODK_IMPORT).click().run()
    assert not at.exception
    assert any("新增 2 份提交" in s.value and "ODK Collect" in s.value for s in at.success)
    assert store.submission(scoped, rows[0].id)["answers"] == rows[0].answers
    bad = filled(scoped, 1, seed=23)
    bad[0].values[xf.VILLAGE] = "429901100299"
    at.file_uploader(key=keys.SETUP_ODK_UPLOAD).set_value(("bad.csv", ex.central_csv(RUBRIC, ROUND, bad), "text/csv"))
    at.run()
    at.button(key=keys.SETUP_ODK_IMPORT).click().run()
    assert "1 处问题" in at.error[0].value
    assert any(c.value.startswith("bad.csv:2: place-village: ") for c in at.code)
