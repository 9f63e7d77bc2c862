"""The tablet's checklist as our own Streamlit component (``st.components.v2``): rendered and
scored in the browser from the rubric's JSON and the village's draft, so that a tap shows its
effect at once and the work goes on while Streamlit's WebSocket is down.

The component runs in the page's own document (no iframe): ``ui/components/tablet/`` holds
``rules.js`` (the scoring rules, the same as ``survey/scoring.py``, checked against it by
``tests/test_tablet_rules.py``), ``exif.js`` (a photo's header and EXIF, SHA-256) and
``tablet.js`` (the page: a queue of changes in the tablet's localStorage, photos in IndexedDB,
sent to the app's own routes ``/tablet/…`` of ``ui/endpoints/tablet.py``), and ``tablet.css``.
No third-party code, no build step: the files are read as they are.

Everything the browser shows comes from :func:`payload` as data and is put on the page as
text (``textContent``), never as HTML.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import streamlit as st

from core import limits
from core.errors import WARNINGS
from core.model import Village
from survey import fieldwork, photos, settings
from survey.auth import User
from survey.rubric import Rubric
from ui import endpoints, keys
from ui.endpoints.tablet import BASE, photo_json
from ui.text import TEXT, lang, template

FOLDER = Path(__file__).resolve().parent / "components" / "tablet"
#: The parts of the component's script, in order (classic scripts first, the module last).
SCRIPTS = ("rules.js", "exif.js", "tablet.js")


@functools.cache
def _component():
    js = "\n".join((FOLDER / name).read_text(encoding="utf-8") for name in SCRIPTS)
    css = (FOLDER / "tablet.css").read_text(encoding="utf-8")
    return st.components.v2.component("xf_tablet", js=js, css=css, isolate_styles=True)


def texts() -> dict[str, str]:
    """The catalogue's texts the checklist shows (plain templates, in the page's language), and
    the GPS warnings of the domain's catalogue."""
    out = {key: template(key) for key in TEXT if key.startswith(("sv_", "tab_"))}
    out["rule_count"] = template("rule_count")
    index = 1 if lang() == "en" else 0
    for key in ("gps_accuracy", "gps_distance"):
        out[key] = WARNINGS[key][index]
    return out


def payload(user: User, rubric: Rubric, village: Village, draft: fieldwork.Draft,
            pictures: list[fieldwork.PhotoInfo], asides: dict[str, list[str]] | None = None,
            office_vetoes: list[str] | None = None,
            gps_limits: dict[str, float] | None = None) -> dict[str, Any]:
    """What the browser needs to render and score one village's checklist on its own: whose
    queue it is (account, round, village, surveyor), where to send it, the rubric's JSON
    (grade order kept), the draft and its photos, the texts and limits.

    ``asides``: plain lines shown under a section's heading (section code -> lines), the place
    for a village's household figures beside the ten-star section. ``office_vetoes``: plain
    lines naming the vetoes the county office confirmed that apply to the village, shown as
    applying already above everything the surveyor answers (the surveyor's own answer to the
    veto question is a report, counted once the office confirms it). ``gps_limits``: the
    county's limits for the position (``accuracy_m``, ``distance_m``; default: the settings
    file's)."""
    rubric_json = rubric.to_json()
    return {
        "key": {"account": user.name, "round": draft.round_id, "village": village.code,
                "surveyor": draft.surveyor},
        "api": endpoints.prefix() + BASE,
        "village": {"code": village.code, "name": village.name, "township": village.township,
                    "lon": village.lon, "lat": village.lat},
        "rubric": rubric_json,
        "rubric_version": rubric.version,
        "grade_order": {i["code"]: list(i["grades"]) for s in rubric_json["sections"]
                        for i in s["items"] if i.get("grades")},
        "draft": draft.state(),
        "photos": [photo_json(p) for p in pictures],
        "lang": lang(),
        "text": texts(),
        "limits": {"photo_bytes": limits.PHOTO_BYTES, "photo_bytes_text": limits.human_bytes(limits.PHOTO_BYTES),
                   "photo_pixels": limits.PHOTO_PIXELS, "max_side": photos.MAX_SIDE,
                   "note_chars": limits.NOTE_CHARS},
        "gps": gps_limits or _default_gps_limits(),
        "asides": asides or {},
        "office_vetoes": office_vetoes or [],
    }


def _default_gps_limits() -> dict[str, float]:
    local = settings.defaults()
    return {"accuracy_m": float(local.gps_accuracy_m), "distance_m": float(local.gps_distance_m)}


def checklist(data: dict[str, Any]) -> dict[str, Any] | None:
    """Mount the checklist; returns the browser's last event (``{"kind": "submitted", …}``
    after a submit) or None."""
    result = _component()(key=keys.SV_CHECKLIST, data=data, on_event_change=lambda: None)
    return getattr(result, "event", None)
