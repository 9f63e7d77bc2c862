"""一票否决: the veto records kept by the county office. A record (a village, or a whole township)
applies to every assessment of its villages within its window; surveyors' reports count only
once confirmed here."""

import streamlit as st

from survey import settings
from survey.rubric import load_rubric
from ui import keys, nav, shell
from ui import vetoes_view as view
from ui.text import md, t

user = nav.require("vetoes")
st.title(t("veto_title"), anchor=False)
db = shell.db()
if msg := st.session_state.pop(keys.VETO_MESSAGE, None):
    st.success(md(msg), icon=":material/check_circle:")
county, county_name = shell.pick_county(user.scope, keys.VETO_COUNTY)
st.caption(t("veto_rule", months=settings.load(db, county).veto_months))
names = {v.code: v.name for v in load_rubric().veto}

tabs = st.tabs([t("veto_tab_records"), t("veto_tab_reports"), t("veto_tab_new"), t("veto_tab_import")])
with tabs[0]:
    view.records(db, user, county, names)
with tabs[1]:
    view.reports(db, user, county, names)
with tabs[2]:
    view.enter(db, user, county, names)
with tabs[3]:
    if user.admin:
        view.upload(db, user)
    else:
        st.caption(t("veto_import_admin"))
