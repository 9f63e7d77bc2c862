"""Parts of the county settings page (pages/settings.py): every setting with its value in force,
its default and where that default comes from, who changed it and when; changing one value or
going back to the default; and the rubric's grade factors (kept in the rubric files)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from core.errors import DataError, SurveyError
from survey import audit, settings
from survey.auth import User
from survey.rubric import load_rubric
from ui import keys
from ui.text import lang, md, plain, t


def label(key: str) -> str:
    return plain(f"setting_{key}")


def table(rows: list[settings.SettingRow]) -> None:
    st.dataframe(pd.DataFrame([{
        plain("set_col_setting"): label(r.key), plain("set_col_value"): settings.text(r.value),
        plain("set_col_unit"): plain(f"setting_unit_{settings.SPECS[r.key].kind}"),
        plain("set_col_from"): plain(f"set_from_{r.origin}"), plain("set_col_default"): settings.text(r.default),
        plain("set_col_source"): r.source, plain("set_col_by"): r.by or "", plain("set_col_at"): r.at or "",
        plain("set_col_actor"): r.actor or ""} for r in rows]), hide_index=True, key=keys.SET_TABLE)


def change(db: Path, user: User, scope: str, rows: list[settings.SettingRow]) -> None:
    """One value changed (with who decided it), or put back to the default of the next level."""
    current = {r.key: r for r in rows}
    with st.form(keys.SET_FORM):
        key = st.selectbox(t("set_pick"), list(settings.SPECS), key=keys.SET_KEY, format_func=label)
        c1, c2 = st.columns(2)
        value = c1.text_input(t("set_value"), key=keys.SET_VALUE, max_chars=20,
                              help=t("set_value_help"))
        by = c2.text_input(t("set_by"), key=keys.SET_BY, max_chars=100)
        b1, b2 = st.columns(2)
        save = b1.form_submit_button(t("set_save"), key=keys.SET_SAVE, type="primary", icon=":material/save:")
        reset = b2.form_submit_button(t("set_reset"), key=keys.SET_RESET, icon=":material/restart_alt:")
    if not (save or reset):
        return
    try:
        if save:
            stored = settings.change(db, user, scope, key, value, by)
            message = plain("set_saved", setting=label(key), value=settings.text(stored))
        elif settings.reset(db, user, scope, key):
            message = plain("set_was_reset", setting=label(key))
        else:
            message = plain("set_no_override", setting=label(key), value=settings.text(current[key].value))
    except DataError as exc:
        st.error(md("\n".join(str(p) for p in exc.problems)), icon=":material/error:")
    except SurveyError as exc:
        st.error(md(exc), icon=":material/error:")
    else:
        st.session_state[keys.SET_MESSAGE] = message
        st.rerun()


def grade_factors(db: Path, user: User) -> None:
    """The grade factors of every grade item (read-only: rubric knowledge, in data/rubric/)."""
    rubric = load_rubric()
    en = lang() == "en"
    st.dataframe(pd.DataFrame([{
        plain("col_code"): i.code, plain("col_item"): i.text_en if en and i.text_en else i.text,
        plain("set_col_factors"): " · ".join(f"{g} {f}" for g, f in i.grades),
        plain("set_col_criteria"): len(i.criteria)} for i in rubric.items if i.type == "grade"]),
        hide_index=True, key=keys.SET_FACTORS)
    last = audit.last_rubric_change(db, user)
    st.caption(t("set_factors_help", version=rubric.version,
                 at=last.at if last else "—", actor=last.actor if last else "—"))
