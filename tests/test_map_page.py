"""The map page as a county reviewer sees it (streamlit AppTest on a small hand-made database).

A north–south road G107 along 114°E; villages placed due east of it at known distances, so belt
membership (2 km) and demonstration reach (5 km) are known by construction.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pyproj import Geod
from shapely.geometry import LineString
from streamlit.testing.v1 import AppTest
from test_targets import answers, near_and_far

from core.model import Round
from geo.io import Road
from survey import auth, store
from survey.csvio import fmt1
from survey.registry import VillageRow
from survey.roads import save_roads
from survey.rubric import load_rubric
from survey.scoring import score
from survey.submissions import Submission
from ui import keys
from ui.text import md

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "map.py")
COUNTY, CHENG, HEKOU = "429901", "429901100", "429901101"
XSS = "<img src=x onerror=alert(1)>"
#: code -> (name, township, metres east of the road at 30°N, title, demonstration village)
VILLAGES = {
    CHENG + "201": (XSS, "城关镇", 1000, "县级", False),  # member, passes
    CHENG + "202": ("乙村", "城关镇", 1900, "无", False),  # member, fails
    CHENG + "203": ("丙村", "城关镇", 2100, "无", False),  # just outside the belt, not assessed
    HEKOU + "201": ("丁村", "河口镇", 8000, "市级", True),  # demonstration village, vetoed
    HEKOU + "202": ("戊村", "河口镇", 12000, "无", False),  # 4 km from 丁村: led by it
}
REVIEWER, PASSWORD = "reviewer1", "a-long-enough-password"


def build_map_db(path: Path) -> Path:
    """The database above, round 2026-B3 with three submissions, and a county reviewer."""
    geod = Geod(ellps="WGS84")
    rows = []
    for code, (name, town, metres, title, demo) in VILLAGES.items():
        lon, lat, _ = geod.fwd(114.0, 30.0, 90, metres)
        rows.append(VillageRow(code=code, name=name, township=town, county="示范县", lon=lon, lat=lat,
                               title=title, title_year=None, households=100, demo=demo, line=2))
    store.import_registry(path, rows)
    save_roads(path, [Road("G107", LineString([(114.0, 29.8), (114.0, 30.2)]), 2000.0)])
    store.create_round(path, Round("2026-B3", "第三次双月测评"))
    rubric = load_rubric()
    near, _ = near_and_far(rubric)
    plan = [(CHENG + "201", 0, ()), (CHENG + "202", near, ()), (HEKOU + "201", 0, ("V1",))]
    scored = []
    for i, (code, worst, veto) in enumerate(plan):
        a = answers(rubric, worst)
        sub = Submission(id=f"sub-{i}", village=code, round="2026-B3", date="2026-05-20", surveyor="王芳",
                         answers=a, veto=veto)
        scored.append((sub, score(rubric, a, veto)))
    store.save_submissions(path, scored)
    auth.add_user(path, REVIEWER, "reviewer", COUNTY, PASSWORD, by=auth.operator())
    return path


def run(db: Path, monkeypatch, user: str | None = REVIEWER, **state) -> AppTest:
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(PAGE, default_timeout=60)
    if user:
        at.session_state[keys.AUTH_USER] = user
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def db(tmp_path):
    return build_map_db(tmp_path / "map.db")


def folium_args(at: AppTest) -> dict:
    """What the page hands to the map component (the map's script, header and resources)."""
    [component] = [e for e in at.get("component_instance") if e.proto.component_name.endswith("st_folium")]
    return json.loads(component.proto.json_args)


def frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def test_belt_table_counts_members_assessed_passed_average_and_titles(db, monkeypatch):
    at = run(db, monkeypatch)
    assert at.title[0].value == "地图：测评结果与文明示范带"
    assert "测评轮次 2026-B3" in [c.value for c in at.caption]
    rubric = load_rubric()
    near, _ = near_and_far(rubric)
    average = (score(rubric, answers(rubric, 0)).total + score(rubric, answers(rubric, near)).total) / 2
    belts = frames(at)[0]
    assert belts.to_dict("records") == [{
        "示范带": "G107", "缓冲距离(米)": "2000", "成员村": 2, "已测评": 2, "达标": 1,
        "平均分": fmt1(average), "县级及以上文明村占比(%)": "50.0"}]


def test_demonstration_reach_and_the_villages_no_one_reaches(db, monkeypatch):
    at = run(db, monkeypatch)
    _, demo, unreached = frames(at)
    assert demo.to_dict("records") == [{"示范村": "丁村", "乡镇": "河口镇", "带动村数": 1}]
    assert "3 个村不在任何示范村的辐射范围内" in [c.value for c in at.caption]
    assert unreached["区划代码"].tolist() == [CHENG + "201", CHENG + "202", CHENG + "203"]
    assert unreached["村"].tolist()[0] == XSS  # a table shows the name as text, as it is


def test_the_map_loads_leaflet_from_the_app_and_escapes_names(db, monkeypatch):
    at = run(db, monkeypatch)
    args = folium_args(at)
    assert args["returned_objects"] == []  # panning and clicking never rerun the script
    links = args["js_links"] + args["css_links"]
    assert links and all(link.startswith("../../app/static/leaflet-") for link in links)
    page = args["script"] + args["header"] + args["html"]
    assert not re.search(r"https?://", page)  # no CDN, no tiles: the default base layer is none
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.replace("\\u0026", "&")
    assert "<img" not in page and "\\u003cimg" not in page
    for name, *_ in VILLAGES.values():
        if name != XSS:
            assert f'"t":"{name}"' in args["script"]  # every village is drawn, with its name


def test_a_township_reviewer_sees_only_their_township(db, monkeypatch):
    auth.add_user(db, "hekou", "reviewer", COUNTY, PASSWORD, townships=[HEKOU], by=auth.operator())
    at = run(db, monkeypatch, user="hekou")
    script = folium_args(at)["script"]
    assert "丁村" in script and "戊村" in script
    assert "乙村" not in script and "onerror" not in script
    # G107 runs 8 km west of 河口镇, beyond its 2 km buffer plus the 5 km radiation radius:
    # a province's far-away belts are neither drawn nor listed for this township
    assert "G107" not in script
    assert not [f for f in frames(at) if "示范带" in f.columns]


def test_a_township_reviewer_sees_the_belts_that_reach_their_villages(db, monkeypatch):
    auth.add_user(db, "chengguan", "reviewer", COUNTY, PASSWORD, townships=[CHENG], by=auth.operator())
    at = run(db, monkeypatch, user="chengguan")
    assert "G107" in folium_args(at)["script"]
    assert frames(at)[0]["示范带"].tolist() == ["G107"]


def test_picking_a_township_draws_only_its_villages(db, monkeypatch):
    at = run(db, monkeypatch)
    at.selectbox(key=keys.MAP_SCOPE).select(HEKOU).run()
    script = folium_args(at)["script"]
    assert "丁村" in script and "乙村" not in script
    assert at.selectbox(key=keys.MAP_SCOPE).options == ["全部（5 个村）", "城关镇", "河口镇"]


def test_above_the_point_limit_the_map_sums_up_townships_until_one_is_picked(db, monkeypatch):
    from geo import maps

    monkeypatch.setattr(maps, "POINT_LIMIT", 3)
    at = run(db, monkeypatch)
    assert "村庄较多（5 个），按乡镇汇总显示；放大地图或选择一个乡镇可查看各村" in [c.value for c in at.caption]
    script = folium_args(at)["script"]
    assert script.count('"s":"s') + script.count('"s":"none"') == 2
    # the villages come as one payload, drawn only when zoomed in; no county map layer
    assert '"xf-dots"' in script and '"xf-villages"' not in script  # the panes of the two layers
    at.selectbox(key=keys.MAP_SCOPE).select(CHENG).run()
    script = folium_args(at)["script"]
    assert '"xf-villages"' in script and '"xf-dots"' not in script


def test_a_base_layer_without_its_key_falls_back_to_the_offline_map(db, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    at = run(db, monkeypatch, **{keys.MAP_BASE: "tianditu"})
    [warning] = at.warning
    assert md("TIANDITU_KEY") in warning.value and "已改用无底图" in warning.value  # the message is escaped
    assert "tianditu" not in folium_args(at)["script"]


def test_tianditu_and_amap_tiles_when_chosen(db, monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "k<ey>")
    script = folium_args(run(db, monkeypatch, **{keys.MAP_BASE: "tianditu"}))["script"]
    assert "tianditu.gov.cn/vec_w/wmts" in script and "tk=k%3Cey%3E" in script
    script = folium_args(run(db, monkeypatch, **{keys.MAP_BASE: "amap"}))["script"]
    assert "autonavi.com" in script


def test_nobody_signed_in_sees_no_map(db, monkeypatch):
    at = run(db, monkeypatch, user=None)
    assert not any(e.proto.component_name.endswith("st_folium") for e in at.get("component_instance"))
    assert [w.value for w in at.warning] == ["请先登录"]
