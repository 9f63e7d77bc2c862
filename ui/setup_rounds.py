"""The setup page's rounds: the table of rounds (kind, cadence, whether they count, the rubric
version each is scored with) and opening a new one."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.config import today
from core.constants import ROUND_KINDS
from core.errors import SurveyError
from survey import service
from survey.auth import User
from ui import keys, shell
from ui.text import md, plain, t


def kind_label(kind: str) -> str:
    return plain(f"round_kind_{kind}")


def render(db: Path, user: User) -> None:
    st.subheader(t("setup_rounds"), anchor=False)
    opened = st.session_state.pop(keys.SETUP_ROUND_OPENED, None)
    if opened:
        st.success(t("setup_round_created", id=opened), icon=":material/check_circle:")
    existing = shell.rounds()
    if existing:
        st.dataframe(
            [{plain("col_round_id"): r.id, plain("col_round_name"): r.name, plain("col_round_kind"): kind_label(r.kind),
              plain("col_round_cadence"): r.cadence, plain("col_round_counts"): r.counts,
              plain("col_start"): r.start_date or "", plain("col_end"): r.end_date or "",
              plain("col_rubric_version"): r.rubric_version or ""} for r in existing],
            hide_index=True, key=keys.SETUP_ROUNDS_TABLE)
    with st.form(key=keys.SETUP_ROUND_FORM):
        c1, c2 = st.columns(2)
        round_id = c1.text_input(t("setup_round_id"), key=keys.SETUP_ROUND_ID, max_chars=32)
        name = c2.text_input(t("setup_round_name"), key=keys.SETUP_ROUND_NAME, max_chars=60)
        kind = c1.selectbox(t("setup_round_kind"), ROUND_KINDS, key=keys.SETUP_ROUND_KIND, format_func=kind_label)
        cadence = c2.text_input(t("setup_round_cadence"), key=keys.SETUP_ROUND_CADENCE, max_chars=20,
                                placeholder=plain("setup_round_cadence_hint"))
        start = c1.date_input(t("setup_round_start"), value=today(), key=keys.SETUP_ROUND_START,
                              format="YYYY-MM-DD")
        end = c2.date_input(t("setup_round_end"), value=None, key=keys.SETUP_ROUND_END, format="YYYY-MM-DD")
        counts = st.checkbox(t("setup_round_counts"), value=True, key=keys.SETUP_ROUND_COUNTS,
                             help=t("setup_round_counts_help"))
        if st.form_submit_button(t("setup_round_create"), icon=":material/add:", key=keys.SETUP_ROUND_CREATE):
            try:
                created = service.open_round(db, user, round_id.strip(), name, start and start.isoformat(),
                                             end and end.isoformat(), kind, cadence,
                                             counts and kind != "mock")
            except SurveyError as exc:
                st.error(md(exc), icon=":material/error:")
            else:
                for key in (keys.SETUP_ROUND_ID, keys.SETUP_ROUND_NAME, keys.SETUP_ROUND_CADENCE):
                    st.session_state.pop(key, None)
                st.session_state[keys.SETUP_ROUND_OPENED] = created.id
                shell.choose_round(created.id)  # the sidebar shows it from the next run on
                st.rerun()
