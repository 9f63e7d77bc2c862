"""Our own small Streamlit component for what only the browser can do: its position, and the
app's cookies. No build step and no third-party code: ``ui/components/browser/index.html``.

Each call is one action, run once by the browser in a hidden frame (height 0) and answered back.
The answer comes with a rerun; until then the call returns None. Give every new request a new
``key`` (an old key returns the old answer). Streamlit serves the frame from the app's own
origin (``/component/ui.browser.xf_browser/index.html``), so a cookie written there is the
app's cookie, sent with the page's next connection (``st.context.cookies``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

_component = components.declare_component(
    "xf_browser", path=str(Path(__file__).resolve().parent / "components" / "browser"))


def geolocation(key: str) -> dict[str, Any] | None:
    """The browser's position as ``{"coords": {"latitude", "longitude", "accuracy"},
    "timestamp"}``, or ``{"error": {"code", "message"}}`` (1 denied, 2 unavailable, 3 timed
    out); None until the browser answers."""
    return _component(action="geolocation", key=key, default=None)


def set_cookie(name: str, value: str, max_age_s: int, key: str) -> bool:
    """Write the cookie ``name`` (URI-encoded value; Path=/, SameSite=Strict, Secure on https)
    for ``max_age_s`` seconds; True once the browser has written it."""
    return _component(action="set_cookie", name=name, value=value, max_age_s=int(max_age_s),
                      key=key, default=None) is not None


def clear_cookie(name: str, key: str) -> bool:
    """Delete the cookie ``name``; True once the browser has done it."""
    return _component(action="clear_cookie", name=name, key=key, default=None) is not None
