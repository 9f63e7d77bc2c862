"""AppTest of the tablet page: the surveyor's name, the village picker with each village's
status, and the checklist component handed what it needs to run in the browser (the rubric's
JSON, the draft with its photos, whose queue it is, the texts). What the checklist does with a
tap is tested in the browser (tests/browser/test_tablet_browser.py), its rules against the
server's (tests/test_tablet_rules.py), its requests in tests/test_tablet_endpoint.py."""

import io
import json
from pathlib import Path

import pytest
from builders import admin
from builders import surveyor as as_surveyor
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.model import Round
from survey import fieldwork, store
from survey.registry import VillageRow
from survey.rubric import load_rubric
from ui import keys, survey_view

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
    def open_session(surveyor="王芳", village=None, role="surveyor", lang=None) -> AppTest:
        """A new browser session signed in as ``surveyor``; ``village`` is opened from the URL,
        as after a reload."""
        at = AppTest.from_file(PAGE, default_timeout=30)
        signed_in(at, db, role, county="429901", name=LOGINS[surveyor], display_name=surveyor)
        at.session_state[keys.ROUND] = ROUND
        if lang:
            at.session_state[keys.LANG] = lang
        if village:
            at.query_params[keys.SV_VILLAGE] = village
        at.run()
        assert not at.exception
        return at

    return open_session


def checklist(at) -> dict | None:
    """The data the checklist component was mounted with (None: not on the page)."""
    found = at.get("bidi_component")
    return json.loads(found[0].proto.json) if found else None


def best(item):
    return {"check": True, "count": 0}.get(item.type) if item.type != "grade" else item.grade_names[0]


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
    assert checklist(at) is None  # no village yet
    at.selectbox(key=keys.SV_TOWN).set_value("429901100")
    at.run()
    picker = at.selectbox(key=keys.SV_VILLAGE)
    assert picker.options == ["李庄村 · 未测", "张家湾村 · 草稿"]
    assert "已完成 0 个 · 草稿 1 个 · 未测 1 个" in at.caption[0].value
    picker.set_value(LI)
    at.run()
    assert at.query_params[keys.SV_VILLAGE] == LI  # a reload reopens it
    assert [h.value for h in at.subheader] == ["李庄村（城关镇）"]
    data = checklist(at)
    assert data["village"]["name"] == "李庄村" and data["village"]["code"] == LI
    assert [s["name"] for s in data["rubric"]["sections"]] == [s.name for s in rubric.sections]


def test_the_checklist_gets_the_rubric_the_draft_and_whose_queue_it_is(db, rubric, start):
    """Everything the browser needs to render, score and keep the work on its own."""
    grade = next(i for i in rubric.items if i.type == "grade")
    draft = fieldwork.open_draft(db, WANG, ROUND, LI)
    draft = fieldwork.answer(db, WANG, draft, rubric.items[0].code, False)
    draft = fieldwork.note(db, WANG, draft, rubric.items[0].code, "村口无垃圾桶")
    photo = fieldwork.add_photo(db, WANG, draft, rubric.items[0].code, jpeg(), "a.jpg")
    data = checklist(start(village=LI))
    assert data["key"] == {"account": "wangfang", "round": ROUND, "village": LI, "surveyor": "王芳"}
    assert data["api"] == "/tablet"
    assert data["rubric"] == json.loads(json.dumps(rubric.to_json())) and data["rubric_version"] == rubric.version
    assert data["grade_order"][grade.code] == list(grade.grade_names)
    assert data["draft"]["id"] == draft.id
    assert data["draft"]["answers"] == {rubric.items[0].code: False}
    assert data["draft"]["notes"] == {rubric.items[0].code: "村口无垃圾桶"}
    assert [p["id"] for p in data["photos"]] == [photo]
    assert data["limits"]["max_side"] == 1600 and data["limits"]["photo_pixels"] == 2**26
    assert data["text"]["sv_met"] == "符合" and data["text"]["tab_total"].startswith("当前得分 {total} 分")
    assert data["asides"] == {"tenstar": ["本村还没有户籍名册：以下数据需现场核实"]}  # no register here
    assert data["office_vetoes"] == []


def test_grade_items_come_with_their_criteria_and_every_item_with_its_evidence(db, rubric, start):
    """The browser asks a grade item criterion by criterion and a photo only of a photo item:
    the rubric's JSON carries both, and a draft's criteria come back as answered."""
    grade = next(i for i in rubric.items if i.type == "grade")
    draft = fieldwork.open_draft(db, WANG, ROUND, LI)
    fieldwork.criteria(db, WANG, rubric, draft, grade.code, [True, False] + [None] * (len(grade.criteria) - 2))
    data = checklist(start(village=LI))
    items = {i["code"]: i for s in data["rubric"]["sections"] for i in s["items"]}
    assert items[grade.code]["criteria"] == list(grade.criteria)
    assert {code: i["evidence"] for code, i in items.items()} == {i.code: i.evidence for i in rubric.items}
    assert {"photo", "document", "interview"} <= {i["evidence"] for i in items.values()}
    assert data["draft"]["criteria"] == {grade.code: [True, False] + [None] * (len(grade.criteria) - 2)}
    assert grade.code not in data["draft"]["answers"]  # no grade before every criterion is answered
    assert data["text"]["sv_evidence_document"].startswith("不符合：请填写情况说明")


