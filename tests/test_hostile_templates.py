"""Hostile text in data never runs as a template: names that are Jinja source, in every text of a
map (village, township, county, road, belt), reach the page as the same characters and are
never evaluated on the server (issue: a village named ``{{ 7*191 }}`` showed as 1337)."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest

from core.errors import UsageError
from geo import maps
from geo.maps import base_layer
from geo.offline import standalone_html
from survey.cli import main

#: Template payloads: an expression, a statement that breaks compilation, a comment opener,
#: a shell command through Jinja's globals, and whitespace-control variants.
PAYLOADS = (
    "{{ 7*191 }}",
    '{{ "EVAL" ~ "UATED" }}',
    "{% bad %}村",
    "{# c #}村",
    "{{ cycler.__init__.__globals__.os.popen('echo pwned-$((6*7))').read() }}",
    "{{- 7*191 -}}",
    "{%- raw -%}",
)


def _villages_csv(path: Path) -> Path:
    rows = [["区划代码", "村名", "乡镇", "县", "经度", "纬度", "示范村"]]
    for i, payload in enumerate(PAYLOADS):
        town = f"{{{{ 6*7 }}}}镇{i % 2}" if i % 2 == 0 else f"{{% if 1 %}}镇{i % 2}"
        rows.append([f"42990110{i % 2}{i:03d}", payload, town, "{{ 11*11 }}县", f"{114.0 + i * 0.01:.4f}",
                     f"{30.0 + i * 0.01:.4f}", "是" if i == 0 else "否"])
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _roads_geojson(path: Path) -> Path:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "{{ 7*191 }}路"},
         "geometry": {"type": "LineString", "coordinates": [[114.0, 29.9], [114.1, 30.1]]}}]}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _decoded(page: str) -> str:
    """The page's text with JSON and HTML escapes undone, as the browser shows its strings."""
    return html.unescape(re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), page))


def test_the_map_command_writes_template_text_as_text(tmp_path, capsys):
    db = tmp_path / "t.db"
    assert main(["--db", str(db), "import-villages", str(_villages_csv(tmp_path / "v.csv"))]) == 0
    assert main(["--db", str(db), "import-roads", str(_roads_geojson(tmp_path / "r.geojson"))]) == 0
    out = tmp_path / "map.html"
    assert main(["--db", str(db), "map", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    text = _decoded(page)
    for payload in PAYLOADS:
        assert payload in text, payload
    assert "{{ 6*7 }}镇0" in text and "{{ 7*191 }}路" in text
    for evaluated in ("EVALUATED", "pwned-42", '"42镇', '"121县'):
        assert evaluated not in text


def test_the_builder_survives_every_payload_as_any_text(tmp_path):
    from shapely.geometry import LineString

    from core.model import Village, VillageResult
    from geo.belts import belt_membership, locate
    from geo.io import Road

    results = []
    for i, payload in enumerate(PAYLOADS):
        v = Village(code=f"429901101{i:03d}", name=payload, township_code="429901101", township=payload,
                    county_code="429901", county=payload, lon=114.0 + i * 0.01, lat=30.0, title=payload)
        results.append(VillageResult(v, "R1", f"s{i}", payload, payload, veto=(payload,), passed=False,
                                     findings=1))
    roads = [Road(payload, LineString([(114.0 + i * 0.001, 29.9), (114.0, 30.1)])) for i, payload in
             enumerate(PAYLOADS)]
    m = maps.build_county_map(results, roads, belt_membership(locate([r.village for r in results]), roads, []))
    page = standalone_html(m)
    text = _decoded(page)
    assert "EVALUATED" not in text and "pwned-42" not in text
    assert all(p in text for p in PAYLOADS)


@pytest.mark.parametrize("url", [
    "https://{{7*191}}.example/{z}/{x}/{y}.png",
    "https://tiles.example/{% raw %}/{z}/{x}/{y}.png",
    "https://tiles.example/{z}/{x}/{y}.png?a={#",
    'https://tiles.example/{z}/{x}/{y}.png"onload="x',
])
def test_a_custom_base_layer_url_cannot_carry_template_or_markup(url):
    with pytest.raises(UsageError) as err:
        base_layer("custom", url=url)
    assert err.value.key == "base_layer_url"


def test_a_plain_custom_base_layer_url_is_accepted():
    layer = base_layer("custom", url="https://tiles.county.lan/{z}/{x}/{-y}.png")
    assert layer is not None and layer.urls == ("https://tiles.county.lan/{z}/{x}/{-y}.png",)
