"""The review page as a reviewer uses it (AppTest): versions told apart in the picker, GPS
problems shown and filtered, filters by surveyor, source and date (issue 19, items 4 and 7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from builders import table
from scoped_db import A1, A2, ROUND, perfect, sid
from streamlit.testing.v1 import AppTest

from core.errors import UsageError
from survey import store
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission
from ui import keys

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "review.py")
V1, V2, V3 = A1 + "201", A1 + "202", A2 + "201"


def add(db, sub_id: str, village: str, origin: str = "tablet", **fields) -> None:
    rubric = load_rubric()
    answers = perfect(rubric)
    values = {"date": "2026-05-20", "surveyor": "王芳", "lon": 113.91, "lat": 30.61, "gps_accuracy_m": 8.0}
    values |= fields
    store.save_submissions(db, [(Submission(id=sub_id, village=village, round=ROUND, answers=answers, **values),
                                 score(rubric, answers, ()))], origin=origin)


def run(db, monkeypatch, name: str = "rev-a") -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[keys.AUTH_USER] = name
    at.session_state[keys.ROUND] = ROUND
    at.run()
    assert not at.exception, at.exception
    return at


def test_two_versions_of_one_village_differ_in_the_picker(scoped, monkeypatch):
    add(scoped, "again-" + V1, V1, date="2026-05-21")
    at = run(scoped, monkeypatch)
    picker = at.selectbox(key=keys.RV_SELECTED)
    labels = [label for label in picker.options if "甲村" in label]
    assert len(labels) == 2 and len(set(labels)) == 2
    assert "第 1 份" in labels[0] and "第 2 份" in labels[1]
    assert all("提交于 " in label and "王芳" in label for label in labels)
    listed = table(at, "村", "第几份", "提交时间")
    assert listed.loc[listed["村"] == "甲村", "第几份"].tolist() == ["第 1 份", "第 2 份"]
    assert "None" not in listed.to_string()


def villages_offered(at) -> list[str]:
    return [label.split("（")[0] for label in at.selectbox(key=keys.RV_SELECTED).options]


def test_the_picker_offers_the_villages_in_pinyin_order_and_finds_them_by_pinyin(scoped, monkeypatch):
    at = run(scoped, monkeypatch)
    assert table(at, "村", "第几份")["村"].tolist() == ["甲村", "乙村", "丙村"]  # the queue keeps its order
    assert villages_offered(at) == ["—", "丙村", "甲村", "乙村"]  # bing, jia, yi
    at.text_input(key=keys.RV_SELECTED_QUERY).input("yic").run()  # 乙村 by its pinyin: opened at once
    assert villages_offered(at) == ["乙村"]
    assert at.selectbox(key=keys.RV_SELECTED).value == sid(V2)
    assert at.button(key=keys.RV_APPROVE)
    at.text_input(key=keys.RV_SELECTED_QUERY).input("j").run()  # 甲村 by its initial
    assert at.selectbox(key=keys.RV_SELECTED).value == sid(V1)
    at.text_input(key=keys.RV_SELECTED_QUERY).input(V3).run()  # 丙村 by its code
    assert villages_offered(at) == ["丙村"]
    at.button(key=keys.RV_APPROVE).click().run()
    assert [s.value for s in at.success] == ["已通过：丙村"]
    # the search is emptied with the decision: nothing else opens by itself
    assert at.text_input(key=keys.RV_SELECTED_QUERY).value == ""
    assert at.selectbox(key=keys.RV_SELECTED).value is None
    assert villages_offered(at) == ["—", "甲村", "乙村"]
    at.text_input(key=keys.RV_SELECTED_QUERY).input("xc").run()
    assert villages_offered(at) == ["—"] and at.selectbox(key=keys.RV_SELECTED).value is None
    assert "没有与“xc”相符的选项" in [c.value for c in at.caption]


def test_gps_problems_show_in_the_queue_and_the_detail_and_filter_it(scoped, monkeypatch):
    add(scoped, "far", V1, lon=114.09, lat=30.6, date="2026-05-22")  # about 18 km east
    add(scoped, "blurry", V2, gps_accuracy_m=250.0, date="2026-05-23", surveyor="李明", origin="odk")
    add(scoped, "nowhere", V3, lon=None, lat=None, gps_accuracy_m=None, surveyor="李明", origin="jsonl",
        date="2026-05-24")
    at = run(scoped, monkeypatch)
    listed = table(at, "村", "定位", "距村（公里）").set_index(["村", "测评日期"])
    assert listed.loc[("甲村", "2026-05-22"), ["定位", "距村（公里）"]].tolist() == ["距村过远", "18.2"]
    assert listed.loc[("甲村", "2026-05-20"), ["定位", "距村（公里）"]].tolist() == ["正常", "1.5"]
    assert listed.loc[("乙村", "2026-05-23"), "定位"] == "精度差"
    assert listed.loc[("丙村", "2026-05-24"), ["定位", "距村（公里）"]].tolist() == ["无定位", ""]

    at.selectbox(key=keys.RV_GPS).set_value("any").run()
    assert sorted(table(at, "村", "定位")["定位"].tolist()) == ["无定位", "精度差", "距村过远"]
    at.selectbox(key=keys.RV_GPS).set_value("distance").run()
    assert table(at, "村", "定位")["测评日期"].tolist() == ["2026-05-22"]
    at.selectbox(key=keys.RV_SELECTED).set_value("far").run()
    warnings = [w.value for w in at.warning]
    assert any("18.2 公里，超过 3 公里" in w for w in warnings), warnings
    assert any("距村庄登记位置 18.2 公里" in c.value for c in at.caption)

    at.selectbox(key=keys.RV_GPS).set_value("").run()
    at.selectbox(key=keys.RV_SURVEYOR).set_value("李明").run()
    assert set(table(at, "村", "测评人")["测评人"]) == {"李明"}
    at.selectbox(key=keys.RV_SOURCE).set_value("odk").run()
    assert table(at, "村", "来源")["来源"].tolist() == ["ODK Collect"]
    at.selectbox(key=keys.RV_SOURCE).set_value("").run()
    at.selectbox(key=keys.RV_SURVEYOR).set_value("").run()
    at.date_input(key=keys.RV_DATES).set_value((dt.date(2026, 5, 21), dt.date(2026, 5, 23))).run()
    assert table(at, "村", "测评日期")["测评日期"].tolist() == ["2026-05-22", "2026-05-23"]


def test_the_bulk_approval_names_the_extra_filters(scoped, monkeypatch):
    add(scoped, "far", V1, lon=114.09, lat=30.6, date="2026-05-22")
    at = run(scoped, monkeypatch)
    at.selectbox(key=keys.RV_GPS).set_value("distance").run()
    assert "距村超过 3 公里" in at.markdown[0].value
    at.checkbox(key=keys.RV_BULK_CONFIRM).check().run()
    at.button(key=keys.RV_BULK).click().run()
    assert at.success[0].value == "已通过 1 条提交"
    assert store.submission(scoped, sid(V1))["status"] == "pending"


def test_progress_per_surveyor_and_township(scoped, monkeypatch):
    from scoped_db import user

    from survey import review

    review.return_(scoped, user(scoped, "rev-a"), sid(V2), "照片缺失")
    store.save_draft(scoped, ROUND, V2, "王芳", {"answers": {}})  # correcting it
    at = run(scoped, monkeypatch)
    people = table(at, "测评人", "负责村数").set_index("测评人")
    assert people.loc["王芳"].tolist() == [2, 0, 0, 1, 1]  # 甲村 submitted, 乙村 returned
    assert people.loc["李明"].tolist() == [1, 0, 0, 1, 0]
    towns = table(at, "乡镇", "负责村数").set_index("乡镇")
    assert towns.loc["城关镇"].tolist() == [2, 0, 0, 1, 1]
    assert towns.loc["青石镇"].tolist() == [1, 0, 0, 1, 0]
    assert "乙县" not in at.get("expander")[0].label and "河口镇" not in towns.index  # county B is not ours


def test_progress_of_a_reviewer_of_one_township(scoped, monkeypatch):
    at = run(scoped, monkeypatch, "rev-a2")
    assert table(at, "测评人", "负责村数")["测评人"].tolist() == ["李明"]
    assert table(at, "乡镇", "负责村数")["乡镇"].tolist() == ["青石镇"]


def test_a_draft_counts_until_the_village_is_submitted(scoped):
    from scoped_db import user

    from core.model import Round
    from survey import progress

    store.create_round(scoped, Round("2026-B4", "第四次"))
    store.save_draft(scoped, "2026-B4", V1, "王芳", {"answers": {}})
    done = progress.round_progress(scoped, user(scoped, "admin"), "2026-B4")
    wang = next(r for r in done.surveyors if r.name == "王芳")
    assert (wang.assigned, wang.todo, wang.drafts, wang.submitted, wang.returned) == (2, 1, 1, 0, 0)
    with pytest.raises(UsageError):
        progress.round_progress(scoped, user(scoped, "wang"), "2026-B4")


def test_the_village_history_reads_in_words(scoped, monkeypatch):
    from scoped_db import user

    from survey import review

    review.return_(scoped, user(scoped, "rev-a"), sid(V2), "照片缺失")
    at = run(scoped, monkeypatch)
    at.selectbox(key=keys.RV_STATUS).set_value("").run()
    at.selectbox(key=keys.RV_SELECTED).set_value(sid(V2)).run()
    history = table(at, "操作", "修改前", "修改后")
    returned = history[history["操作"] == "审核退回"]
    assert returned[["修改前", "修改后"]].values.tolist() == [["状态：待审核", "意见：照片缺失；状态：已退回"]]
    cells = " ".join(history.astype(str).to_numpy().ravel())
    assert "None" not in cells and "{" not in cells and "review." not in cells
