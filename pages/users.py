"""账号: an administrator's accounts page: list, create, disable or enable, set a password, and
read the newest entries of the audit trail."""

import streamlit as st

from core.errors import SurveyError
from survey import audit, auth
from ui import audit_view, keys, nav, shell
from ui.text import md, plain, t, when

user = nav.require("users")
db = shell.db()
st.title(t("us_title"), anchor=False)
message = st.session_state.pop(keys.US_MESSAGE, None)
if message:
    st.success(t(message[0], **message[1]), icon=":material/check_circle:")


def done(text_key: str, name: str) -> None:
    st.session_state[keys.US_MESSAGE] = (text_key, {"name": name})
    st.rerun()


accounts = auth.users(db)
places = shell.place_names()
st.dataframe([{t("login_col_account"): u.name, t("us_col_display"): u.display_name,
               t("login_col_role"): nav.role_label(u.role), t("us_col_county"): places.get(u.county) or u.county,
               t("us_col_townships"): "、".join(places.get(c) or c for c in u.townships) or plain("us_all_townships"),
               t("us_col_state"): t("us_disabled" if u.disabled else "us_active")} for u in accounts],
             hide_index=True, key=keys.US_TABLE)

# what was typed stays when a field is wrong; it is cleared once the account is made
with (st.expander(t("us_add"), icon=":material/person_add:", expanded=keys.US_NAME in st.session_state),
      st.form(keys.US_FORM, clear_on_submit=False)):
    c1, c2 = st.columns(2)
    name = c1.text_input(t("us_name"), key=keys.US_NAME, max_chars=32)
    display = c2.text_input(t("us_display"), key=keys.US_DISPLAY, max_chars=40)
    role = c1.selectbox(t("us_role"), auth.ROLES, key=keys.US_ROLE, format_func=nav.role_label)
    county = c2.text_input(t("us_county"), key=keys.US_COUNTY, max_chars=6,
                           value=user.county)
    towns = st.text_input(t("us_townships"), key=keys.US_TOWNSHIPS)
    password = st.text_input(t("us_password"), key=keys.US_PASSWORD, type="password")
    if st.form_submit_button(t("us_create"), type="primary", icon=":material/add:"):
        try:
            created = auth.add_user(db, name, role, county.strip(), password,
                                    towns.replace("，", ",").split(","), display, by=user)
            for key in (keys.US_NAME, keys.US_DISPLAY, keys.US_ROLE, keys.US_COUNTY, keys.US_TOWNSHIPS,
                        keys.US_PASSWORD):
                st.session_state.pop(key, None)
            done("us_created", created.name)
        except SurveyError as exc:
            st.error(md(exc), icon=":material/error:")

names = [u.name for u in accounts]
picked = st.selectbox(t("us_pick"), names, key=keys.US_PICK)
chosen = next((u for u in accounts if u.name == picked), None)
if chosen is not None:
    c1, c2 = st.columns(2)
    if chosen.name != user.name and c1.button(
            t("us_enable" if chosen.disabled else "us_disable"), key=keys.US_TOGGLE,
            icon=":material/toggle_on:" if chosen.disabled else ":material/block:"):
        auth.set_disabled(db, chosen.name, not chosen.disabled, by=user)
        done("us_toggled", chosen.name)
    new_password = c2.text_input(t("us_new_password"), key=keys.US_NEW_PASSWORD, type="password")
    if c2.button(t("us_set_password"), key=keys.US_SET_PASSWORD, icon=":material/key:"):
        try:
            auth.set_password(db, chosen.name, new_password, by=user)
            st.session_state.pop(keys.US_NEW_PASSWORD, None)
            done("us_password_set", chosen.name)
        except SurveyError as exc:
            st.error(md(exc), icon=":material/error:")
    with st.form(f"{keys.US_SCOPE_FORM}_{chosen.name}"):  # per account: its values as defaults
        c1, c2, c3 = st.columns(3)
        role = c1.selectbox(t("us_role"), auth.ROLES, index=auth.ROLES.index(chosen.role),
                            key=f"{keys.US_SCOPE_ROLE}_{chosen.name}", format_func=nav.role_label)
        county = c2.text_input(t("us_county"), chosen.county, key=f"{keys.US_SCOPE_COUNTY}_{chosen.name}")
        towns = c3.text_input(t("us_townships"), ",".join(chosen.townships),
                              key=f"{keys.US_SCOPE_TOWNSHIPS}_{chosen.name}")
        if st.form_submit_button(t("us_set_scope"), icon=":material/edit_location:"):
            try:
                auth.set_scope(db, chosen.name, role, county.strip(), towns.replace("，", ",").split(","),
                               by=user)
                done("us_scope_set", chosen.name)
            except SurveyError as exc:
                st.error(md(exc), icon=":material/error:")

with st.expander(t("us_audit"), icon=":material/history:"):
    st.dataframe([{t("rv_col_at"): when(e.at), t("rv_col_actor"): e.actor or "",
                   t("rv_col_action"): audit_view.action_label(e.action),
                   t("col_code"): e.village or e.entity_id or "",
                   t("au_col_values"): audit_view.values(e.after)} for e in audit.recent(db, user)],
                 hide_index=True, key=keys.US_AUDIT)
