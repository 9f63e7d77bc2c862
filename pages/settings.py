"""县级设置: the county's other rules (radiation radius, road buffer, GPS warnings, what counts as
civilized, the share targets, the veto window), each with its default and where it comes from,
who changed it and when; for the whole database or one county. Administrators only."""

import streamlit as st

from core.errors import SurveyError
from survey import auth, settings
from ui import keys, nav, shell
from ui import settings_view as view
from ui.text import md, plain, t

user = nav.require("settings")
st.title(t("set_title"), anchor=False)
db = shell.db()
if msg := st.session_state.pop(keys.SET_MESSAGE, None):
    st.success(md(msg), icon=":material/check_circle:")
st.caption(t("set_intro"))

counties = auth.counties_in(db, user.scope)
scopes = {"": plain("set_scope_all"), **{c: f"{n or c}（{c}）" for c, n in counties.items()}}
scope = st.selectbox(t("set_scope"), list(scopes), key=keys.SET_SCOPE, format_func=scopes.get)
try:
    rows = settings.rows(db, user, scope)
except SurveyError as exc:
    st.error(md(exc), icon=":material/error:")
    st.stop()
view.table(rows)
view.change(db, user, scope, rows)

st.subheader(t("set_factors"), anchor=False)
view.grade_factors(db, user)
