"""设置: load the village list, open a round, the round's form for ODK/Kobo Collect and the upload
of their exports, read the rubric."""


import streamlit as st

from core.errors import DataError
from survey import service
from survey.rubric import load_rubric
from ui import keys, nav, setup_boundaries, setup_odk, setup_rounds, shell
from ui.text import lang, md, rule_text, said, t

user = nav.require("setup")
st.title(t("setup_title"))
db = shell.db()

# --- village list --------------------------------------------------------------------------------
st.subheader(t("setup_registry"), anchor=False)
st.caption(t("setup_registry_help"))
upload = shell.uploader(t("setup_upload"), ["csv", "xlsx", "xls", "geojson", "json", "zip"], keys.SETUP_UPLOAD)
if st.button(t("setup_import"), key=keys.SETUP_IMPORT, type="primary", disabled=upload is None,
             icon=":material/upload:"):
    try:
        summary = service.import_villages_bytes(db, user, upload.getvalue(), upload.name)
        st.session_state[keys.SETUP_RESULT] = ("ok", summary.__dict__)
    except DataError as exc:
        st.session_state[keys.SETUP_RESULT] = ("errors", [said(p) for p in exc.problems])
result = st.session_state.get(keys.SETUP_RESULT)
if result and result[0] == "ok":
    st.success(t("setup_imported", **result[1]), icon=":material/check_circle:")
elif result:
    st.error(t("setup_errors", n=len(result[1])), icon=":material/error:")
    st.code("\n".join(result[1]), language=None, wrap_lines=True)
counts = service.stats(db, user)
st.caption(t("setup_counts", **counts))

# --- township boundaries (drawn on every map) ---------------------------------------------------
setup_boundaries.render(db, user)

# --- rounds --------------------------------------------------------------------------------------
setup_rounds.render(db, user)

# --- ODK Collect / KoboCollect: the form out, the exports back in --------------------------------
setup_odk.render(db, user)

# --- rubric --------------------------------------------------------------------------------------
rubric = load_rubric()
st.subheader(t("setup_rubric"), anchor=False)
st.caption(t("setup_rubric_summary", total=rubric.total, pass_mark=rubric.pass_mark))
en = lang() == "en"
for section in rubric.sections:
    with st.expander(md(f"{section.name_en if en else section.name} · {section.points}")):
        st.dataframe(
            [{t("col_code"): it.code, t("col_item"): it.text_en if en else it.text,
              t("col_type"): t(f"type_{it.type}"), t("col_points"): str(it.points),
              t("col_rule"): rule_text(it)} for it in section.items],
            hide_index=True, key=f"{keys.SETUP_RUBRIC_TABLE}_{section.code}")
with st.expander(t("setup_veto")):
    st.dataframe([{t("col_code"): v.code, t("col_item"): v.text_en if en else v.text}
                  for v in rubric.veto], hide_index=True,
                 key=keys.SETUP_VETO_TABLE)
