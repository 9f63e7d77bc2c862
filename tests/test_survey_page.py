"""AppTest of the tablet page: choose a village, answer, live total, evidence rule, draft restore,
submit exactly once. Widgets are found by key."""

import io
import sqlite3
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from datetime import timedelta

from core import config
from survey import fieldwork, store, vetoes
from core.model import Round
from survey.registry import VillageRow
from survey.rubric import load_rubric
from survey.scoring import partial, score
from ui import keys

from builders import admin
from builders import surveyor as as_surveyor

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "tablet.py")
ROUND = "2026-B4"
LI, ZHANG, QING = "429901100001", "429901100002", "429901101001"
LOGINS = {"王芳": "wangfang", "李明": "liming", "县文明办": "office"}


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "tablet.db"
    rows = [("李庄村", LI, "城关镇", "无"), ("张家湾村", ZHANG, "城关镇", "县级"),
            ("青石村", QING, "青石镇", "无")]
    store.import_registry(path, [
        VillageRow(code=code, name=name, township=town, county="示范县", lon=113.9, lat=30.6,
                   title=title, title_year=None, households=100, demo=False, line=n + 2)
        for n, (name, code, town, title) in enumerate(rows)])
    store.create_round(path, Round(ROUND, "第四次双月测评"))
    monkeypatch.setenv("SURVEY_DB", str(path))
    return path


@pytest.fixture
def rubric():
    return load_rubric()


@pytest.fixture
def start(db, signed_in):
    def open_session(surveyor="王芳", village=None, role="surveyor") -> AppTest:
        """A new browser session signed in as ``surveyor``; ``village`` is opened from the URL,
        as after a reload."""
        at = AppTest.from_file(PAGE, default_timeout=30)
        signed_in(at, db, role, county="429901", name=LOGINS[surveyor], display_name=surveyor)
        at.session_state[keys.ROUND] = ROUND
        if village:
            at.query_params[keys.SV_VILLAGE] = village
        at.run()
        assert not at.exception
        return at

    return open_session


def best(item):
    return {"check": True, "count": 0}.get(item.type) if item.type != "grade" else item.grade_names[0]


def answer(at, code, value):
    widget = at.number_input(key=f"{keys.SV_ANSWER}_{code}") if isinstance(value, int) and not \
        isinstance(value, bool) else at.segmented_control(key=f"{keys.SV_ANSWER}_{code}")
    widget.set_value(value)
    at.run()
    assert not at.exception


def criteria(at, item, missed=()):
    """Answer grade item ``item`` criterion by criterion: those numbered ``missed`` not met."""
    for n in range(1, len(item.criteria) + 1):
        at.segmented_control(key=f"{keys.SV_CRITERION}_{item.code}_{n}").set_value(n not in missed)
        at.run()
        assert not at.exception


def total_text(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("当前得分"))


WANG = as_surveyor("王芳")


def prefill(db, rubric, surveyor="王芳", village=LI, skip=()):
    me = as_surveyor(surveyor)
    draft = fieldwork.open_draft(db, me, ROUND, village)
    for item in rubric.items:
        if item.code in skip:
            continue
        if item.type == "grade":
            draft = fieldwork.criteria(db, me, rubric, draft, item.code, [True] * len(item.criteria))
        else:
            draft = fieldwork.answer(db, me, draft, item.code, best(item))
    return fieldwork.set_veto(db, me, draft, [])


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (60, 120, 90)).save(out, "JPEG")
    return out.getvalue()


def test_a_surveyor_signs_with_their_own_name_an_admin_may_type_one(db, start):
    at = start()
    name = at.text_input(key=keys.SV_SURVEYOR)
    assert name.value == "王芳" and name.disabled
    admin = start("县文明办", role="admin")
    assert not admin.text_input(key=keys.SV_SURVEYOR).disabled
    admin.text_input(key=keys.SV_SURVEYOR).input("")
    admin.run()
    assert admin.info[0].value == "请先填写测评员姓名"
    assert not admin.selectbox  # no village picker without a name


def test_choose_a_village_by_township_with_its_status(db, rubric, start):
    prefill(db, rubric, village=ZHANG)  # 王芳 has a draft of 张家湾村
    at = start()
    at.selectbox(key=keys.SV_TOWN).set_value("429901100")
    at.run()
    picker = at.selectbox(key=keys.SV_VILLAGE)
    assert picker.options == ["李庄村 · 未测", "张家湾村 · 草稿"]
    assert "已完成 0 个 · 草稿 1 个 · 未测 1 个" in at.caption[0].value
    picker.set_value(LI)
    at.run()
    assert at.query_params[keys.SV_VILLAGE] == LI  # a reload reopens it
    headers = [h.value for h in at.subheader]
    assert headers[0] == "李庄村（城关镇）"
    assert [h.split(" · ")[0] for h in headers[1:4]] == [s.name for s in rubric.sections]


