"""乡风 Xiangfeng — the server: ``streamlit run serve.py`` (``make run``).

Streamlit's ``st.App`` serves the pages routed by ``app.py`` and, beside them, the app's own
HTTP routes (``ui/endpoints``): the HttpOnly sign-in cookie (``/auth/session``) and the OpenRosa
server ODK Collect sends to (``/odk``); later a tablet sync endpoint. ``streamlit run app.py`` still
serves the pages, but without these routes a sign-in does not survive a reload.
"""

import streamlit as st

from ui import endpoints

app = st.App("app.py", routes=endpoints.routes())
