"""村镇档案: a village's or township's title and its history of awards (授予) and removals (摘牌),
recording a change, and its veto records. Opened from the dashboard's title-at-risk and
title-review lists (``?code=``), or by choosing a township and a village."""

import streamlit as st

from core.errors import SurveyError
from survey import titles
from ui import keys, nav, place_view, shell
from ui.text import md, t

user = nav.require("village")
st.title(t("place_title"), anchor=False)
if msg := st.session_state.pop(keys.PLACE_MESSAGE, None):
    st.success(md(msg), icon=":material/check_circle:")
code = place_view.pick(user)
if not code:
    st.info(t("place_choose"), icon=":material/info:")
    st.stop()
try:
    place = titles.place(shell.db(), user, code)
except SurveyError as exc:
    st.error(md(exc), icon=":material/error:")
    st.stop()

st.subheader(t("place_head", name=place.name, code=code, township=place.township or "—"), anchor=False)
st.metric(t("place_current"), md(place.title) if place.title != "无" else t("place_none"),
          delta=t("place_year", year=place.title_year) if place.title_year else None,
          delta_color="off", delta_arrow="off")
st.markdown(f"**{t('place_history')}**")
place_view.history(user, code)
place_view.change_form(user, code)
st.markdown(f"**{t('place_vetoes')}**")
place_view.veto_records(user, code)