def test_answers_update_the_live_total_and_are_saved_at_once(db, rubric, start):
    at = start(village=LI)
    assert total_text(at).startswith("当前得分 **0** 分（已答 0/")
    check = next(i for i in rubric.items if i.type == "check")
    count = next(i for i in rubric.items if i.type == "count")
    grade = next(i for i in rubric.items if i.type == "grade")
    answer(at, check.code, True)
    answer(at, count.code, 2)
    criteria(at, grade, missed=(2,))  # one criterion short: B, by the rule
    answers = {check.code: True, count.code: 2, grade.code: grade.grade_names[1]}
    expected = partial(rubric, answers).total
    assert f"当前得分 **{_num(expected)}** 分（已答 3/{len(rubric.items)} 项" in total_text(at)
    assert "达标线 85 分" in total_text(at)
    saved = store.load_draft(db, ROUND, LI, "王芳")
    assert saved["answers"] == answers
    assert saved["criteria"] == {grade.code: [n != 2 for n in range(1, len(grade.criteria) + 1)]}
    assert any(f"等级 {grade.grade_names[1]}" in c.value for c in at.caption)


def _num(d):
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def test_a_failed_item_needs_a_note_and_a_photo_before_submitting(db, rubric, start):
    failed = rubric.items[0]
    prefill(db, rubric, skip={failed.code})
    at = start(village=LI)
    answer(at, failed.code, False)
    at.button(key=keys.SV_SUBMIT).click()
    at.run()
    listing = at.error[0].value
    assert "还不能提交，请补全以下 2 项" in listing
    assert failed.code in listing and "请填写情况说明" in listing
    assert "请至少上传一张照片" in listing
    assert store.stats(db)["submissions"] == 0

    at.text_area(key=f"{keys.SV_NOTE}_{failed.code}").input("村口无垃圾桶")
    at.run()
    at.file_uploader(key=f"{keys.SV_UPLOAD}_{failed.code}_0").set_value(("IMG_1.jpg", jpeg(), "image/jpeg"))
    at.run()
    assert not at.exception
    assert len(store.draft_photos(db, ROUND, LI, "王芳")) == 1
    at.button(key=keys.SV_SUBMIT).click()
    at.run()
    assert "已提交 李庄村" in at.success[0].value
    stored = store.round_results(db, ROUND)[0]
    assert stored.submission_id and stored.findings == 1
    assert [p.item_code for p in store.submission_photos(db, stored.submission_id)] == [failed.code]


def test_the_draft_is_restored_in_a_new_session(db, rubric, start):
    at = start(village=LI)
    check = next(i for i in rubric.items if i.type == "check")
    count = next(i for i in rubric.items if i.type == "count")
    answer(at, check.code, False)
    at.text_area(key=f"{keys.SV_NOTE}_{check.code}").input("无分类垃圾桶")
    at.run()
    answer(at, count.code, 3)
    total = total_text(at)

    again = start(village=LI)  # a reload / a new tablet session
    assert again.segmented_control(key=f"{keys.SV_ANSWER}_{check.code}").value is False
    assert again.number_input(key=f"{keys.SV_ANSWER}_{count.code}").value == 3
    assert again.text_area(key=f"{keys.SV_NOTE}_{check.code}").value == "无分类垃圾桶"
    assert total_text(again) == total
    other = start("李明", village=LI)  # another surveyor starts clean
    assert other.segmented_control(key=f"{keys.SV_ANSWER}_{check.code}").value is None


