"""登录: sign in. The demo database lists its trial accounts; a database with no account says how
to create the first administrator from the command line."""

import streamlit as st

from core.errors import UsageError
from survey import audit, auth, service
from survey.rubric import load_rubric
from ui import keys, nav, shell
from ui.text import md, t

nav.through_router()
db = shell.db()
st.title(t("login_title"), anchor=False)
notice = st.session_state.get(keys.AUTH_NOTICE)  # until signed in (nav.sign_in)
if notice:
    st.info(t(notice), icon=":material/info:")

if not auth.has_users(db):
    st.warning(t("login_no_users"), icon=":material/person_add:")
    st.code(nav.FIRST_ADMIN, language="bash")
    st.stop()

with st.form(keys.LOGIN_FORM, clear_on_submit=True):
    name = st.text_input(t("login_name"), key=keys.LOGIN_NAME, max_chars=32)
    password = st.text_input(t("login_password"), key=keys.LOGIN_PASSWORD, type="password")
    if st.form_submit_button(t("login_submit"), type="primary", icon=":material/login:", key=keys.LOGIN_SUBMIT):
        try:
            user = auth.login(db, name, password)
        except UsageError as exc:
            st.error(md(exc), icon=":material/error:")
        else:
            audit.note_rubric(db, load_rubric(), "data/rubric")  # the rubric files may have changed
            nav.sign_in(user)
            st.rerun()

if service.is_demo(db):
    st.info(t("login_demo"), icon=":material/science:")
    st.dataframe([{t("login_col_account"): a.name, t("login_col_password"): a.password,
                   t("login_col_role"): nav.role_label(a.role)} for a in auth.DEMO_ACCOUNTS],
                 hide_index=True, key=keys.LOGIN_DEMO_TABLE)
