"""The setup page's township boundaries: upload a boundary layer, see what was imported or every
located problem of the file (nothing written then)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.errors import DataError, SurveyError
from survey import belts
from survey.auth import User
from ui import keys
from ui.text import md, said, t


def render(db: Path, user: User) -> None:
    st.subheader(t("setup_boundaries"), anchor=False)
    st.caption(t("setup_boundaries_help"))
    upload = st.file_uploader(t("setup_boundaries_upload"), type=["geojson", "json", "zip"],
                              key=keys.SETUP_BOUNDARY_UPLOAD)
    if st.button(t("setup_boundaries_import"), key=keys.SETUP_BOUNDARY_IMPORT, disabled=upload is None,
                 icon=":material/upload:"):
        try:
            done = belts.import_boundaries_bytes(db, user, upload.getvalue(), upload.name)
            st.session_state[keys.SETUP_BOUNDARY_RESULT] = ("ok", done.__dict__)
        except DataError as exc:
            st.session_state[keys.SETUP_BOUNDARY_RESULT] = ("errors", [said(p) for p in exc.problems])
        except SurveyError as exc:
            st.error(md(exc), icon=":material/error:")
    result = st.session_state.get(keys.SETUP_BOUNDARY_RESULT)
    if result and result[0] == "ok":
        st.success(t("setup_boundaries_done", **result[1]), icon=":material/check_circle:")
    elif result:
        st.error(t("setup_errors", n=len(result[1])), icon=":material/error:")
        st.code("\n".join(result[1]), language=None, wrap_lines=True)