def test_submitting_twice_stores_one_row_with_the_exact_score(db, rubric, start):
    grade = next(i for i in rubric.items if i.type == "grade")
    draft = prefill(db, rubric, skip={grade.code})
    draft = fieldwork.criteria(db, WANG, rubric, draft, grade.code, [False, False] + [True] * (len(grade.criteria) - 2))
    draft = fieldwork.note(db, WANG, draft, grade.code, "两项子标准未达到")
    fieldwork.add_photo(db, WANG, draft, grade.code, jpeg(), "a.jpg")
    first, second = start(village=LI), start(village=LI)  # a tab restored after a dropped line
    first.button(key=keys.SV_SUBMIT).click()
    first.run()
    second.button(key=keys.SV_SUBMIT).click()
    second.run()
    assert "已提交 李庄村" in first.success[0].value and "未重复提交" not in first.success[0].value
    assert "未重复提交" in second.success[0].value
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
    stored = store.submission(db, draft.id)
    expected = score(rubric, stored["answers"], stored["veto"])
    assert stored["answers"][grade.code] == grade.grade_names[2]  # two criteria short: C
    assert stored["unmet"] == {grade.code: list(grade.criteria[:2])}
    assert stored["total"] == expected.total
    assert f"总分 {_num(expected.total)} 分" in first.success[0].value
    assert store.load_draft(db, ROUND, LI, "王芳") is None
    assert "李庄村 · 已完成" in start().selectbox(key=keys.SV_VILLAGE).options


def test_a_surveyor_sees_only_the_villages_of_their_townships(db, signed_in):
    at = AppTest.from_file(PAGE, default_timeout=30)
    signed_in(at, db, "surveyor", county="429901", townships=("429901101",), name="qingshi",
            display_name="赵磊")
    at.session_state[keys.ROUND] = ROUND
    at.query_params[keys.SV_VILLAGE] = LI  # out of scope: ignored
    at.run()
    assert at.selectbox(key=keys.SV_TOWN).options == ["青石镇"]
    assert at.selectbox(key=keys.SV_VILLAGE).options == ["青石村 · 未测"]
    assert at.selectbox(key=keys.SV_VILLAGE).value is None


def test_a_reported_veto_needs_a_choice_and_is_suspected_until_the_office_confirms_it(db, rubric, start):
    prefill(db, rubric)
    draft = fieldwork.set_veto(db, WANG, fieldwork.open_draft(db, WANG, ROUND, LI), None)
    at = start(village=LI)
    at.segmented_control(key=keys.SV_VETO_ANY).set_value(True)
    at.run()
    at.button(key=keys.SV_SUBMIT).click()
    at.run()
    assert "一票否决事项：请选择" in at.error[0].value and store.stats(db)["submissions"] == 0
    at.pills(key=keys.SV_VETO).set_value(["V2"])
    at.run()
    assert any("疑似一票否决事项" in m.value and "核实认定后才计入" in m.value for m in at.markdown)
    at.button(key=keys.SV_SUBMIT).click()
    at.run()
    assert "总分 100 分，达标" in at.success[0].value  # a report alone does not veto
    stored = store.submission(db, draft.id)
    assert stored["reported"] == ["V2"] and stored["veto"] == [] and stored["passed"] == 1


def test_the_tablet_shows_a_confirmed_veto_before_the_surveyor_answers_anything(db, rubric, start):
    event = config.today() - timedelta(days=40)  # in force today (12 months by default)
    last = vetoes.add_months(event, 12) - timedelta(days=1)
    vetoes.add(db, admin(), "429901100", "V1", event.isoformat(), "县纪委",
               "示纪发〔2026〕3号")  # a township leader's case: every village of 城关镇
    at = start(village=LI)
    assert store.load_draft(db, ROUND, LI, "王芳") is None  # nothing answered yet
    shown = [e.value for e in at.error]
    assert any("一票否决（县文明办已认定）" in v and "V1" in v and "县纪委" in v and last.isoformat() in v
               for v in shown), shown
    assert not start(village=QING).error  # another township: nothing applies
    prefill(db, rubric)
    at = start(village=LI)
    at.button(key=keys.SV_SUBMIT).click()
    at.run()
    assert "一票否决，未达标" in at.success[0].value
    [result] = [r for r in store.round_results(db, ROUND) if r.village.code == LI]
    assert result.veto == ("V1",) and result.passed is False


def test_position_typed_by_hand_is_saved_and_warned_when_far(db, start):
    at = start(village=LI)
    at.number_input(key=keys.SV_LON).set_value(113.9)
    at.number_input(key=keys.SV_LAT).set_value(30.65)  # about 5.6 km north of the village
    at.run()
    at.button(key=keys.SV_GPS_SAVE).click()
    at.run()
    assert "经度 113.900000，纬度 30.650000（手动输入）" in at.success[0].value
    assert "5.6 公里" in at.warning[0].value
    fix = store.load_draft(db, ROUND, LI, "王芳")["fix"]
    assert (fix["lon"], fix["lat"], fix["accuracy_m"], fix["source"]) == (113.9, 30.65, None, "manual")
