"""Vector file reading (geo/io.py): layers come back in WGS84; roads per interchange.md "Roads"."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import LineString, MultiLineString, Point

from core.errors import DataError
from geo.io import Road, read_layer, read_roads


def geojson(path, features, crs: str | None = None):
    layer = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}
    if crs:
        layer["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(layer, ensure_ascii=False), encoding="utf-8")
    return path


def line(*points):
    return {"type": "LineString", "coordinates": [list(p) for p in points]}


def test_layer_without_crs_is_declared_wgs84(tmp_path):
    path = geojson(tmp_path / "a.geojson", [({"n": 1}, {"type": "Point", "coordinates": [113.9, 30.6]})])
    gdf = read_layer(path)
    assert gdf.crs.to_epsg() == 4326 and (gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]) == (113.9, 30.6)


def test_projected_layer_is_transformed(tmp_path):
    utm = gpd.GeoSeries([Point(113.9, 30.6)], crs=4326).to_crs(32649).iloc[0]
    path = geojson(tmp_path / "a.geojson", [({}, {"type": "Point", "coordinates": [utm.x, utm.y]})],
                   crs="urn:ogc:def:crs:EPSG::32649")
    point = read_layer(path).geometry.iloc[0]
    assert point.x == pytest.approx(113.9, abs=1e-6) and point.y == pytest.approx(30.6, abs=1e-6)


def test_zipped_shapefile_roads_in_utm(tmp_path):
    roads = gpd.GeoDataFrame({"名称": ["G316"]}, geometry=[LineString([(113.8, 30.5), (114.0, 30.7)])],
                             crs=4326).to_crs(32649)
    roads.to_file(tmp_path / "roads.shp", encoding="gbk")
    path = tmp_path / "roads.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in tmp_path.glob("roads.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    [road] = read_roads(path, buffer_m=1500)
    assert road.name == "G316" and road.buffer_m == 1500.0
    (x0, y0), (x1, y1) = road.geometry.coords
    assert (x0, y0, x1, y1) == pytest.approx((113.8, 30.5, 114.0, 30.7), abs=1e-6)


def test_roads_with_the_same_name_are_merged(tmp_path):
    path = geojson(tmp_path / "r.geojson", [
        ({"name": "G316"}, line((113.8, 30.5), (113.9, 30.6))),
        ({"name": "S207"}, line((113.9, 30.9), (113.9, 30.3))),
        ({"name": " G316 "}, {"type": "MultiLineString", "coordinates": [[[113.9, 30.6], [114.0, 30.7]],
                                                                         [[114.0, 30.7], [114.1, 30.7]]]}),
    ])
    roads = read_roads(path)
    assert [r.name for r in roads] == ["G316", "S207"]
    assert isinstance(roads[0].geometry, MultiLineString) and len(roads[0].geometry.geoms) == 3
    assert roads[1] == Road("S207", LineString([(113.9, 30.9), (113.9, 30.3)]), 2000.0)


def test_chinese_name_property(tmp_path):
    path = geojson(tmp_path / "r.geojson", [({"道路名称": "S311"}, line((113.7, 30.7), (114.1, 30.8)))])
    assert read_roads(path)[0].name == "S311"


def test_every_bad_feature_is_reported(tmp_path):
    path = geojson(tmp_path / "r.geojson", [
        ({"name": "G316"}, line((113.8, 30.5), (113.9, 30.6))),
        ({"name": ""}, line((113.8, 30.5), (113.9, 30.6))),
        ({"name": "S207"}, {"type": "Point", "coordinates": [113.9, 30.6]}),
        ({"name": None}, None),
    ])
    with pytest.raises(DataError) as exc:
        read_roads(path, display_name="roads.geojson")
    found = [str(p) for p in exc.value.problems]
    assert [p.split(": ")[0] + ": " + p.split(": ")[1] for p in found] == [
        "roads.geojson:2: name", "roads.geojson:3: geometry", "roads.geojson:4: name", "roads.geojson:4: geometry"]
    assert "Point" in found[1] and "LineString" in found[1]


@pytest.mark.parametrize("buffer_m", [0, -5, "abc", float("nan")])
def test_bad_buffer(tmp_path, buffer_m):
    path = geojson(tmp_path / "r.geojson", [({"name": "G316"}, line((113.8, 30.5), (113.9, 30.6)))])
    with pytest.raises(DataError) as exc:
        read_roads(path, buffer_m=buffer_m)
    assert "buffer_m" in str(exc.value) and "缓冲距离" in str(exc.value)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("r.geojson", "{not json", "无法读取文件"),
    ("none.geojson", None, "找不到文件"),
    ("r.kml", "<kml/>", "不支持的文件类型"),
])
def test_unreadable_missing_and_unsupported_files(tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_roads(path)
    assert str(exc.value).startswith(f"{path}: ") and expected in str(exc.value)
