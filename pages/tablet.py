"""实地测评: the surveyor's tablet page. Pick a village, answer its checklists with evidence;
every change is saved as a draft at once; submit stores the assessment exactly once."""

import streamlit as st

from core.errors import SurveyError
from survey import fieldwork, service
from ui import keys, nav, shell
from ui import survey_view as parts
from ui.text import md, t

user = nav.require("tablet")
parts.bind(user)
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
parts.office_vetoes(rubric, village)
done = st.session_state.get(keys.SV_DONE)
if done and done["key"] == (round_id, village.code, surveyor):
    parts.done(rubric, village, done["outcome"])
    st.stop()

draft = parts.open_draft(rubric, round_id, village, surveyor)
if status == "submitted" and not draft.answers:
    st.info(t("sv_already"), icon=":material/info:")

total_slot = st.empty()
for section in rubric.sections:
    parts.section(rubric, section, village, total_slot)
parts.veto(rubric, total_slot)
parts.position(village)

if st.button(t("sv_submit"), key=keys.SV_SUBMIT, type="primary", icon=":material/send:",
             width="stretch"):
    try:
        outcome = fieldwork.submit(shell.db(), user, rubric, st.session_state[keys.SV_DRAFT])
    except SurveyError as exc:  # e.g. the round ended long ago: said, nothing stored
        st.error(md(exc), icon=":material/error:")
        st.stop()
    if outcome.submission_id:
        st.session_state[keys.SV_DONE] = {"key": (round_id, village.code, surveyor),
                                          "outcome": outcome}
        st.session_state.pop(keys.SV_DRAFT)
        st.rerun()
    st.session_state[keys.SV_MISSING] = outcome.missing
parts.missing(rubric)
