"""The tablet's checklist component (ui/components/tablet) follows the house rules by reading:
text from data reaches the page only as text (no HTML sink in its scripts), nothing is loaded
from elsewhere (no URL, no import), every catalogue text it shows exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import WARNINGS
from ui import tablet
from ui.text import TEXT

FOLDER = Path(tablet.__file__).resolve().parent / "components" / "tablet"
SOURCES = sorted(FOLDER.glob("*.js")) + sorted(FOLDER.glob("*.css"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_html_sink_no_code_from_text_and_nothing_from_elsewhere(path):
    text = path.read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "createContextualFragment", "srcdoc"):
        assert sink not in text, (path.name, sink)
    assert not re.search(r"https?://", text), path.name  # no CDN, no other server
    assert not re.search(r"^\s*import\s", text, re.MULTILINE), path.name  # one self-contained module
    assert "setTimeout(\"" not in text and "setTimeout('" not in text


def test_every_text_the_checklist_shows_is_in_the_catalogue():
    script = (FOLDER / "tablet.js").read_text(encoding="utf-8")
    used = set(re.findall(r"\bt\.(\w+)", script))
    used |= {f"tab_flag_{kind}" for kind in ("note", "photo")}  # t[`tab_flag_${f}`]
    used |= {f"sv_missing_{kind}" for kind in ("answer", "note", "photo")}  # t[`sv_missing_${m.kind}`]
    known = set(TEXT) | {"rule_count"} | set(WARNINGS)
    assert used - known == set()
    assert used <= {k for k in known if k.startswith(("sv_", "tab_"))} | {"rule_count", "gps_accuracy", "gps_distance"}


def test_the_script_parts_are_the_files_of_the_folder():
    assert set(tablet.SCRIPTS) == {p.name for p in FOLDER.glob("*.js")}
