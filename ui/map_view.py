"""Parts of the map page (pages/map.py): its state kept in the address (township, base layer),
so a village's page (``map?village=CODE``, opened from a popup) leads back to the same map;
the village's page itself: its submission of the round, photos and history."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from core.constants import township_of
from core.errors import SurveyError
from survey import audit, review
from survey.auth import User
from ui import keys, review_view
from ui.text import t, when

VILLAGE = "village"
#: Query parameter -> session key of the map's state kept in the address.
STATE = {"scope": keys.MAP_SCOPE, "base": keys.MAP_BASE}


def restore_state(allowed: dict[str, list[str]]) -> None:
    """Take the map's state from the address the first time this session draws the map
    (a link back from a village's page, a reload); values not in ``allowed`` are ignored."""
    for param, key in STATE.items():
        value = st.query_params.get(param)
        if key not in st.session_state and value is not None and value in allowed.get(param, ()):
            st.session_state[key] = value


def keep_state() -> None:
    """Write the map's state into the address (the village's page links back to it)."""
    for param, key in STATE.items():
        value = st.session_state.get(key)
        if value and st.query_params.get(param) != value:
            st.query_params[param] = value
        elif not value and param in st.query_params:
            del st.query_params[param]


def village_link(base: str) -> str:
    """The URL a popup's link opens (the village's code is appended): the map page with this
    township and ``base`` (the base layer drawn), relative to streamlit-folium's frame
    (``<base>/component/<name>/index.html``)."""
    state = {"scope": st.session_state.get(keys.MAP_SCOPE), "base": base if base != "none" else None}
    state = {param: value for param, value in state.items() if value}
    return f"../../map?{urlencode(state)}{'&' if state else ''}{VILLAGE}="


def chosen_village() -> str | None:
    return st.query_params.get(VILLAGE) or None


def village_page(db: Path, user: User, code: str, round_id: str | None) -> None:
    """A village of the map: its submissions of the round (the latest opened: answers, photos,
    versions, decisions), else its history; and the way back to the map as it was."""
    if st.button(t("vd_back"), key=keys.MAP_BACK, icon=":material/arrow_back:"):
        del st.query_params[VILLAGE]
        st.rerun()
    try:
        history = audit.village_history(db, user, code)
        items = [i for i in review.submissions(db, user, round_id, township=township_of(code))
                 if i.village_code == code] if round_id else []
    except SurveyError:
        st.error(t("vd_unknown", code=code), icon=":material/error:")
        return
    if items:
        st.subheader(t("vd_round", id=round_id), anchor=False)
        review_view.table(items, keys.MAP_VILLAGE_TABLE, comments=True)
        latest = next((i for i in reversed(items) if not i.superseded_by), items[-1])
        review_view.detail(db, user, latest.id)
        return
    st.info(t("vd_none"), icon=":material/info:")
    st.subheader(t("vd_history"), anchor=False)
    if not history:
        st.caption(t("vd_no_history"))
        return
    st.dataframe([{t("rv_col_at"): when(e.at), t("rv_col_actor"): e.actor, t("rv_col_action"): e.action}
                  for e in history], hide_index=True, key=keys.MAP_VILLAGE_HISTORY)


def village_title(name: str, township: str, code: str) -> None:
    st.title(t("vd_title", village=name, township=township, code=code))


