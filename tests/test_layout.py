"""House rules that can be checked mechanically: the layers' arrows, SQL only in the store,
thin pages, constant widget keys, no CDN."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = sorted((ROOT / "survey").rglob("*.py")) + sorted((ROOT / "geo").rglob("*.py"))
PAGES = sorted((ROOT / "pages").glob("*.py"))
#: The layers, bottom first: each package may import only itself and the layers below it.
LAYERS = ("core", "geo", "survey", "ui", "pages")
OURS = set(LAYERS) | {"app", "bench", "tests"}


def imported_names(source: str) -> set[str]:
    """Every module a source imports (dotted, as written, with the names taken from it), at
    any depth of the file (imports inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def imported_modules(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_names(path.read_text(encoding="utf-8"))}


def wrong_arrows(layer: str, source: str) -> list[str]:
    """The imports of ``source`` (a module of ``layer``) that point up or sideways: a package of
    a higher layer, streamlit below ``ui``, the store from ``ui`` or the pages."""
    allowed = set(LAYERS[:LAYERS.index(layer) + 1])
    wrong = []
    for name in sorted(imported_names(source)):
        top = name.split(".")[0]
        if ((top in OURS and top not in allowed)
                or (top in ("streamlit", "streamlit_folium") and layer in ("core", "geo", "survey"))
                or (layer in ("ui", "pages") and (name == "survey.store" or name.startswith("survey.store.")))):
            wrong.append(name)
    return wrong


def _layer_files() -> list:
    files = [pytest.param(layer, p, id=str(p.relative_to(ROOT)))
             for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))]
    return files + [pytest.param("pages", ROOT / name, id=name) for name in ("app.py", "serve.py")]


@pytest.mark.parametrize("layer, path", _layer_files())
def test_every_import_points_down_the_layers(layer, path):
    assert wrong_arrows(layer, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("layer, source, wrong", [
    ("core", "from survey.auth import User", ["survey.auth", "survey.auth.User"]),
    ("core", "import geo.crs", ["geo.crs"]),
    ("geo", "from survey.model import Village", ["survey.model", "survey.model.Village"]),
    ("geo", "def f():\n    import ui.text", ["ui.text"]),
    ("survey", "import streamlit as st", ["streamlit"]),
    ("survey", "from ui import keys", ["ui", "ui.keys"]),
    ("ui", "from survey import store", ["survey.store"]),
    ("ui", "from survey.store.drafts import save_draft", ["survey.store.drafts", "survey.store.drafts.save_draft"]),
    ("pages", "from survey import auth, store", ["survey.store"]),
    ("ui", "import pages.map", ["pages.map"]),
])
def test_the_layout_check_catches_an_arrow_drawn_the_wrong_way(layer, source, wrong):
    assert wrong_arrows(layer, source) == wrong


def test_the_layout_check_lets_the_right_arrows_pass():
    assert wrong_arrows("survey", "from core.errors import DataError\nfrom geo.io import Road") == []
    assert wrong_arrows("pages", "from survey import auth, review\nfrom ui import keys") == []
    assert wrong_arrows("geo", "from core.constants import WGS84\nimport shapely") == []


@pytest.mark.parametrize("path", [*PAGES, ROOT / "app.py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_hold_no_sql_and_no_yaml(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b .*\b(FROM|INTO|SET)\b", text)
    assert not imported_modules(path) & {"sqlite3", "sqlite_utils", "yaml", "pyproj"}


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_are_thin(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 150


def test_sql_lives_only_in_the_store():
    offenders = [p.relative_to(ROOT) for p in DOMAIN + PAGES
                 if "store" not in p.relative_to(ROOT).parts and "sqlite_utils" in imported_modules(p)]
    assert offenders == []


def test_no_cdn_addresses_in_code():
    pattern = re.compile(r"https?://(cdn\.|cdnjs\.|code\.jquery|unpkg\.com|fonts\.googleapis|netdna\.)")
    hits = [str(p.relative_to(ROOT)) for p in list(ROOT.glob("*.py")) + DOMAIN + PAGES
            + sorted((ROOT / "ui").glob("*.py")) if pattern.search(p.read_text(encoding="utf-8"))]
    assert hits == []


def test_widget_keys_are_constants():
    """Pages never spell a session-state key as a string literal in session_state[...]."""
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"session_state\[\s*['\"]", text), path.name
        assert not re.search(r"session_state\.get\(\s*['\"]", text), path.name


def test_every_page_url_is_its_file_name():
    """Until a session has called st.navigation, Streamlit resolves a URL against the files of
    pages/ (its legacy multipage mode): a page's url_path must be its file's stem, or the first
    visitor after a server restart gets "Page not found"."""
    from ui.nav import PAGES as ROUTED

    assert {page_id: Path(path).stem for page_id, (path, *_rest) in ROUTED.items()} == \
        {page_id: page_id for page_id in ROUTED}
    files = {Path(path).name for path, *_rest in ROUTED.values()} | {"login.py"}
    assert files == {p.name for p in PAGES}  # every page file is routed, none is left out


def test_the_readme_names_every_module_in_its_layout():
    """A newcomer finds every module in the README's layout table, and no module it names is gone."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = text[text.index("\n## Layout\n"):]
    layout = layout[:layout.index("\n## ", 5)]
    named = set(re.findall(r"^\| `([\w/]+\.py)` \|", layout, flags=re.M))
    modules = {str(p.relative_to(ROOT)) for d in ("core", "geo", "survey", "ui", "pages", "bench", "tools")
               for p in (ROOT / d).rglob("*.py")
               if "node_modules" not in p.parts
               and (p.name != "__init__.py" or p.parent.name in ("store", "endpoints"))}
    modules |= {"app.py", "serve.py"}
    assert modules - named == set(), "modules missing from the README's layout"
    assert named - modules == set(), "the README's layout names modules that are gone"
