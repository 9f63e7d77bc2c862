"""The demo county generator: deterministic, and its files pass the importers' own checks."""

from __future__ import annotations

import json
from collections import Counter

import geopandas as gpd
import pytest

from geo.io import read_roads
from survey import demo
from survey.registry import read_villages
from survey.rubric import load_rubric
from survey.scoring import score


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return demo.build(tmp_path_factory.mktemp("demo"))


def test_same_seed_gives_identical_bytes_and_another_seed_differs(built, tmp_path):
    again = demo.build(tmp_path / "again")
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in built]
    other = demo.build(tmp_path / "other", seed=7)
    assert other[0].read_bytes() != built[0].read_bytes()


def test_committed_files_are_the_default_seed_output(built):
    assert [p.read_bytes() for p in demo.demo_files()] == [p.read_bytes() for p in built]


def test_villages_pass_the_registry_reader(built):
    assert built[0].read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    rows = read_villages(built[0])
    assert 150 <= len(rows) <= 250
    assert {r.county for r in rows} == {demo.COUNTY_NAME} and "演示" in demo.COUNTY_NAME
    assert {r.code[:6] for r in rows} == {demo.COUNTY_CODE}
    assert 8 <= len({r.township for r in rows}) <= 12
    titled = sum(r.title != "无" for r in rows) / len(rows)
    assert 0.35 <= titled <= 0.45
    assert 8 <= sum(bool(r.demo) for r in rows) <= 12
    assert all(80 <= r.households <= 900 for r in rows)
    assert [r.name for r in rows if "㭎" in r.name] == [demo.GB18030_ONLY_NAME]


def test_roads_have_villages_within_two_km(built):
    rows = read_villages(built[0])
    roads = read_roads(built[1])
    assert [r.name for r in roads] == ["G316", "S207", "S311"]
    points = gpd.GeoSeries(gpd.points_from_xy([r.lon for r in rows], [r.lat for r in rows]), crs=4326).to_crs(32649)
    for road in roads:
        axis = gpd.GeoSeries([road.geometry], crs=4326).to_crs(32649).iloc[0]
        assert (points.distance(axis) <= 2000).sum() >= 5, road.name


def test_submissions_are_valid_and_spread_around_the_pass_mark(built):
    rubric = load_rubric()
    codes = {r.code: r for r in read_villages(built[0])}
    lines = built[2].read_text(encoding="utf-8").splitlines()
    subs = [json.loads(line) for line in lines]
    assert 0.8 <= len(subs) / len(codes) <= 0.9
    assert len({s["id"] for s in subs}) == len(subs)
    items = {i.code: i for i in rubric.items}
    totals = []
    for s in subs:
        assert s["village"] in codes and s["round"] == demo.DEMO_ROUND.id
        assert demo.DEMO_ROUND.start_date <= s["date"] <= demo.DEMO_ROUND.end_date
        assert set(s["answers"]) == set(items)
        for code, answer in s["answers"].items():
            kind = items[code].type
            if kind == "check":
                assert isinstance(answer, bool)
            elif kind == "count":
                assert isinstance(answer, int) and not isinstance(answer, bool) and answer >= 0
            else:
                assert answer in items[code].grade_names
        village = codes[s["village"]]
        assert abs(s["lon"] - village.lon) < 0.02 and abs(s["lat"] - village.lat) < 0.02
        totals.append(score(rubric, s["answers"], s["veto"]))
    vetoed = [t for t in totals if t.veto]
    assert 1 <= len(vetoed) <= 5 and not any(t.passed for t in vetoed)
    assert sum(75 <= t.total <= 97 for t in totals) >= 0.8 * len(totals)
    passed = sum(t.passed for t in totals)
    assert 0.4 * len(totals) <= passed <= 0.85 * len(totals)
    assert Counter(s["surveyor"] for s in subs).most_common(1)[0][1] < len(subs) / 2
