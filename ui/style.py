"""The app's own look for tablets, in one place (no CDN, no third-party CSS): touch targets at
least 44 px tall (pickers, buttons, inputs, expanders, page links) and sidebar text that wraps;
and the sidebar collapsed at the start on a portrait screen. (A picker's chosen value is an
``<input>``, which cannot wrap: the sidebar writes the round's full name under its picker.)

``st.set_page_config(initial_sidebar_state=...)`` runs before the server knows the screen:
Streamlit 1.67's "auto" collapses the sidebar only up to 768 px wide, so an 800 × 1280 tablet held
upright starts with the sidebar over half its screen. Our browser component reports the window's
size once when it is a portrait window wider than that (``ui.browser.viewport``: any other window
never answers, so causes no rerun); from the next run on, such a window gets
``initial_sidebar_state="collapsed"``, which the page applies at once unless the user has opened
or closed the sidebar themselves (Streamlit remembers that choice).
"""

from __future__ import annotations

import streamlit as st

from ui import browser, keys

#: Streamlit's "auto" collapses the sidebar up to this width (its ``md`` breakpoint, 1.67).
AUTO_COLLAPSE_PX = 768
#: The widest portrait window taken for a tablet held upright (a 12.9" iPad is 1024 × 1366).
PORTRAIT_MAX_PX = 1100

#: The smallest touch target (Apple's and Android's guidelines: 44 pt / 48 dp).
TOUCH_PX = 44

CSS = f"""
<style>
/* touch targets: buttons, pickers (a react-aria combo box in Streamlit 1.67), inputs, expanders,
   the page menu's links */
.stButton button, .stDownloadButton button, .stFormSubmitButton button, [data-testid="stPageLink"] a,
[data-testid="stSidebarNav"] a {{ min-height: {TOUCH_PX}px; }}
[data-testid="stSelectbox"] [role="group"], [data-testid="stMultiSelect"] [role="group"],
[data-testid="stTextInput"] input, [data-testid="stNumberInput"] input, [data-testid="stDateInput"] input,
[data-testid="stTimeInput"] input {{ min-height: {TOUCH_PX}px; box-sizing: border-box; }}
[data-testid="stExpander"] summary {{ min-height: {TOUCH_PX}px; display: flex; align-items: center; }}
[data-testid="stRadio"] label, [data-testid="stCheckbox"] label {{ min-height: {TOUCH_PX}px; align-items: center; }}
/* the sidebar's texts wrap rather than run out of it */
[data-testid="stSidebar"] [data-testid="stCaptionContainer"] {{ overflow-wrap: anywhere; }}
</style>
"""


def apply() -> None:
    """The app's CSS (app.py, once per run); a style-only block takes no room on the page."""
    st.html(CSS)


def _portrait(size: object) -> bool:
    if not isinstance(size, dict):
        return False
    width, height = size.get("width"), size.get("height")
    return isinstance(width, int | float) and isinstance(height, int | float) \
        and AUTO_COLLAPSE_PX < width <= PORTRAIT_MAX_PX and height > width


def sidebar_state() -> str:
    """"collapsed" once the browser has reported a portrait window, else "auto"."""
    return "collapsed" if _portrait(st.session_state.get(keys.VIEWPORT)) else "auto"


def probe() -> None:
    """Ask the browser for its window's size once per session (a hidden frame in the sidebar);
    the answer comes with a rerun, and :func:`sidebar_state` reads it from then on."""
    with st.sidebar:
        browser.viewport(keys.VIEWPORT, AUTO_COLLAPSE_PX, PORTRAIT_MAX_PX)
