"""The province overview in real headless Chromium (a standalone file, every request outside the
file blocked): at the province's zoom no village is drawn, zoomed in on a township the villages
in view are drawn (exactly those), a popup shows a hostile name as text, and zooming out again
removes them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers of tests/
from test_maps import XSS, dots, province, result

from geo.maps import build_overview_map
from geo.offline import standalone_html

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

DRAWN = "path.xf-village"


def _map_name(page) -> str:
    return page.evaluate("Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))")


def test_zooming_in_draws_the_villages_in_view(tmp_path, new_page, monkeypatch):
    from geo import maps

    monkeypatch.setattr(maps, "POINT_LIMIT", 50)  # at most 50 villages drawn at once
    rs = province(n_towns=30, per_town=12)
    first = rs[0].village
    rs[0] = result(first.code, first.lon, first.lat, "passed", name=XSS, township=first.township)
    m = build_overview_map(rs, [])
    payload = dots(m)
    out = tmp_path / "overview.html"
    out.write_text(standalone_html(m), encoding="utf-8")

    page = new_page(1200, 800)
    blocked: list[str] = []
    page.context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file://", "data:"))
                       else (blocked.append(r.request.url), r.abort()))
    page.goto(out.as_uri())
    page.locator("path.xf-township").first.wait_for()
    page.wait_for_function("document.querySelector('.leaflet-container').dataset.xfVillages === '0'", polling=100)
    assert page.locator(DRAWN).count() == 0  # 360 villages in view, more than 50: townships only

    name = _map_name(page)
    # the user's first touch ends the map's fitting to its frame (KeepFit): without it, a late
    # resize of the frame (a busy machine lays the page out late) fits the province again
    page.locator(".leaflet-container").dispatch_event("keydown")
    page.evaluate(f"window.{name}.setView([{first.lat}, {first.lon}], 13, {{animate: false}})")
    page.wait_for_function("Number(document.querySelector('.leaflet-container').dataset.xfVillages) > 0", polling=100)
    page.set_viewport_size({"width": 1180, "height": 790})  # the tablet turned: the view stays where it was
    page.wait_for_function(f"window.{name}.getSize().x === 1180", polling=100)
    assert page.evaluate(f"window.{name}.getZoom()") == 13
    w, s, e, n = page.evaluate(f"(() => {{ const b = window.{name}.getBounds().pad(0.05); "
                               f"return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }})()")
    in_view = [d for d in payload if w <= d["lon"] <= e and s <= d["lat"] <= n]
    assert 0 < len(in_view) < len(payload)
    assert page.locator(DRAWN).count() == len(in_view)

    popup = page.locator(".leaflet-popup-content")
    for _ in range(10):  # a click during Leaflet's zoom animation lands on the map pane: click again
        page.evaluate(f"""(() => {{
            const map = window.{name};
            map.eachLayer(l => {{ if (l.getLatLng && l.getTooltip && l.getTooltip() &&
                                     l.getTooltip().getContent().indexOf('&lt;img') === 0) {{ l.openPopup(); }} }});
        }})()""")
        if popup.count():
            break
    popup.wait_for()
    assert popup.locator("b").first.inner_text() == XSS and popup.locator("img").count() == 0
    assert first.code in popup.inner_text() and "达标" in popup.inner_text()

    page.evaluate(f"window.{name}.setView([31.0, 112.5], 6, {{animate: false}})")
    page.wait_for_function("document.querySelector('.leaflet-container').dataset.xfVillages === '0'", polling=100)
    assert page.locator(DRAWN).count() == 0
    assert blocked == [] and page.errors == []
