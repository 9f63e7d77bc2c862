"""上报省级: preview the provincial CSV pair of a round and county, then download it (zipped),
the XLSX workbook and the GeoJSON points. The rules live in survey/export.py."""

from __future__ import annotations

import streamlit as st

from core.errors import SurveyError, render
from survey import auth, export
from survey.csvio import ENCODINGS
from ui import keys, nav, shell
from ui.text import lang, md, said, t

DB = str(shell.db())
#: Where each readiness warning is settled.
TODO = {"export_unreviewed": "review", "export_outside_round": "review", "export_none_assessed": "setup"}


@st.cache_data(show_spinner=False, max_entries=8)
def _files(db: str, round_id: str, county: str, encoding: str, version: int, user: auth.User):
    """Both tables and the three downloads; ``version`` (store.data_version) invalidates them."""
    [e] = export.build(db, user, round_id, county)
    zipped, warnings = export.csv_zip([e], encoding)
    return e, zipped, list(warnings), export.xlsx_bytes(e), export.geojson_bytes(e)


user = nav.require("export")
st.title(t("exp_title"))
st.caption(t("exp_help"))
c1, c2 = st.columns(2)
with c1:
    county, _name = shell.pick_county(user.scope, keys.EXP_COUNTY)
rnd = shell.require_round()
round_id = rnd.id
st.caption(t("exp_round", id=round_id, name=rnd.name))
encoding = c2.radio(t("exp_encoding"), ENCODINGS, key=keys.EXP_ENCODING, horizontal=True,
                    format_func=lambda e: t(f"exp_enc_{e}"))
try:
    e, zipped, warnings, xlsx, geojson = _files(DB, round_id, county, encoding, shell.version(), user)
except SurveyError as exc:
    st.error(md(exc), icon=":material/error:")
    st.stop()

st.caption(t("exp_counts", villages=len(e.villages), townships=len(e.townships)))
checks = export.readiness(e, rnd)
for check in checks:  # what to settle before sending, each with where to do it
    st.warning(md(render(check.key, lang(), **dict(check.fields))), icon=":material/warning:")
    if check.key == "export_none_assessed" and not user.admin:
        st.caption(t("exp_todo_export_none_assessed_field"))
    nav.link(user, TODO[check.key], t(f"exp_todo_{check.key}"))
if warnings:
    st.warning(t("exp_warnings", n=len(warnings)), icon=":material/warning:")
    st.code("\n".join(said(w) for w in warnings), language=None)
elif not checks:
    st.success(t("exp_no_warnings"), icon=":material/check_circle:")

st.subheader(t("exp_download"), anchor=False)
d1, d2, d3 = st.columns(3)
d1.download_button(t("exp_dl_csv"), zipped, file_name=e.zip_file, mime="application/zip",
                   key=keys.EXP_DL_CSV, type="primary", icon=":material/folder_zip:", on_click="ignore")
d2.download_button(t("exp_dl_xlsx"), xlsx, file_name=e.xlsx_file, key=keys.EXP_DL_XLSX,
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   icon=":material/table_view:", on_click="ignore")
d3.download_button(t("exp_dl_geojson"), geojson, file_name=e.geojson_file, mime="application/geo+json",
                   key=keys.EXP_DL_GEOJSON, icon=":material/location_on:", on_click="ignore")

st.subheader(t("exp_villages", file=e.villages_file), anchor=False)
if e.villages:
    st.dataframe(export.preview(export.VILLAGE_COLUMNS, e.villages), hide_index=True,
                 key=keys.EXP_TABLE_VILLAGES)
else:
    st.info(t("exp_empty"), icon=":material/info:")
st.subheader(t("exp_townships", file=e.townships_file), anchor=False)
st.dataframe(export.preview(export.TOWNSHIP_COLUMNS, e.townships), hide_index=True,
             key=keys.EXP_TABLE_TOWNSHIPS)
