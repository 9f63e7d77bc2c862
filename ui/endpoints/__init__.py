"""The app's own HTTP routes: the web edge beside Streamlit's pages, served by ``serve.py``
(``st.App``). Like the pages, a route parses its request, calls the use cases of ``survey/``
(never the store) and answers. Each module adds its routes to :func:`routes`.

- ``session``: ``POST /auth/session`` sets the HttpOnly sign-in cookie from a one-time code;
  ``DELETE /auth/session`` ends the session and clears the cookie.
- ``openrosa``: ``/odk``, the app as an OpenRosa server: ODK Collect and KoboCollect download
  the forms and send submissions straight to it (spec ``openrosa.md``).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from ui.endpoints import openrosa, session


def routes(base_url: str | None = None) -> list[BaseRoute]:
    """Every route of the app, under ``base_url`` (default: Streamlit's
    ``server.baseUrlPath``, as Streamlit's own routes)."""
    if base_url is None:
        from streamlit import config

        base_url = config.get_option("server.baseUrlPath") or ""
    prefix = "/" + base_url.strip("/") if base_url.strip("/") else ""
    return [*session.routes(prefix), *openrosa.routes(prefix)]
