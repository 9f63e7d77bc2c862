"""乡风 Xiangfeng — the web app. This file only routes: ``streamlit run app.py``."""

from pathlib import Path

import streamlit as st

from ui import shell
from ui.text import t

HERE = Path(__file__).parent

st.set_page_config(page_title=t("app_title"), page_icon=":material/holiday_village:", layout="wide")

PAGES = {
    t("group_field"): [
        st.Page(HERE / "pages/survey.py", title=t("nav_survey"), icon=":material/fact_check:",
                url_path="survey", default=True),
    ],
    t("group_office"): [
        st.Page(HERE / "pages/dashboard.py", title=t("nav_dashboard"), icon=":material/flag:",
                url_path="dashboard"),
        st.Page(HERE / "pages/map.py", title=t("nav_map"), icon=":material/map:", url_path="map"),
        st.Page(HERE / "pages/export.py", title=t("nav_export"), icon=":material/upload_file:",
                url_path="export"),
        st.Page(HERE / "pages/setup.py", title=t("nav_setup"), icon=":material/settings:",
                url_path="setup"),
    ],
}

page = st.navigation(PAGES)
shell.sidebar()
page.run()
