"""整改复查: re-check fixed entries on the spot (a surveyor on the tablet, or the county office),
village by village: before and after side by side, a photo, passed (closed, 已销号) or not
(open again with a new deadline)."""

import streamlit as st

from core.errors import SurveyError
from survey import ledger
from ui import ledger_view as view
from ui import nav, shell
from ui.text import md, t

user = nav.require("recheck")
st.html(view.CSS)
st.title(t("rc_title"), anchor=False)
st.caption(t("rc_help"))
view.message()
try:
    waiting = ledger.to_recheck(shell.db(), user)
except SurveyError as exc:
    st.error(md(exc), icon=":material/error:")
    st.stop()
if not waiting:
    st.success(t("rc_none"), icon=":material/task_alt:")
    st.stop()
village = view.recheck_village(waiting)
for entry in (e for e in waiting if e.village_code == village):
    view.recheck_card(user, entry)
