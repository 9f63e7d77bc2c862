"""Map builders: data in, a folium map out (never reads the database, never imports streamlit).

- :func:`build_county_map` draws each village as a point coloured by this round's result, the
  belts as buffer polygons (computed in metres, returned to WGS84) over the road lines,
  township areas, demonstration reach, a legend and a layer control;
- :func:`build_overview_map` aggregates a province by township (circle size = villages,
  colour = pass share) and draws the villages in view as the user zooms in (from one compact
  payload, :class:`VillageDots`); under 1 MB for 25,000 villages;
- :func:`build_map` picks one of the two by the number of villages.

Every text that comes from data is HTML-escaped before it reaches a popup or tooltip (Leaflet
puts them in as HTML). Each layer is one compact GeoJSON blob drawn by :class:`DataLayer`, not
thousands of folium objects. The maps are :class:`geo.offline.OfflineMap`: Leaflet only, from
the app itself, nothing from a CDN.
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote, urlsplit

import folium
import numpy as np
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.map import Layer
from folium.template import Template
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from core.errors import UsageError
from core.model import VillageResult
from geo.belts import Located, Membership, Radiation, belt_stats, belts_crs, locate_xy, village_belts
from geo.coords import geometry_to_gcj02, wgs84_to_gcj02
from geo.crs import to_metric, to_wgs84
from geo.io import Road
from geo.offline import OfflineMap

#: Above this many located villages a map aggregates by township instead of drawing points.
POINT_LIMIT = 2000

RESULTS = ("passed", "failed", "vetoed", "none")
COLOURS = {"passed": "#2e7d32", "failed": "#ef6c00", "vetoed": "#b71c1c", "none": "#9e9e9e"}
#: Pass-share classes of the overview, lowest first: (upper bound %, colour).
SHARE_CLASSES = ((50, "#c62828"), (70, "#ef6c00"), (85, "#f9a825"), (101, "#2e7d32"))

LABELS: dict[str, tuple[str, str]] = {
    "passed": ("达标", "passed"),
    "failed": ("未达标", "failed"),
    "vetoed": ("一票否决", "vetoed"),
    "none": ("未测评", "not assessed"),
    "layer_villages": ("村庄（测评结果）", "Villages (result)"),
    "layer_belts": ("示范带缓冲区", "Belt buffers"),
    "layer_roads": ("示范带道路", "Belt roads"),
    "layer_townships": ("乡镇范围", "Townships"),
    "layer_townships_derived": ("乡镇范围（由村点推算）", "Townships (derived from villages)"),
    "layer_radiation": ("示范村辐射范围", "Demonstration reach"),
    "layer_overview": ("乡镇汇总", "Townships (summary)"),
    "score": ("总分", "Score"),
    "result": ("结果", "Result"),
    "title": ("称号", "Title"),
    "belts": ("示范带", "Belts"),
    "findings": ("问题数", "Findings"),
    "veto": ("否决事项", "Veto"),
    "date": ("测评日期", "Date"),
    "demo": ("示范村", "Demonstration village"),
    "demo_leads": ("带动 {n} 个村", "leads {n} villages"),
    "demo_ring": ("示范村（黑色粗边）", "Demonstration village (thick black ring)"),
    "buffer": ("缓冲距离", "Buffer"),
    "members": ("成员村", "Members"),
    "assessed": ("已测评", "Assessed"),
    "passed_n": ("达标", "Passed"),
    "average": ("平均分", "Average score"),
    "civilized_share": ("县级及以上文明村占比", "County-level-or-higher titles"),
    "villages": ("村数", "Villages"),
    "pass_share": ("达标率", "Pass share"),
    "share_none": ("无测评", "none assessed"),
    "radius": ("辐射半径", "Radius"),
    "legend": ("图例", "Legend"),
    "detail": ("查看测评详情、照片和记录", "Submission, photos and history"),
    "tiles_failed": ("底图“{name}”加载失败：这个底图需要联网。村点、示范带和乡镇范围照常显示；可改选“无底图”。",
                     "The base layer “{name}” failed to load: it needs the internet. Villages, belts and "
                     "townships are still drawn; choose “no base layer” instead."),
    "overview_hint": ("圆越大村越多；放大地图或选择乡镇可查看各村",
                      "Bigger circle, more villages; zoom in or pick a township to see its villages"),
    "layer_dots": ("村庄（放大后显示）", "Villages (shown when zoomed in)"),
    "village_code": ("村代码", "Code"),
}

BASES = ("none", "osm", "tianditu", "amap", "custom")


def label(key: str, lang: str = "zh", **fields) -> str:
    """A map label in ``lang`` ("zh" or "en")."""
    zh, en = LABELS[key]
    return (en if lang == "en" else zh).format(**fields)


# --- base layers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseLayer:
    """A tile service: XYZ URLs (drawn in order), attribution HTML, datum."""

    name: str
    urls: tuple[str, ...]
    attribution: str
    subdomains: str = "abc"
    gcj02: bool = False  # tiles drawn in GCJ-02: every point is converted before drawing
    max_zoom: int = 18


def base_layer(base: str, key: str | None = None, url: str | None = None) -> BaseLayer | None:
    """The tiles of ``base`` (:data:`BASES`); None for "none" (boundaries only, works offline).
    ``key`` is the Tianditu key (tk); ``url`` the custom XYZ template."""
    if base == "none":
        return None
    if base == "osm":
        return BaseLayer("OpenStreetMap", ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
                         "&copy; OpenStreetMap contributors", subdomains="abc", max_zoom=19)
    if base == "tianditu":
        if not key:
            raise UsageError("base_layer_key", value=base)
        tk = quote(key.strip(), safe="")
        wmts = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                "&TILECOL={{x}}&tk={tk}")
        return BaseLayer("天地图", (wmts.format(layer="vec", tk=tk), wmts.format(layer="cva", tk=tk)),
                         "&copy; 天地图", subdomains="01234567")
    if base == "amap":
        return BaseLayer("高德地图", ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                                      "&style=8&x={x}&y={y}&z={z}",), "&copy; 高德地图",
                         subdomains="1234", gcj02=True)
    if base == "custom":
        url = (url or "").strip()
        parts = urlsplit(url)
        bare = re.sub(r"\{(?:s|z|x|y|-y)\}", "", url)  # only Leaflet's placeholders hold braces
        if (parts.scheme not in ("http", "https")
                or not all(p in url.replace("{-y}", "{y}") for p in ("{z}", "{x}", "{y}"))
                or re.search(r"[{}\s\"'<>\\]", bare)):
            raise UsageError("base_layer_url", value=url)
        return BaseLayer(parts.netloc, (url,), html.escape(parts.netloc))
    raise UsageError("base_layer", value=base, known="、".join(BASES))


def _add_tiles(m: folium.Map, layer: BaseLayer | None, lang: str = "zh") -> None:
    if layer is None:
        return
    tiles = []
    for i, url in enumerate(layer.urls):
        tiles.append(folium.TileLayer(url, attr=layer.attribution, name=layer.name, subdomains=layer.subdomains,
                                      max_zoom=layer.max_zoom, control=False, overlay=i > 0).add_to(m))
    TileNotice(tiles, label("tiles_failed", lang, name=layer.name)).add_to(m)


class TileNotice(MacroElement):
    """A notice in the map (top, centre) when a tile of the base layer fails to load (Leaflet's
    ``tileerror``): an online base layer with no internet says so instead of staying grey."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map, layers) {
            var shown = false;
            function notice() {
                if (shown) { return; }
                shown = true;
                var box = L.control({position: "topright"});
                box.onAdd = function () {
                    var div = L.DomUtil.create("div", "xf-tile-notice");
                    div.setAttribute("role", "alert");
                    div.textContent = {{ this.text_js }};
                    return div;
                };
                box.addTo(map);
            }
            layers.forEach(function (layer) { layer.on("tileerror", notice); });
        })({{ this._parent.get_name() }}, [{{ this.layer_names }}]);
        {% endmacro %}
        """)

    def __init__(self, layers: Sequence[folium.TileLayer], text: str):
        super().__init__()
        self._name = "TileNotice"
        self.layer_names = ", ".join(layer.get_name() for layer in layers)  # folium's own identifiers
        self.text_js = _js(text)  # plain text (textContent), inert as template text


# --- compact layers ----------------------------------------------------------------------------


#: A Jinja block opener ("{{", "{%", "{#"). branca wraps every rendered macro in a new
#: ``Element(text)``, which compiles that text as a Jinja template once more: data reaching the
#: page must never hold an opener, or a village named ``{{ 7*191 }}`` would be evaluated on the
#: server. In JSON a structural "{" is always followed by '"' or "}", so an opener can only be
#: text inside a string, where "\\u007b" means the same "{".
_JINJA_OPENER = re.compile(r"\{(?=[{%#])")


def _js(obj: object) -> str:
    """JSON safe inside a <script> element (no <, >, & or ' left to close it) and inert as
    template text (no Jinja opener left: see :data:`_JINJA_OPENER`)."""
    text = (json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))
    return _JINJA_OPENER.sub(r"\\u007b", text)


class _Script(Element):
    """Script text put into the page as is: never compiled as a Jinja template again."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _DirectLayer(Layer):
    """A layer whose rendered script goes into the page as is. branca would wrap it in a new
    ``Element(text)``, compiling the whole text, data and all, as a Jinja template (a third of
    a county map's build time, and the reason for :data:`_JINJA_OPENER`): here the data never
    reaches Jinja as source. :func:`_js` still makes it inert, should that ever change."""

    def render(self, **kwargs):
        if self.show:  # as folium's Layer.render: added to the map when drawn
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        script = self._template.module.__dict__["script"]
        self.get_root().script.add_child(_Script(script(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class DataLayer(_DirectLayer):
    """One overlay from a compact GeoJSON FeatureCollection. Feature properties: ``s`` style
    key; ``t`` tooltip; ``p`` popup as ``[title, subtitle, value...]`` whose values pair with
    the layer's ``labels`` (null values are skipped); ``r`` point radius. Every text is
    escaped HTML made by :func:`_text`; ``l`` an escaped link under the popup (``link_text``).
    Points become circle markers. Each layer has its own
    pane, so the z-order holds when layers are toggled."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            var pane = {{ this.pane_js }}, styles = {{ this.styles_js }}, labels = {{ this.labels_js }},
                linkText = {{ this.link_js }};
            if (!map.getPane(pane)) { map.createPane(pane).style.zIndex = {{ this.z_index }}; }
            if (linkText) {
                // A popup's link opens the app's page in the app itself: the map's frame is
                // sandboxed (no top navigation), so it changes the app's address and tells
                // Streamlit, which runs the page of the new address in the same session.
                // Captured: Leaflet stops clicks inside a popup from bubbling.
                map.getContainer().addEventListener("click", function (e) {
                    var a = e.target.closest ? e.target.closest("a.xf-link") : null;
                    if (!a || window.parent === window) { return; }
                    try {
                        var url = new URL(a.getAttribute("href"), window.location.href);
                        window.parent.history.pushState(null, "", url.pathname + url.search);
                        window.parent.dispatchEvent(new PopStateEvent("popstate"));
                        e.preventDefault();
                    } catch (err) { /* not inside the app: the link is followed */ }
                }, true);
            }
            function popup(p, link) {
                var h = '<div class="xf-pop"><b>' + p[0] + '</b>';
                if (p[1]) { h += '<div class="xf-sub">' + p[1] + '</div>'; }
                h += '<table>';
                for (var i = 2; i < p.length; i++) {
                    if (p[i] !== null) { h += '<tr><th>' + labels[i - 2] + '</th><td>' + p[i] + '</td></tr>'; }
                }
                h += '</table>';
                if (link) { h += '<a class="xf-link" target="_top" href="' + link + '">' + linkText + '</a>'; }
                return h + '</div>';
            }
            return L.geoJSON({{ this.data_js }}, {
                pane: pane,
                style: function (f) { return styles[f.properties.s]; },
                pointToLayer: function (f, latlng) {
                    var o = Object.assign({pane: pane}, styles[f.properties.s]);
                    if (f.properties.r) { o.radius = f.properties.r; }
                    return L.circleMarker(latlng, o);
                },
                onEachFeature: function (f, layer) {
                    if (f.properties.t) { layer.bindTooltip(f.properties.t, {sticky: true}); }
                    if (f.properties.p) {
                        layer.bindPopup(function () { return popup(f.properties.p, f.properties.l); }, {maxWidth: 360});
                    }
                }
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    def __init__(self, name: str, features: list[dict], styles: Mapping[str, dict], pane: str,
                 z_index: int, labels: Sequence[str] = (), show: bool = True, link_text: str = ""):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "DataLayer"
        self.data_js = _js({"type": "FeatureCollection", "features": features})
        self.styles_js = _js(dict(styles))
        self.labels_js = _js([_text(x) for x in labels])
        self.link_js = _js(_text(link_text))
        self.pane_js = _js(pane)
        self.z_index = int(z_index)


class KeepFit(MacroElement):
    """Fit the map to ``bounds``, and fit again when its frame is resized until the user first
    touches the map (streamlit-folium sizes its frame after the map is drawn)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var bounds = L.latLngBounds({{ this.bounds_js }}), touched = false;
            map.fitBounds(bounds, {padding: [16, 16], animate: false});  // no animation a first touch could race
            ["mousedown", "touchstart", "wheel", "keydown"].forEach(function (name) {
                map.getContainer().addEventListener(name, function () { touched = true; }, {passive: true});
            });
            map.on("resize", function () {
                if (!touched) { map.fitBounds(bounds, {padding: [16, 16], animate: false}); }
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self._name = "KeepFit"
        self.bounds_js = _js(bounds)


class Legend(MacroElement):
    """A legend box (bottom right) from already-escaped HTML."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "xf-legend");
                div.innerHTML = {{ this.html_js }};
                return div;
            };
            legend.addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "Legend"
        self.html_js = _js(html_text)


def _legend_html(title: str, rows: Sequence[tuple[str, str, str]]) -> str:
    """rows: (swatch CSS, label, count text), all plain text (escaped here)."""
    e = html.escape
    items = "".join(
        f'<div style="margin:2px 0"><span style="display:inline-block;width:12px;height:12px;'
        f'border-radius:50%;vertical-align:middle;margin-right:6px;{e(css)}"></span>{e(text)}'
        f'{" (" + e(count) + ")" if count else ""}</div>' for css, text, count in rows)
    return (f'<div style="background:#fff;padding:6px 10px;border-radius:4px;'
            f'box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px/1.4 sans-serif">'
            f'<b>{e(title)}</b>{items}</div>')


def _text(value: object) -> str | None:
    """Data as escaped HTML text (None stays None: the popup row is left out)."""
    return None if value is None else html.escape(str(value))


def _popup(title: str, subtitle: str, values: Sequence[object]) -> list[str | None]:
    """A DataLayer popup: title, subtitle and values (paired with the layer's labels), escaped."""
    return [_text(title), _text(subtitle), *(_text(v) for v in values)]


#: Popup styling, put once in the page header (not repeated in every popup).
POPUP_CSS = (".xf-pop .xf-sub{color:#666}.xf-pop table{border-collapse:collapse;margin-top:4px}"
             ".xf-pop th{text-align:left;padding-right:8px;font-weight:normal;color:#555}"
             ".xf-pop .xf-link{display:inline-block;margin-top:6px;padding:8px 0;font-weight:bold}"
             ".xf-tile-notice{background:#fff3e0;color:#8d3a00;border:1px solid #ef6c00;border-radius:4px;"
             "padding:6px 10px;max-width:280px;font:13px/1.4 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}")


# --- geometry to compact GeoJSON ----------------------------------------------------------------


Shift = Callable[[BaseGeometry], BaseGeometry]


def _shift_for(layer: BaseLayer | None) -> Shift:
    return geometry_to_gcj02 if layer is not None and layer.gcj02 else (lambda g: g)


def _rounded(geom: BaseGeometry, digits: int) -> dict:
    return mapping(shapely.transform(geom, lambda c: np.round(c, digits)))


def _feature(geometry: dict, style: str, tooltip: str | None = None, popup: list | None = None,
             radius: float | None = None, link: str | None = None) -> dict:
    """A compact feature; ``tooltip`` is plain text (escaped here), ``popup`` from :func:`_popup`,
    ``link`` a URL (escaped here) shown under the popup."""
    props: dict[str, object] = {"s": style}
    if tooltip:
        props["t"] = _text(tooltip)
    if popup:
        props["p"] = popup
    if radius:
        props["r"] = round(radius, 1)
    if link:
        props["l"] = _text(link)
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _points_xy(lon: np.ndarray, lat: np.ndarray, layer: BaseLayer | None) -> tuple[np.ndarray, np.ndarray]:
    if layer is not None and layer.gcj02:
        return wgs84_to_gcj02(lon, lat)
    return lon, lat


# --- the county map ----------------------------------------------------------------------------


def result_class(r: VillageResult) -> str:
    """passed / failed / vetoed / none (not assessed)."""
    if not r.assessed:
        return "none"
    if r.vetoed:
        return "vetoed"
    return "passed" if r.passed else "failed"


def _score(value: Decimal | None) -> str:
    return "—" if value is None else str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _location(r: VillageResult) -> tuple[float | None, float | None]:
    """The registry point (belts are measured from it), else the surveyed point."""
    if r.village.lon is not None and r.village.lat is not None:
        return r.village.lon, r.village.lat
    return r.lon, r.lat


def _new_map(lon: np.ndarray, lat: np.ndarray, layer: BaseLayer | None, lang: str = "zh") -> OfflineMap:
    m = OfflineMap(location=[35.0, 105.0], zoom_start=4, tiles=None, control_scale=True)
    if len(lon):
        x, y = _points_xy(lon, lat, layer)
        KeepFit([[float(np.min(y)), float(np.min(x))], [float(np.max(y)), float(np.max(x))]]).add_to(m)
    _add_tiles(m, layer, lang)
    m.get_root().header.add_child(Element(f"<style>{POPUP_CSS}</style>"), name="xf_popup_css")
    return m


def build_county_map(results: Sequence[VillageResult], roads: Sequence[Road], membership: Membership,
                     boundaries: Mapping[str, BaseGeometry] | None = None, base: str = "none", *,
                     tile_key: str | None = None, tile_url: str | None = None,
                     radiation: Radiation | None = None, lang: str = "zh",
                     veto_names: Mapping[str, str] | None = None, village_link: str | None = None) -> OfflineMap:
    """Villages coloured by result (with legend), belt buffers over road lines, township areas
    (``boundaries``: township name -> WGS84 polygon; derived from the villages when None or
    empty), demonstration reach (when ``radiation`` is given) and a layer control. A village's
    popup names its vetoes by ``veto_names`` (code -> name) and, with ``village_link`` (a URL
    the village's code is appended to, URL-quoted), links to the village's page."""
    layer = base_layer(base, tile_key, tile_url)
    located, lon, lat = _located(results)
    m = _new_map(lon, lat, layer, lang)
    if not located:
        return m
    where = locate_xy([r.village.code for r in located], lon, lat, [r.village.demo for r in located])
    shift = _shift_for(layer)
    areas = boundaries or derived_townships(located, where)
    DataLayer(label("layer_townships" if boundaries else "layer_townships_derived", lang),
              [_feature(_rounded(shift(g), 5), "t", tooltip=name) for name, g in areas.items()],
              {"t": {"color": "#546e7a", "weight": 1.5, "dashArray": "4 4", "fillColor": "#90a4ae",
                     "fillOpacity": 0.04}}, "xf-townships", 410).add_to(m)
    _add_belts(m, roads, membership, results, shift, lang)
    if radiation is not None:
        index = where.index
        reach = [_feature(_rounded(shift(to_wgs84(where.points[index[code]].buffer(radiation.radius_m),
                                                  where.crs)), 5), "d",
                          label("demo_leads", lang, n=len(led)))
                 for code, led in radiation.led.items() if code in index]
        DataLayer(label("layer_radiation", lang), reach,
                  {"d": {"color": "#6a1b9a", "weight": 1, "dashArray": "2 4", "fillColor": "#ce93d8",
                         "fillOpacity": 0.08}}, "xf-radiation", 415, show=False).add_to(m)
    counts = _add_villages(m, located, *_points_xy(lon, lat, layer), membership, radiation, lang,
                           veto_names or {}, village_link)
    rows = [(f"background:{COLOURS[c]}", label(c, lang), str(counts[c])) for c in RESULTS]
    if any(r.village.demo for r in located):
        rows.append(("background:#fff;border:3px solid #000;width:8px;height:8px", label("demo_ring", lang), ""))
    Legend(_legend_html(label("legend", lang), rows)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _located(results: Sequence[VillageResult]) -> tuple[list[VillageResult], np.ndarray, np.ndarray]:
    """The results that have a point, with their longitudes and latitudes."""
    points = [(r, *_location(r)) for r in results]
    points = [(r, x, y) for r, x, y in points if x is not None and y is not None]
    return ([r for r, _, _ in points], np.array([x for _, x, _ in points], dtype=float),
            np.array([y for _, _, y in points], dtype=float))


def _add_belts(m: folium.Map, roads: Sequence[Road], membership: Membership,
               results: Sequence[VillageResult], shift: Shift, lang: str) -> None:
    """Belt buffers (in metres, in the CRS membership is measured in, back to WGS84) and road
    lines, with each belt's figures."""
    if not roads:
        return
    crs = belts_crs(roads)
    stats = {s.road: s for s in belt_stats(membership, results)}
    belts, lines = [], []
    for road in roads:
        s = stats.get(road.name)
        share = None if s is None or s.civilized_share is None else f"{_score(s.civilized_share)}%"
        popup = _popup(road.name, "", [f"{road.buffer_m:g} m", s.members if s else 0, s.assessed if s else 0,
                                       s.passed if s else 0, _score(s.average if s else None), share or "—"])
        area = to_wgs84(to_metric(road.geometry, crs).buffer(road.buffer_m).simplify(10.0), crs)
        belts.append(_feature(_rounded(shift(area), 5), "b", road.name, popup))
        lines.append(_feature(_rounded(shift(road.geometry), 5), "r", road.name, popup))
    labels = [label(k, lang) for k in ("buffer", "members", "assessed", "passed_n", "average", "civilized_share")]
    DataLayer(label("layer_belts", lang), belts,
              {"b": {"color": "#1565c0", "weight": 1, "fillColor": "#42a5f5", "fillOpacity": 0.15}},
              "xf-belts", 420, labels).add_to(m)
    DataLayer(label("layer_roads", lang), lines, {"r": {"color": "#0d47a1", "weight": 3, "opacity": 0.9}},
              "xf-roads", 430, labels).add_to(m)


def _add_villages(m: folium.Map, located: Sequence[VillageResult], x: np.ndarray, y: np.ndarray,
                  membership: Membership, radiation: Radiation | None, lang: str,
                  veto_names: Mapping[str, str], village_link: str | None) -> dict[str, int]:
    """One circle per village coloured by result (thick black ring: demonstration village);
    return the count per result class."""
    belts_of = village_belts(membership)
    leads = {code: len(led) for code, led in radiation.led.items()} if radiation else {}
    features, counts = [], dict.fromkeys(RESULTS, 0)
    for r, px, py in zip(located, x.tolist(), y.tolist()):
        cls = result_class(r)
        counts[cls] += 1
        v = r.village
        demo = None
        if v.demo:
            demo = label("demo_leads", lang, n=leads[v.code]) if v.code in leads else label("demo", lang)
        values = [label(cls, lang), _score(r.total), v.title, "、".join(belts_of.get(v.code, ())) or "—",
                  "—" if r.findings is None else r.findings,
                  "、".join(veto_names.get(c) or c for c in r.veto) or None, r.date, demo]
        link = f"{village_link}{quote(v.code, safe='')}" if village_link is not None else None
        features.append(_feature({"type": "Point", "coordinates": [round(px, 6), round(py, 6)]},
                                 f"{cls}-d" if v.demo else cls, v.name,
                                 _popup(v.name, " · ".join(x for x in (v.township, v.code) if x), values),
                                 link=link))
    styles = {}
    for cls in RESULTS:
        plain = {"radius": 6, "color": "#ffffff", "weight": 1, "fillColor": COLOURS[cls], "fillOpacity": 0.95,
                 "className": f"xf-village xf-{cls}"}
        styles[cls] = plain
        styles[f"{cls}-d"] = {**plain, "radius": 8, "color": "#000000", "weight": 3,
                              "className": f"xf-village xf-{cls} xf-demo"}
    labels = [label(k, lang) for k in ("result", "score", "title", "belts", "findings", "veto", "date", "demo")]
    DataLayer(label("layer_villages", lang), features, styles, "xf-villages", 450, labels,
              link_text=label("detail", lang)).add_to(m)
    return counts


def derived_townships(located: Sequence[VillageResult], where: Located,
                      margin_m: float = 2500.0) -> dict[str, BaseGeometry]:
    """Township name -> an approximate area (WGS84) when no boundary file is given: the Voronoi
    cells of the village points (``where``, metres), merged by township and clipped to
    ``margin_m`` around the villages. Neighbouring townships share edges, never overlap."""
    xy = shapely.get_coordinates(where.points)
    clip = shapely.union_all(shapely.buffer(where.points, margin_m, quad_segs=8))
    unique, inverse = np.unique(np.round(xy, 1), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    if len(unique) >= 2:
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(unique), extend_to=clip,
                                                           ordered=True))
    else:
        cells = np.array([clip], dtype=object)
    groups: dict[str, set[int]] = defaultdict(set)
    names: dict[str, str] = {}
    for r, cell in zip(located, inverse.tolist()):
        groups[r.village.township_code].add(cell)
        names.setdefault(r.village.township_code, r.village.township)
    # Voronoi cells share their edges exactly (a coverage): merged without overlay (8× faster)
    return {names[code]: to_wgs84(shapely.intersection(shapely.coverage_union_all(cells[sorted(groups[code])]), clip)
                                  .simplify(25.0), where.crs)
            for code in sorted(groups)}


# --- the province overview ---------------------------------------------------------------------


def _share_class(passed: int, assessed: int) -> str:
    if not assessed:
        return "none"
    share = 100 * passed / assessed
    return next(f"s{i}" for i, (upper, _) in enumerate(SHARE_CLASSES) if share < upper)


#: The digits of the villages' packed payload (URL-safe base 64: no character JSON, HTML or
#: Jinja treats specially).
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: Steps of a village's position within its township's box per axis (two digits).
_STEPS = len(DIGITS) ** 2 - 1
#: The finest step (degrees, about 10 m): a dot on a map, not a survey point.
_FINEST = 1e-4
#: A result class -> its digit in the payload (its index in RESULTS).
_KINDS = {c: i for i, c in enumerate(RESULTS)}


#: n -> its two digits, for every n the payload packs in two.
_TWO = tuple(a + b for a in DIGITS for b in DIGITS)


def _names(name: str) -> str:
    return (_text(name) or "").replace("|", "&#124;")


def village_payload(located: Sequence[VillageResult], x: np.ndarray, y: np.ndarray) -> dict:
    """Every located village once, compactly (about 7 bytes and its name each): one entry per
    township ``[code, name, county, x0, y0, step, packed, names]`` (+ ``codes`` when a village
    code is not its township's code and three digits). ``packed`` holds 7 digits of
    :data:`DIGITS` per village: its code's last three digits (2), its position in steps of
    ``step`` degrees east and north of (``x0``, ``y0``) (2 + 2) and its class (1: the index in
    :data:`RESULTS`, + 4 for a demonstration village). ``names`` are the villages' names as
    escaped HTML (:func:`_text`) joined by "|" (a "|" of a name is written ``&#124;``, the same
    character in HTML)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(located):
        groups[r.village.code[:9]].append(i)
    towns = []
    for code in sorted(groups):
        idx = groups[code]
        gx, gy = x[idx], y[idx]
        x0, y0 = float(np.floor(gx.min() * 1e5) / 1e5), float(np.floor(gy.min() * 1e5) / 1e5)
        span = max(float(gx.max()) - x0, float(gy.max()) - y0)
        step = max(_FINEST, float(np.ceil(span / _STEPS * 1e7) / 1e7))
        ix = np.clip(np.rint((gx - x0) / step), 0, _STEPS).astype(int).tolist()
        iy = np.clip(np.rint((gy - y0) / step), 0, _STEPS).astype(int).tolist()
        rs = [located[i] for i in idx]
        plain = all(len(r.village.code) == 12 and r.village.code[9:].isdigit() and r.village.code.isascii()
                    for r in rs)
        two, kinds = _TWO, _KINDS
        packed = "".join(
            f"{two[int(r.village.code[9:]) if plain else 0]}{two[px]}{two[py]}"
            f"{DIGITS[kinds[result_class(r)] + (4 if r.village.demo else 0)]}"
            for r, px, py in zip(rs, ix, iy))
        v = rs[0].village
        entry = [code, _text(v.township), _text(v.county or ""), x0, y0, step, packed,
                 "|".join(_names(r.village.name) for r in rs)]
        if not plain:
            entry.append([_text(r.village.code) for r in rs])
        towns.append(entry)
    return {"t": towns}


class VillageDots(_DirectLayer):
    """The villages of a province overview, drawn only when the map shows few enough of them:
    after every move, the villages inside the view (from :func:`village_payload`, decoded once)
    are drawn as circle markers when there are at most ``limit``, else none. A marker is made
    when its village comes into view and removed when it leaves."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            var data = {{ this.data_js }}, styles = {{ this.styles_js }}, labels = {{ this.labels_js }};
            var pane = {{ this.pane_js }}, limit = {{ this.limit }}, digits = {{ this.digits_js }};
            if (!map.getPane(pane)) { map.createPane(pane).style.zIndex = {{ this.z_index }}; }
            var value = {}, lon = [], lat = [], kind = [], town = [], nth = [];
            for (var d = 0; d < digits.length; d++) { value[digits.charAt(d)] = d; }
            function num(s, at, n) {
                var out = 0;
                for (var k = 0; k < n; k++) { out = out * digits.length + value[s.charAt(at + k)]; }
                return out;
            }
            data.t.forEach(function (t, ti) {
                var s = t[6];
                t[7] = t[7].split("|");
                for (var at = 0, j = 0; at < s.length; at += 7, j++) {
                    lon.push(t[3] + num(s, at + 2, 2) * t[5]);
                    lat.push(t[4] + num(s, at + 4, 2) * t[5]);
                    kind.push(num(s, at + 6, 1));
                    town.push(ti);
                    nth.push(j);
                }
            });
            function code(i) {
                var t = data.t[town[i]], s = t[6];
                return t.length > 8 ? t[8][nth[i]] : t[0] + String(1000 + num(s, nth[i] * 7, 2)).slice(1);
            }
            function popup(i) {
                var t = data.t[town[i]], k = kind[i];
                var rows = [[labels[0], labels[2 + (k % 4)]], [labels[1], code(i)]];
                var h = '<div class="xf-pop"><b>' + t[7][nth[i]] + '</b><div class="xf-sub">'
                    + t[1] + (t[2] ? ' · ' + t[2] : '') + '</div><table>';
                rows.forEach(function (r) { h += '<tr><th>' + r[0] + '</th><td>' + r[1] + '</td></tr>'; });
                return h + '</table></div>';
            }
            var group = L.layerGroup(), drawn = {};
            function draw() {
                if (!map.hasLayer(group)) { return; }
                var b = map.getBounds().pad(0.05), w = b.getWest(), e = b.getEast(), s = b.getSouth(),
                    n = b.getNorth(), seen = [];
                for (var i = 0; i < lon.length; i++) {
                    if (lon[i] >= w && lon[i] <= e && lat[i] >= s && lat[i] <= n) {
                        seen.push(i);
                        if (seen.length > limit) { break; }
                    }
                }
                var keep = {};
                if (seen.length <= limit) {
                    seen.forEach(function (i) {
                        keep[i] = true;
                        if (drawn[i]) { return; }
                        var o = Object.assign({pane: pane}, styles[kind[i]]);
                        var marker = L.circleMarker([lat[i], lon[i]], o);
                        marker.bindTooltip(data.t[town[i]][7][nth[i]], {sticky: true});
                        marker.bindPopup(function () { return popup(i); }, {maxWidth: 360});
                        drawn[i] = marker;
                        group.addLayer(marker);
                    });
                }
                Object.keys(drawn).forEach(function (i) {
                    if (!keep[i]) { group.removeLayer(drawn[i]); delete drawn[i]; }
                });
                map.getContainer().setAttribute("data-xf-villages", Object.keys(drawn).length);
            }
            map.on("moveend", draw);
            group.on("add", function () { map.whenReady(draw); });
            return group;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    def __init__(self, name: str, payload: dict, styles: Sequence[dict], labels: Sequence[str], pane: str,
                 z_index: int, limit: int):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "VillageDots"
        self.data_js = _js(payload)
        self.styles_js = _js(list(styles))
        self.labels_js = _js([_text(x) for x in labels])
        self.pane_js = _js(pane)
        self.digits_js = _js(DIGITS)
        self.z_index = int(z_index)
        self.limit = int(limit)


def _dot_styles() -> list[dict]:
    """The markers of :class:`VillageDots` by class index (``RESULTS`` order, then the same
    with the demonstration ring)."""
    plain = [{"radius": 5, "color": "#ffffff", "weight": 1, "fillColor": COLOURS[c], "fillOpacity": 0.95,
              "className": f"xf-village xf-{c}"} for c in RESULTS]
    return plain + [{**p, "radius": 7, "color": "#000000", "weight": 3, "className": p["className"] + " xf-demo"}
                    for p in plain]


def build_overview_map(results: Sequence[VillageResult], roads: Sequence[Road],
                       membership: Membership | None = None, base: str = "none", *,
                       tile_key: str | None = None, tile_url: str | None = None,
                       lang: str = "zh") -> OfflineMap:
    """A province at a glance: one circle per township at the centre of its villages (size by
    number of villages, colour by pass share of the assessed), belt roads as lines."""
    layer = base_layer(base, tile_key, tile_url)
    located, lon, lat = _located(results)
    m = _new_map(lon, lat, layer, lang)
    if not located:
        return m
    where = locate_xy([r.village.code for r in located], lon, lat)
    xy = shapely.get_coordinates(where.points)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(located):
        groups[r.village.township_code].append(i)
    codes = sorted(groups)
    centres = to_wgs84(shapely.points([xy[groups[c]].mean(axis=0) for c in codes]), where.crs)
    cx, cy = _points_xy(shapely.get_x(centres), shapely.get_y(centres), layer)
    features = []
    for code, px, py in zip(codes, cx.tolist(), cy.tolist()):
        rs = [located[i] for i in groups[code]]
        assessed = sum(1 for r in rs if r.assessed)
        passed = sum(1 for r in rs if r.assessed and r.passed)
        share = f"{_score(Decimal(100 * passed) / assessed)}%" if assessed else "—"
        v = rs[0].village
        features.append(_feature(
            {"type": "Point", "coordinates": [round(px, 5), round(py, 5)]}, _share_class(passed, assessed),
            f"{v.township}: {share}", _popup(v.township, f"{v.county or ''} · {code}".strip(" ·"),
                                             [len(rs), assessed, passed, share]),
            radius=3 + 1.5 * len(rs) ** 0.5))
    styles = {f"s{i}": {"color": "#ffffff", "weight": 1, "fillColor": colour, "fillOpacity": 0.85,
                        "className": "xf-township"} for i, (_, colour) in enumerate(SHARE_CLASSES)}
    styles["none"] = {**styles["s0"], "fillColor": COLOURS["none"]}
    members = {name: len(ms) for name, ms in (membership or {}).items()}
    shift = _shift_for(layer)
    # Roads to 100 m and 4 decimals (11 m): a province at a glance, and a county zoomed in (about
    # 130 m a pixel at zoom 10); finer roads would take a third of the page.
    metric = to_metric(np.array([r.geometry for r in roads], dtype=object), where.crs)
    simple = to_wgs84(shapely.simplify(metric, 100.0, preserve_topology=False), where.crs) if roads else []
    lines = [_feature(_rounded(shift(geom), 4), "r",
                      f"{road.name} ({members[road.name]})" if road.name in members else road.name)
             for road, geom in zip(roads, simple)]
    DataLayer(label("layer_roads", lang), lines, {"r": {"color": "#0d47a1", "weight": 2, "opacity": 0.8}},
              "xf-roads", 430).add_to(m)
    DataLayer(label("layer_overview", lang), features, styles, "xf-overview", 450,
              [label(k, lang) for k in ("villages", "assessed", "passed_n", "pass_share")]).add_to(m)
    VillageDots(label("layer_dots", lang), village_payload(located, *_points_xy(lon, lat, layer)), _dot_styles(),
                [label(k, lang) for k in ("result", "village_code", *RESULTS)], "xf-dots", 460,
                POINT_LIMIT).add_to(m)
    edges = [0, *(upper for upper, _ in SHARE_CLASSES[:-1]), 100]
    rows = [(f"background:{colour}", f"{label('pass_share', lang)} {edges[i]}–{edges[i + 1]}%", "")
            for i, (_, colour) in enumerate(SHARE_CLASSES)]
    rows += [(f"background:{COLOURS['none']}", label("share_none", lang), ""),
             ("display:none", label("overview_hint", lang), "")]
    Legend(_legend_html(label("legend", lang), rows)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def build_map(results: Sequence[VillageResult], roads: Sequence[Road], membership: Membership,
              boundaries: Mapping[str, BaseGeometry] | None = None, base: str = "none", *,
              tile_key: str | None = None, tile_url: str | None = None,
              radiation: Radiation | None = None, lang: str = "zh",
              veto_names: Mapping[str, str] | None = None) -> OfflineMap:
    """The county map for up to :data:`POINT_LIMIT` located villages, else the overview."""
    n = sum(1 for r in results if None not in _location(r))
    if n <= POINT_LIMIT:
        return build_county_map(results, roads, membership, boundaries, base, tile_key=tile_key,
                                tile_url=tile_url, radiation=radiation, lang=lang, veto_names=veto_names)
    return build_overview_map(results, roads, membership, base, tile_key=tile_key, tile_url=tile_url,
                              lang=lang)

