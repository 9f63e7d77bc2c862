"""Parts of the village page (pages/village.py, 村镇档案): a village's or township's title
history with the form that records an award (授予) or a removal (摘牌), and its veto records;
and the link to that page from the dashboard's lists (title at risk, title review)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.errors import SurveyError
from survey import auth, titles, vetoes
from survey.auth import User
from survey.rubric import load_rubric
from ui import keys, shell
from ui.text import md, plain, t

PAGE = "village"  # the page's url path (ui.nav.PAGES)


def link(code: str) -> str:
    """The relative address of the page of village or township ``code``."""
    return f"{PAGE}?code={code}"


def linked(records: list[dict], key: str, prefix: str = "dash_col_") -> None:
    """Records with neutral column ids (one of them ``code``) under translated headers, with a
    column that opens each village's page (its title history)."""
    if not records:
        st.caption(t("dash_none"))
        return
    df = pd.DataFrame(records)
    df["link"] = [link(c) for c in df["code"]]
    label = plain("place_col_link")
    df = df.rename(columns=lambda c: label if c == "link" else plain(prefix + c))
    st.dataframe(df, hide_index=True, key=key, column_config={
        label: st.column_config.LinkColumn(label, display_text=plain("place_open"))})


def pick(user: User) -> str | None:
    """The code of the page: from the URL (``?code=``), else chosen township then village."""
    state = st.session_state
    if keys.PLACE_CODE not in state:
        state[keys.PLACE_CODE] = st.query_params.get("code")
    code = state.get(keys.PLACE_CODE)
    towns = auth.townships_in(shell.db(), user.scope)
    left, right = st.columns(2)
    town = left.selectbox(t("place_township"), list(towns), index=None, key=keys.PLACE_TOWN,
                          format_func=lambda c: f"{towns[c]}（{c}）", placeholder=plain("place_pick"))
    if town:
        villages = {v.code: v.name for v in auth.villages_in(shell.db(), user.scope, town)}
        chosen = right.selectbox(t("place_village"), [town, *villages], key=keys.PLACE_VILLAGE,
                                 format_func=lambda c: plain("place_whole_township") if c == town
                                 else f"{villages[c]}（{c}）")
        code = chosen or town
        state[keys.PLACE_CODE] = code
    if code and st.query_params.get("code") != code:
        st.query_params["code"] = code
    return code


def history(user: User, code: str) -> list[titles.Event]:
    events = titles.history(shell.db(), user, code)
    records = titles.event_records(events)
    if not records:
        st.caption(t("place_no_history"))
        return events
    df = pd.DataFrame(records)
    df["action"] = [plain(f"place_action_{a}") for a in df["action"]]
    st.dataframe(df.rename(columns=lambda c: plain("place_col_" + c)), hide_index=True, key=keys.PLACE_HISTORY)
    return events


def change_form(user: User, code: str) -> None:
    """Record an award or a removal; the registry's title follows from the history."""
    with st.form(keys.PLACE_FORM, clear_on_submit=False):
        c1, c2, c3 = st.columns(3)
        action = c1.selectbox(t("place_action"), [titles.AWARD, titles.REMOVE], key=keys.PLACE_ACTION,
                              format_func=lambda a: plain(f"place_action_{a}"))
        level = c2.selectbox(t("place_level"), list(titles.LEVELS), key=keys.PLACE_LEVEL)
        day = c3.date_input(t("place_date"), value=date.today(), key=keys.PLACE_DATE)
        document = c1.text_input(t("place_document"), key=keys.PLACE_DOCUMENT, max_chars=100)
        source = c2.text_input(t("place_source"), key=keys.PLACE_SOURCE, max_chars=100)
        if st.form_submit_button(t("place_save"), key=keys.PLACE_SAVE, icon=":material/save:"):
            try:
                state = titles.change(shell.db(), user, code, action, level, day.isoformat() if day else "",
                                      document, source)
            except SurveyError as exc:
                st.error(md(exc), icon=":material/error:")
            else:
                st.session_state[keys.PLACE_MESSAGE] = plain("place_saved", title=state.title)
                st.rerun()


def veto_records(user: User, code: str) -> None:
    """The veto records of the place (a village's with its township's), every state."""
    found = vetoes.records(shell.db(), user, code=code)
    if not found:
        st.caption(t("place_no_vetoes"))
        return
    names = vetoes.labels(load_rubric())
    df = pd.DataFrame(vetoes.record_records(found, names)).drop(columns=["id", "code"])
    df["status"] = [plain(f"veto_status_{s}") for s in df["status"]]
    df["scope"] = [plain(f"veto_scope_{s}") for s in df["scope"]]
    st.dataframe(df.rename(columns=lambda c: plain("veto_col_" + c)), hide_index=True, key=keys.PLACE_VETOES)
