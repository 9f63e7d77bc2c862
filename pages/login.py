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


def _submitted() -> None:
    """The login button's callback. It runs before the page's next run starts, so a rerun
    arriving at that moment (the browser's first answers right after the page loads) cannot
    cut the sign-in short and lose the tap; a run started by the tap could be."""
    try:
        user = auth.login(db, st.session_state.get(keys.LOGIN_NAME, ""),
                          st.session_state.get(keys.LOGIN_PASSWORD, ""))
    except UsageError as exc:
        st.session_state[keys.LOGIN_ERROR] = md(exc)
    else:
        st.session_state.pop(keys.LOGIN_ERROR, None)
        audit.note_rubric(db, load_rubric(), "data/rubric")  # the rubric files may have changed
        nav.sign_in(user)
        st.session_state[keys.LOGIN_DONE] = True


with st.form(keys.LOGIN_FORM, clear_on_submit=True):
    st.text_input(t("login_name"), key=keys.LOGIN_NAME, max_chars=32)
    st.text_input(t("login_password"), key=keys.LOGIN_PASSWORD, type="password")
    st.form_submit_button(t("login_submit"), type="primary", icon=":material/login:", key=keys.LOGIN_SUBMIT,
                          on_click=_submitted)
failed = st.session_state.get(keys.LOGIN_ERROR)  # until the next try
if failed:
    st.error(md(failed), icon=":material/error:")
if st.session_state.pop(keys.LOGIN_DONE, False):  # signed in by the callback: on to the user's pages
    st.rerun()

if service.is_demo(db):
    st.info(t("login_demo"), icon=":material/science:")
    st.dataframe([{t("login_col_account"): a.name, t("login_col_password"): a.password,
                   t("login_col_role"): nav.role_label(a.role)} for a in auth.DEMO_ACCOUNTS],
                 hide_index=True, key=keys.LOGIN_DEMO_TABLE)
