"""实地测评: the surveyor's tablet page. Pick a village; its checklist runs in the browser
(ui/tablet.py): every tap counts at once, is kept on the tablet and saved through the app's
own route, so a weak or dropped link loses nothing; submit stores the assessment exactly once."""

import streamlit as st

from survey import fieldwork, service
from ui import keys, nav, shell, tablet
from ui import survey_view as parts
from ui.text import t

user = nav.require("tablet")
st.html(parts.CSS)
st.title(t("sv_title"), anchor=False)
round_id = shell.current_round()
if round_id is None:
    st.info(t("no_round"), icon=":material/info:")
    st.stop()

surveyor = parts.surveyor_name(user)
if not surveyor:
    st.info(t("sv_need_surveyor"), icon=":material/badge:")
    st.stop()

village, status = parts.pick_village(user, round_id, surveyor)
if village is None:
    st.stop()

st.subheader(t("sv_village_head", village=village.name, township=village.township), anchor=False)
rubric = service.rubric_for_round(shell.db(), round_id)
draft = fieldwork.open_draft(shell.db(), user, round_id, village.code, surveyor)
pictures = fieldwork.draft_photos(shell.db(), user, draft)
with st.container(key=keys.SV_NOTICE):  # always there: the checklist below keeps its place
    parts.notice(user, round_id, village, surveyor, status, draft)
parts.households(user, village, round_id, rubric)
tablet.checklist(tablet.payload(user, rubric, village, draft, pictures,
                                asides=parts.asides(user, village, round_id),
                                office_vetoes=parts.office_vetoes(user, village, rubric),
                                gps_limits=parts.gps_limits(user, village)))
