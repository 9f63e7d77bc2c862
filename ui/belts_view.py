"""Parts of the belts page (pages/belts.py): roads and their buffers, villages added to or
removed from a belt by hand (who, when, why), the radiation radius. Every write goes through a
use case of ``survey.belts`` with the signed-in user, and its message is shown after the rerun."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.errors import DataError, SurveyError
from survey import belts, mapdata
from survey.auth import User
from ui import keys, pickers
from ui.text import md, plain, said, t, when


def _done(text) -> None:
    st.session_state[keys.BELTS_NOTICE] = str(text)
    st.rerun()


def notice() -> None:
    """The last write's success message (kept across the rerun that shows its effect)."""
    text = st.session_state.pop(keys.BELTS_NOTICE, None)
    if text:
        st.success(md(text), icon=":material/check_circle:")


def roads(db: Path, user: User, data: mapdata.MapData) -> None:
    """The roads with their buffer and members; importing roads (administrators); a buffer."""
    st.subheader(t("belts_roads"), anchor=False)
    members = {s.road: s.members for s in data.stats}
    if data.roads:
        st.dataframe([{t("map_col_road"): r.name, t("map_col_buffer"): f"{r.buffer_m:g}",
                       t("map_col_members"): members.get(r.name, 0)} for r in data.roads],
                     hide_index=True, key=keys.BELTS_TABLE)
    else:
        st.caption(t("belts_none"))
    if user.admin:
        with st.expander(t("belts_upload"), icon=":material/upload:"):
            upload = st.file_uploader(t("belts_upload"), type=["geojson", "json", "zip"], key=keys.BELTS_UPLOAD)
            buffer = st.number_input(t("belts_upload_buffer"), min_value=1.0, max_value=50_000.0, step=100.0,
                                     value=belts.default_buffer(db), key=keys.BELTS_UPLOAD_BUFFER)
            if st.button(t("belts_import"), key=keys.BELTS_IMPORT, disabled=upload is None, type="primary"):
                try:
                    added, replaced = belts.import_roads_bytes(db, user, upload.getvalue(), upload.name, buffer)
                except DataError as exc:
                    st.error(t("setup_errors", n=len(exc.problems)), icon=":material/error:")
                    st.code("\n".join(said(p) for p in exc.problems), language=None, wrap_lines=True)
                except SurveyError as exc:
                    st.error(md(exc), icon=":material/error:")
                else:
                    _done(plain("belts_imported", added=added, replaced=replaced))
    if not data.roads:
        return
    names = [r.name for r in data.roads]
    buffers = {r.name: r.buffer_m for r in data.roads}
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    road = c1.selectbox(t("belts_road"), names, key=keys.BELTS_ROAD)
    value = c2.number_input(t("belts_buffer"), min_value=1.0, max_value=50_000.0, step=100.0,
                            value=float(buffers[road]), key=f"{keys.BELTS_BUFFER}_{road}")
    if c3.button(t("belts_set_buffer"), key=keys.BELTS_SET_BUFFER):
        try:
            belts.set_buffer(db, user, road, value)
        except SurveyError as exc:
            st.error(md(exc), icon=":material/error:")
        else:
            _done(plain("belts_buffer_saved", road=road, buffer=f"{value:g}"))


ACTIONS = {"include": True, "exclude": False, "clear": None}


def members(db: Path, user: User, data: mapdata.MapData) -> None:
    """Add or remove a village of the user's scope by hand, saying why; the changes made so far."""
    st.subheader(t("belts_members"), anchor=False)
    st.caption(t("belts_members_help"))
    if not data.roads:
        return
    villages = {r.village.code: r.village for r in data.results}
    towns = dict(sorted({(v.township_code, v.township) for v in villages.values()}))
    road = st.selectbox(t("belts_road"), [r.name for r in data.roads], key=keys.BELTS_MEMBER_ROAD)
    town = pickers.pinyin_select(t("map_col_township"), list(towns), lambda c: towns.get(c, ""), keys.BELTS_TOWN)
    in_town = [c for c, v in villages.items() if v.township_code == town]
    code = pickers.pinyin_select(t("belts_village"), in_town, lambda c: villages[c].name if c in villages else c,
                                 keys.BELTS_VILLAGE, format_func=lambda c: f"{villages[c].name}（{c}）")
    action = st.radio(t("belts_action"), list(ACTIONS), key=keys.BELTS_ACTION, horizontal=True,
                      format_func=lambda a: t(f"belts_{a}"))
    reason = st.text_input(t("belts_reason"), key=keys.BELTS_REASON, max_chars=400)
    if st.button(t("belts_apply"), key=keys.BELTS_APPLY, type="primary", disabled=code is None):
        try:
            belts.set_member(db, user, road, code, ACTIONS[action], reason)
        except SurveyError as exc:
            st.error(md(exc), icon=":material/error:")
        else:
            st.session_state.pop(keys.BELTS_REASON, None)
            _done(plain("belts_applied", village=villages[code].name, road=road))
    st.markdown(f"**{t('belts_overrides')}**")
    rows = belts.overrides(db, user)
    if not rows:
        st.caption(t("belts_no_overrides"))
        return
    st.dataframe([{t("belts_road"): o.road_name, t("belts_village"): villages[o.village_code].name
                   if o.village_code in villages else o.village_code, t("map_col_code"): o.village_code,
                   t("belts_col_include"): plain("belts_include" if o.include else "belts_exclude"),
                   t("belts_col_by"): o.set_by or "", t("belts_col_at"): when(o.set_at),
                   t("belts_col_reason"): o.reason or ""} for o in rows],
                 hide_index=True, key=keys.BELTS_OVERRIDES_TABLE)


def radius(db: Path, user: User) -> None:
    st.subheader(t("belts_radius"), anchor=False)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    value = c1.number_input(t("belts_radius_input"), min_value=belts.RADIUS_RANGE[0], max_value=belts.RADIUS_RANGE[1],
                            step=500.0, value=float(belts.radius(db)), key=keys.BELTS_RADIUS)
    if c2.button(t("belts_set_radius"), key=keys.BELTS_SET_RADIUS):
        try:
            belts.set_radius(db, user, value)
        except SurveyError as exc:
            st.error(md(exc), icon=":material/error:")
        else:
            _done(plain("belts_radius_saved", radius=f"{value:g}"))
