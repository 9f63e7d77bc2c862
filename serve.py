"""乡风 Xiangfeng — the server: ``streamlit run serve.py`` (``make run``).

Streamlit's ``st.App`` serves the pages routed by ``app.py`` and, beside them, the app's own
HTTP routes (``ui/endpoints``): the HttpOnly sign-in cookie (``/auth/session``) and the OpenRosa
server ODK Collect sends to (``/odk``); later a tablet sync endpoint. ``streamlit run app.py`` still
serves the pages, but without these routes a sign-in does not survive a reload.

At start-up Leaflet is copied into ``static/`` (served by Streamlit's static serving), so the
first map anybody opens finds it there already.
"""

from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

from geo.offline import install_static
from ui import endpoints


@asynccontextmanager
async def lifespan(_app):
    install_static(Path(__file__).resolve().parent / "static")
    yield


app = st.App("app.py", routes=endpoints.routes(), lifespan=lifespan)
