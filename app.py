"""乡风 Xiangfeng — the web app. This file only routes: ``streamlit run app.py``.

Nobody signed in sees only the login page; a signed-in user sees the pages of their role
(``ui.nav``), and every page checks the role again itself.
"""

import streamlit as st

from ui import nav, shell
from ui.text import t

st.set_page_config(page_title=t("app_title"), page_icon=nav.favicon(), layout="wide")

user = nav.current_user()
page = nav.router(user)
shell.sidebar(user)
if user is not None:
    nav.account(user)
nav.cookie_jar()
page.run()
