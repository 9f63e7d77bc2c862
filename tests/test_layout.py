"""House rules that can be checked mechanically."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = sorted((ROOT / "survey").rglob("*.py")) + sorted((ROOT / "geo").rglob("*.py"))
PAGES = sorted((ROOT / "pages").glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_never_imports_streamlit(path):
    assert not imported_modules(path) & {"streamlit", "streamlit_folium", "ui"}


@pytest.mark.parametrize("path", PAGES + [ROOT / "app.py"], ids=lambda p: str(p.relative_to(ROOT)))
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
