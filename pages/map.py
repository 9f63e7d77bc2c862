"""地图: this round's results village by village, demonstration belts and their figures,
demonstration villages' reach. Leaflet is served by the app itself: works with no internet.
A village's popup opens its page (``map?village=CODE``: submission, photos, history), which
leads back to the map as it was (township and base layer are kept in the address)."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from core import config
from core.errors import UsageError
from geo.maps import BASES, POINT_LIMIT, build_county_map, build_overview_map
from geo.offline import install_static
from survey import mapdata
from survey.csvio import fmt1
from ui import keys, map_view, nav, pickers, shell
from ui.text import lang, plain, said, t

DB = str(shell.db())


@st.cache_resource(show_spinner=False)
def _serve_leaflet() -> None:
    """Leaflet into ./static/ once per server (served under /app/static/, never committed)."""
    install_static(config.REPO_ROOT / "static")


@st.cache_data(show_spinner=False, max_entries=8)
def _data(db: str, round_id: str | None, version: int) -> mapdata.MapData:
    """Results, roads, belts and reach of a round; ``version`` invalidates it on any write."""
    return mapdata.county_map_data(db, round_id)


def _draw(data: mapdata.MapData, base: str, url: str | None):
    """The county map, or the township summary above POINT_LIMIT villages."""
    options = {"base": base, "tile_key": mapdata.tianditu_key(), "tile_url": url, "lang": lang()}
    if len(data.results) > POINT_LIMIT:
        return build_overview_map(data.results, data.roads, data.membership, **options)
    return build_county_map(data.results, data.roads, data.membership, data.areas(), radiation=data.radiation,
                            veto_names=data.veto_names(lang()), village_link=map_view.village_link(base), **options)


user = nav.require("map")
_serve_leaflet()
round_id = shell.current_round() or mapdata.latest_round(DB)
everything = mapdata.for_user(_data(DB, round_id, shell.version()), user)
towns = dict(sorted({(r.village.township_code, r.village.township) for r in everything.results}))
map_view.restore_state({"scope": list(towns), "base": list(BASES)})
if code := map_view.chosen_village():  # a village's page, opened from its popup
    known = {r.village.code: r.village for r in everything.results}
    v = known.get(code)
    map_view.village_title(v.name if v else code, v.township if v else "", code)
    map_view.village_page(shell.db(), user, code, round_id)
    st.stop()
st.title(t("map_title"))
if not everything.results:
    st.info(t("map_empty"), icon=":material/info:")
    st.stop()
st.caption(t("map_round", id=round_id) if round_id else t("map_no_round"))

c1, c2, c3 = st.columns([3, 2, 2])
scope = pickers.pinyin_select(t("map_scope"), list(towns), lambda c: towns.get(c, ""), keys.MAP_SCOPE, keep=[""],
                              format_func=lambda c: towns[c] if c else plain("map_scope_all",
                                                                             n=len(everything.results)),
                              container=c1) or ""
base = c2.selectbox(t("map_base"), BASES, key=keys.MAP_BASE, format_func=lambda b: t("map_base_" + b))
url = c3.text_input(t("map_custom_url"), key=keys.MAP_CUSTOM_URL) if base == "custom" else None
map_view.keep_state()
data = mapdata.for_user(everything, user, scope) if scope else everything
if len(data.results) > POINT_LIMIT:
    st.caption(t("map_overview", n=len(data.results)))

try:
    m = _draw(data, base, url)
except UsageError as exc:  # no Tianditu key, a bad custom URL: fall back to the offline map
    st.warning(t("map_base_fallback", error=said(exc)), icon=":material/warning:")
    m = _draw(data, "none", None)
# returned_objects=[]: panning, zooming and clicks never rerun this script
st_folium(m, key=keys.MAP_FOLIUM, height=620, use_container_width=True, returned_objects=[])

st.subheader(t("map_belts"), anchor=False)
if not data.roads:
    st.caption(t("map_no_roads"))
else:
    buffers = {r.name: r.buffer_m for r in data.roads}
    st.dataframe([{
        t("map_col_road"): s.road, t("map_col_buffer"): f"{buffers[s.road]:g}", t("map_col_members"): s.members,
        t("map_col_assessed"): s.assessed, t("map_col_passed"): s.passed,
        t("map_col_average"): "" if s.average is None else fmt1(s.average),
        t("map_col_share"): "" if s.civilized_share is None else fmt1(s.civilized_share),
    } for s in data.stats], hide_index=True, key=keys.MAP_BELTS_TABLE)

rad = data.radiation
st.subheader(t("map_radiation", km=f"{rad.radius_m / 1000:g}"), anchor=False)
names = {r.village.code: r.village for r in data.results}
if not rad.led:
    st.caption(t("map_no_demo"))
else:
    st.dataframe([{t("map_col_demo"): names[code].name, t("map_col_township"): names[code].township,
                   t("map_col_led"): len(led)} for code, led in rad.led.items()],
                 hide_index=True, key=keys.MAP_DEMO_TABLE)
    st.caption(t("map_unreached", n=len(rad.unreached)))
    if rad.unreached:
        st.dataframe([{t("map_col_code"): c, t("map_col_name"): names[c].name,
                       t("map_col_township"): names[c].township} for c in rad.unreached],
                     hide_index=True, key=keys.MAP_UNREACHED_TABLE)
