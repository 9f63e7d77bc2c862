"""Our own small Streamlit component for what only the browser can do: its position, and the
app's sign-in cookie. No build step and no third-party code: ``ui/components/browser/index.html``.

Each call is one action, run once by the browser in a hidden frame (height 0) and answered back.
The answer comes with a rerun; until then the call returns None. Give every new request a new
``key`` (an old key returns the old answer). Streamlit serves the frame from the app's own
origin (``/component/ui.browser.xf_browser/index.html``), so its requests to the app's routes
(``ui/endpoints``) carry and receive the app's cookies. The frame never writes a cookie itself:
the sign-in cookie is HttpOnly, set and deleted only by the server's answers.
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


def hand_over_session(code: str, user: str, key: str) -> int | None:
    """Post the one-time ``code`` of ``user`` (``survey.auth.start_handoff``) to
    ``/auth/session``, whose answer sets the HttpOnly session cookie; the HTTP status once the
    browser has its answer (204: cookie set; 0: no answer)."""
    answer = _component(action="hand_over_session", code=code, user=user, key=key, default=None)
    return None if answer is None else int(answer.get("status", 0))


def end_session(key: str) -> int | None:
    """``DELETE /auth/session``: the server ends the session of the cookie and deletes it; the
    HTTP status once the browser has its answer."""
    answer = _component(action="end_session", key=key, default=None)
    return None if answer is None else int(answer.get("status", 0))


def viewport(key: str, min_width: int, max_width: int) -> dict[str, Any] | None:
    """The browser window's size ``{"width", "height"}`` in CSS pixels when it is portrait
    (taller than wide) and ``min_width`` < width ≤ ``max_width``; None otherwise (the browser
    then never answers: no rerun)."""
    return _component(action="viewport", key=key, min_width=min_width, max_width=max_width, default=None)
