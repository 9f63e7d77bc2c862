"""The setup page's part for offline field teams: the round's XLSForm (with villages.csv) to put
on ODK Central or KoboToolbox, and the upload of their exports. Every call goes into
``survey.xlsform`` / ``survey.odk``."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.errors import DataError, SurveyError
from survey import odk, xlsform
from survey.auth import User
from ui import keys, shell
from ui.text import said, source_label, t


@st.cache_data(show_spinner=False, max_entries=8)
def _form(db_path: str, data_version: int, rubric_version: str, round_id: str,
          user: User) -> tuple[bytes, str, str]:
    form = xlsform.make_form_for(db_path, user, round_id)
    return form.zip_bytes(), form.form_id, form.version


def render(db: Path, user: User) -> None:
    """Download of the form of a round, upload of an export, and the outcome of the last one."""
    from survey.rubric import load_rubric

    st.subheader(t("setup_odk"), anchor=False)
    st.caption(t("setup_odk_help"))
    rounds = [r.id for r in reversed(shell.rounds())]
    if not rounds:
        st.info(t("no_round"), icon=":material/info:")
        return
    current = shell.current_round()
    round_id = st.selectbox(t("setup_odk_round"), rounds, key=keys.SETUP_ODK_ROUND,
                            index=rounds.index(current) if current in rounds else 0)
    data, form_id, version = _form(str(db), shell.version(), load_rubric().version, round_id, user)
    st.download_button(t("setup_odk_download"), data, file_name=f"{form_id}.zip", mime="application/zip",
                       key=keys.SETUP_ODK_DOWNLOAD, icon=":material/download:")
    st.caption(t("setup_odk_version", form_id=form_id, version=version))
    upload = st.file_uploader(t("setup_odk_upload"), type=["zip", "csv", "xlsx"], key=keys.SETUP_ODK_UPLOAD)
    if st.button(t("setup_odk_import"), key=keys.SETUP_ODK_IMPORT, disabled=upload is None,
                 icon=":material/upload:"):
        try:
            r = odk.import_export(db, user, upload.getvalue(), upload.name)
            st.session_state[keys.SETUP_ODK_RESULT] = (
                "ok", {"added": r.added, "skipped": r.skipped, "photos": r.photos,
                       "source": source_label(r.source)}, [said(w) for w in r.warnings])
        except DataError as exc:
            st.session_state[keys.SETUP_ODK_RESULT] = ("errors", [said(p) for p in exc.problems], [])
        except SurveyError as exc:
            st.session_state[keys.SETUP_ODK_RESULT] = ("errors", [said(exc)], [])
    result = st.session_state.get(keys.SETUP_ODK_RESULT)
    if result and result[0] == "ok":
        st.success(t("setup_odk_imported", **result[1]), icon=":material/check_circle:")
        if result[2]:
            st.code("\n".join(result[2]), language=None)  # data text: shown as text only
    elif result:
        st.error(t("setup_errors", n=len(result[1])), icon=":material/error:")
        st.code("\n".join(result[1]), language=None)
