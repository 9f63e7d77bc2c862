"""Parts of the veto page (pages/vetoes.py): the office's records (and withdrawing one), the
surveyors' reports waiting for a decision (confirm with the event's date, source and document,
or reject with a reason), entering a record, and importing a file of them. Each action is one
call into ``survey.vetoes``; errors are shown as they are raised, nothing is written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from core.errors import DataError, SurveyError
from survey import auth, vetoes
from survey.auth import User
from ui import keys
from ui.text import md, plain, t


def done(text_key: str, **fields) -> None:
    """Remember a message for the next run, and rerun."""
    st.session_state[keys.VETO_MESSAGE] = plain(text_key, **fields)
    st.rerun()


def records(db: Path, user: User, county: str, names: dict[str, str]) -> None:
    """Every record of the county, newest event first, and withdrawing a confirmed one."""
    found = vetoes.records(db, user, county=county)
    if not found:
        st.caption(t("veto_none"))
        return
    df = pd.DataFrame(vetoes.record_records(found, names)).drop(columns=["id"])
    df["status"] = [plain(f"veto_status_{s}") for s in df["status"]]
    df["scope"] = [plain(f"veto_scope_{s}") for s in df["scope"]]
    st.dataframe(df.rename(columns=lambda c: plain("veto_col_" + c)), hide_index=True, key=keys.VETO_TABLE)
    confirmed = {r.id: f"{r.place or r.code} · {r.item} {names.get(r.item, '')} · {r.date}"
                 for r in found if r.status == vetoes.CONFIRMED}
    if not confirmed:
        return
    with st.form(keys.VETO_WITHDRAW_FORM, clear_on_submit=True):
        st.markdown(f"**{t('veto_withdraw_title')}**")
        chosen = st.selectbox(t("veto_withdraw_pick"), list(confirmed), key=keys.VETO_WITHDRAW_PICK,
                              format_func=confirmed.get)
        reason = st.text_input(t("veto_reason"), key=keys.VETO_WITHDRAW_REASON, max_chars=200)
        if st.form_submit_button(t("veto_withdraw"), key=keys.VETO_WITHDRAW, icon=":material/undo:"):
            try:
                vetoes.withdraw(db, user, chosen, reason)
            except SurveyError as exc:
                st.error(md(exc), icon=":material/error:")
            else:
                done("veto_withdrawn", what=confirmed[chosen])


def reports(db: Path, user: User, county: str, names: dict[str, str]) -> None:
    """The surveyors' reports not decided yet: confirm one (a record) or reject it."""
    pending = vetoes.reports(db, user, county=county)
    if not pending:
        st.caption(t("veto_no_reports"))
        return
    st.dataframe(pd.DataFrame([{plain("veto_col_place"): r.village_name, plain("veto_col_township"): r.township,
                                plain("veto_col_item"): f"{r.item} {names.get(r.item, '')}",
                                plain("veto_col_round"): r.round_id, plain("veto_col_reported"): r.date,
                                plain("veto_col_surveyor"): r.surveyor} for r in pending]),
                 hide_index=True, key=keys.VETO_REPORTS)
    options = {f"{r.submission_id}|{r.item}": r for r in pending}
    with st.form(keys.VETO_DECIDE_FORM):
        picked = st.selectbox(t("veto_report_pick"), list(options), key=keys.VETO_REPORT_PICK,
                              format_func=lambda k: f"{options[k].village_name} · {options[k].item} "
                                                    f"{names.get(options[k].item, '')} · {options[k].date}")
        c1, c2, c3 = st.columns(3)
        day = c1.date_input(t("veto_date"), value=None, key=keys.VETO_REPORT_DATE)
        source = c2.text_input(t("veto_source"), key=keys.VETO_REPORT_SOURCE, max_chars=100)
        document = c3.text_input(t("veto_document"), key=keys.VETO_REPORT_DOCUMENT, max_chars=100)
        reason = st.text_input(t("veto_reject_reason"), key=keys.VETO_REPORT_REASON, max_chars=200)
        b1, b2 = st.columns(2)
        confirm = b1.form_submit_button(t("veto_confirm"), key=keys.VETO_CONFIRM, type="primary",
                                        icon=":material/gavel:")
        reject = b2.form_submit_button(t("veto_reject"), key=keys.VETO_REJECT, icon=":material/block:")
    if not (confirm or reject):
        return
    r = options[picked]
    try:
        if confirm:
            vetoes.confirm(db, user, r.submission_id, r.item, day.isoformat() if day else "", source, document)
        else:
            vetoes.reject(db, user, r.submission_id, r.item, reason)
    except DataError as exc:
        st.error(md("\n".join(str(p) for p in exc.problems)), icon=":material/error:")
    except SurveyError as exc:
        st.error(md(exc), icon=":material/error:")
    else:
        done("veto_confirmed" if confirm else "veto_rejected", place=r.village_name, item=r.item)


def enter(db: Path, user: User, county: str, names: dict[str, str]) -> None:
    """Enter a record: a village, or a whole township (all its villages)."""
    towns = auth.townships_in(db, user.scope, county)
    if not towns:
        st.caption(t("veto_none"))
        return
    town = st.selectbox(t("veto_township"), list(towns), key=keys.VETO_NEW_TOWN,
                        format_func=lambda c: f"{towns[c]}（{c}）")
    villages = {v.code: v.name for v in auth.villages_in(db, user.scope, town)}
    with st.form(keys.VETO_NEW_FORM):
        place = st.selectbox(t("veto_place"), [town, *villages], key=keys.VETO_NEW_PLACE,
                             format_func=lambda c: plain("veto_whole_township", name=towns[town]) if c == town
                             else f"{villages[c]}（{c}）")
        c1, c2 = st.columns(2)
        item = c1.selectbox(t("veto_item"), list(names), key=keys.VETO_NEW_ITEM,
                            format_func=lambda c: f"{c} {names[c]}")
        day = c2.date_input(t("veto_date"), value=None, max_value=date.today(), key=keys.VETO_NEW_DATE)
        source = c1.text_input(t("veto_source"), key=keys.VETO_NEW_SOURCE, max_chars=100)
        document = c2.text_input(t("veto_document"), key=keys.VETO_NEW_DOCUMENT, max_chars=100)
        if st.form_submit_button(t("veto_add"), key=keys.VETO_NEW_SAVE, type="primary", icon=":material/add:"):
            try:
                record = vetoes.add(db, user, place, item, day.isoformat() if day else "", source, document)
            except DataError as exc:
                st.error(md("\n".join(str(p) for p in exc.problems)), icon=":material/error:")
            except SurveyError as exc:
                st.error(md(exc), icon=":material/error:")
            else:
                done("veto_added", place=record.place or record.code, item=record.item, until=record.last_day)


def upload(db: Path, user: User) -> None:
    """Import a CSV/XLSX file of records (administrators), all or nothing."""
    st.caption(t("veto_import_help"))
    file = st.file_uploader(t("veto_import_file"), type=["csv", "xlsx", "xls"], key=keys.VETO_UPLOAD)
    if st.button(t("veto_import"), key=keys.VETO_IMPORT, disabled=file is None, icon=":material/upload:"):
        try:
            result = vetoes.import_bytes(db, user, file.getvalue(), file.name)
        except DataError as exc:
            st.error(t("veto_import_errors", n=len(exc.problems)), icon=":material/error:")
            st.code("\n".join(str(p) for p in exc.problems), language=None)
        except SurveyError as exc:
            st.error(md(exc), icon=":material/error:")
        else:
            done("veto_imported", added=result.added, updated=result.updated, unchanged=result.unchanged)
