"""Leaflet without the internet: served by the app itself, or inlined into a standalone file.

folium 0.20 loads Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs by
default. Our maps use none of the extras (no Marker icons, no Bootstrap popups), so
:class:`OfflineMap` keeps Leaflet only, taken from the ``xstatic-leaflet`` package:

- in the web app, :func:`install_static` copies Leaflet into the app's ``static/`` folder
  (Streamlit's ``server.enableStaticServing`` serves it under ``/app/static/``; Streamlit
  refuses symlinks that leave the folder, hence a copy). The copy carries its own
  ``.gitignore`` so it is never committed. streamlit-folium loads ``default_js``/``default_css``
  from those URLs inside its component frame;
- for a standalone file, :func:`standalone_html` inlines Leaflet's JS and CSS (images as data
  URIs) so the file opens from ``file://`` with no network at all.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import folium
import xstatic.pkg.leaflet as xleaflet
from branca.element import Element

LEAFLET_DIR = Path(xleaflet.BASE_DIR)
LEAFLET_VERSION: str = xleaflet.VERSION
#: Folder under the app's static dir holding this Leaflet version.
STATIC_NAME = f"leaflet-{LEAFLET_VERSION}"
#: Leaflet's URL as seen from streamlit-folium's component frame, which Streamlit serves at
#: ``<base>/component/streamlit_folium.st_folium/index.html``; relative, so a
#: ``server.baseUrlPath`` keeps working.
STATIC_URL = f"../../app/static/{STATIC_NAME}/"
_FILES = ("leaflet.js", "leaflet.css")


class OfflineMap(folium.Map):
    """A folium map that loads Leaflet (and nothing else) from the app's own static files."""

    default_js: ClassVar[list[tuple[str, str]]] = [("leaflet", STATIC_URL + "leaflet.js")]
    default_css: ClassVar[list[tuple[str, str]]] = [("leaflet_css", STATIC_URL + "leaflet.css")]


def install_static(static_dir: str | os.PathLike) -> Path:
    """Copy Leaflet's JS, CSS and images from the installed package into
    ``static_dir/leaflet-<version>/`` unless already there; return that folder. Safe when
    several sessions start at once (copy to a temporary folder, then rename)."""
    static_dir = Path(static_dir)
    target = static_dir / STATIC_NAME
    if all((target / name).is_file() for name in _FILES):
        return target
    static_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{STATIC_NAME}.", dir=static_dir))
    try:
        for name in _FILES:
            shutil.copy2(LEAFLET_DIR / name, tmp / name)
        shutil.copytree(LEAFLET_DIR / "images", tmp / "images")
        (tmp / ".gitignore").write_text("# copied from the xstatic-leaflet package at start-up\n*\n")
        tmp.chmod(0o755)
        try:
            tmp.rename(target)
        except OSError:  # another session won the race, or a stale partial copy is in the way
            if not all((target / name).is_file() for name in _FILES):
                shutil.rmtree(target, ignore_errors=True)
                tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's JavaScript source."""
    return (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images inlined as data URIs."""
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = (LEAFLET_DIR / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)


class _Raw(Element):
    """Text put into the page as is (no Jinja: Leaflet's source is not a template)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


def standalone_html(m: folium.Map) -> str:
    """The whole HTML page of ``m`` with Leaflet inlined: it opens from a file with no network.
    ``m`` is used up: it no longer links the served Leaflet afterwards."""
    m.default_js, m.default_css = [], []  # instance attributes: no <script src>, no <link>
    fig = m.get_root()
    fig.header.add_child(_Raw(f"<style>{leaflet_css()}</style>"), name="leaflet_css")
    fig.header.add_child(_Raw(f"<script>{leaflet_js()}</script>"), name="leaflet")
    return fig.render()