def test_vetoes_the_office_confirmed_reach_the_checklist_before_the_surveyor_answers(db, rubric, start):
    """The office's confirmed records in force for the village (its own, its township's) are
    handed to the checklist, which shows them above everything; a withdrawn one is not."""
    from survey import vetoes

    office = admin()
    own = vetoes.add(db, office, LI, "V2", "2026-03-01", "县公安局", "示公刑〔2026〕3号")
    vetoes.add(db, office, LI[:9], "V1", "2026-02-01", "县纪委")  # the township: all its villages
    gone = vetoes.add(db, office, LI, "V3", "2026-03-02", "县应急管理局")
    vetoes.withdraw(db, office, gone.id, "录入错误")
    lines = checklist(start(village=LI))["office_vetoes"]
    names = {v.code: v.name for v in rubric.veto}
    assert len(lines) == 2 and lines[0].startswith(f"一票否决（县文明办已认定）：V1 {names['V1']}，发生于 2026-02-01")
    assert f"V2 {names['V2']}" in lines[1] and "示公刑〔2026〕3号" in lines[1] and own.last_day in lines[1]
    assert checklist(start(village=QING))["office_vetoes"] == []  # another township


def test_the_checklist_warns_about_the_position_with_the_countys_limits(db, start):
    from survey import settings

    assert checklist(start(village=LI))["gps"] == {"accuracy_m": 100.0, "distance_m": 3000.0}  # settings.yaml
    settings.change(db, admin(), "429901", "gps_accuracy_m", 30, by="县文明办〔2026〕1号")
    assert checklist(start(village=LI))["gps"] == {"accuracy_m": 30.0, "distance_m": 3000.0}


def test_the_checklist_speaks_the_language_chosen(db, start):
    data = checklist(start(village=LI, lang="en"))
    assert data["lang"] == "en" and data["text"]["sv_met"] == "Met"
    assert data["text"]["gps_distance"].startswith("the surveyed point is {value} km")


def test_the_draft_is_restored_in_a_new_session(db, rubric, start):
    """A reload, a tablet that slept, another tablet: the server's draft comes back, and the
    browser adds what its own queue still holds (tests/browser)."""
    check = next(i for i in rubric.items if i.type == "check")
    fieldwork.sync(db, WANG, rubric, ROUND, LI, "王芳", "9a1b2c3d-0000-4000-8000-000000000001",
                   [{"seq": 5, "kind": "answer", "item": check.code, "value": False},
                    {"seq": 6, "kind": "note", "item": check.code, "value": "无分类垃圾桶"}])
    data = checklist(start(village=LI))
    assert data["draft"]["answers"] == {check.code: False} and data["draft"]["seq"] == 6
    assert data["draft"]["notes"] == {check.code: "无分类垃圾桶"}
    other = checklist(start("李明", village=LI))  # another surveyor starts clean
    assert other["draft"]["answers"] == {} and other["key"]["surveyor"] == "李明"


def test_a_submitted_village_says_so_and_a_closed_round_warns(db, rubric, start, monkeypatch):
    draft = prefill(db, rubric)
    assert fieldwork.submit(db, WANG, rubric, draft).added
    at = start(village=LI)
    assert "本村本轮已有提交" in at.info[0].value
    assert checklist(at)["draft"]["id"] != draft.id  # a new draft, for assessing it again
    store.create_round(db, Round("2026-B1", "第一次双月测评", "2026-01-01", "2026-02-28"))
    at = AppTest.from_file(PAGE, default_timeout=30)
    from scoped_db import sign_in

    sign_in(at, db, "surveyor", county="429901", name="wangfang", display_name="王芳")
    at.session_state[keys.ROUND] = "2026-B1"
    at.query_params[keys.SV_VILLAGE] = LI
    monkeypatch.setattr(survey_view.config, "today", lambda: __import__("datetime").date(2026, 6, 1))
    at.run()
    warning = at.warning[0].value
    assert "已结束" in warning and "2026-02-28" in warning.replace("\\", "")


def test_the_villages_come_in_pinyin_order_and_are_found_by_pinyin(db, start):
    at = start()
    picker = at.selectbox(key=keys.SV_VILLAGE)
    assert picker.options == ["李庄村 · 未测", "青石村 · 未测", "张家湾村 · 未测"]  # li, qing, zhang
    assert picker.value is None and checklist(at) is None  # nothing opens by itself
    at.text_input(key=keys.SV_VILLAGE_QUERY).input("zjw").run()  # 张家湾村 by its initials
    assert at.selectbox(key=keys.SV_VILLAGE).options == ["张家湾村 · 未测"]
    assert at.query_params[keys.SV_VILLAGE] == ZHANG
    assert [h.value for h in at.subheader] == ["张家湾村（城关镇）"]
    at.text_input(key=keys.SV_VILLAGE_QUERY).input("qingshi").run()  # 青石村 in full pinyin
    assert checklist(at)["village"]["code"] == QING
    at.text_input(key=keys.SV_VILLAGE_QUERY).input("").run()  # all offered again, the village kept
    assert at.selectbox(key=keys.SV_VILLAGE).options == ["李庄村 · 未测", "青石村 · 未测", "张家湾村 · 未测"]
    assert at.selectbox(key=keys.SV_VILLAGE).value == QING
    at.selectbox(key=keys.SV_TOWN).set_value("429901100").run()  # another township: 青石村 is not in it
    assert at.selectbox(key=keys.SV_VILLAGE).value is None and checklist(at) is None
    assert keys.SV_VILLAGE not in at.query_params


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
