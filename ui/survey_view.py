"""The Streamlit parts of the tablet page (pages/tablet.py): the surveyor's name, the village
picker with each village's status, and what goes beside the checklist. The checklist itself
(answers, evidence, veto, position, submit) runs in the browser: ``ui/tablet.py``.
"""

from __future__ import annotations

from decimal import Decimal

import streamlit as st

from core import config
from core.model import Village
from survey import auth, fieldwork, review
from survey.auth import User
from survey.rubric import Rubric
from ui import keys, pickers, shell, tenstar_view
from ui.text import plain, t

#: Large touch targets for gloved fingers on the Streamlit widgets of the page (the checklist
#: has its own, ui/components/tablet/tablet.css); served inline (no CDN).
CSS = """<style>
.stApp [data-baseweb="select"] > div {min-height: 3rem;}
.stApp [data-testid="stTextInput"] input {min-height: 3rem; font-size: 1.1rem !important;}
.stApp [data-testid="stExpander"] summary {min-height: 3rem;}
.stApp button[kind] {min-height: 3rem;}
</style>"""


def num(value: Decimal) -> str:
    """A score as people write it: 32, 84.5 (no trailing zeros)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- reads (cached on the data version) ----------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _villages(db_path: str, data_version: int, user: User) -> list[Village]:
    return fieldwork.villages(db_path, user)


def villages(user: User) -> list[Village]:
    return _villages(str(shell.db()), shell.version(), user)


# --- the village picker --------------------------------------------------------------------------


def surveyor_name(user: User) -> str:
    """The name the assessment is signed with: a surveyor's own display name (fixed); an admin
    entering paper forms may type another (kept in the URL, so a reload keeps it)."""
    fixed = user.role == auth.SURVEYOR
    if fixed:
        st.session_state[keys.SV_SURVEYOR] = user.display_name
    elif keys.SV_SURVEYOR not in st.session_state:
        from_url = st.query_params.get(keys.SV_SURVEYOR)
        st.session_state[keys.SV_SURVEYOR] = from_url or user.display_name
    name = st.text_input(t("sv_surveyor"), key=keys.SV_SURVEYOR, max_chars=40, disabled=fixed,
                         help=t("sv_surveyor_help"), icon=":material/badge:").strip()
    shell.to_url(keys.SV_SURVEYOR, None if fixed else name)
    return name


def pick_village(user: User, round_id: str, surveyor: str) -> tuple[Village | None, str]:
    """Township and village selects (codes kept in the URL) within the user's scope, with each
    village's status this round (``submitted``, ``draft`` or ``todo``), in pinyin order; the
    village found by pinyin too (``ui.pickers``). Returns the chosen village and its status."""
    everyone = villages(user)
    names = {v.township_code: v.township for v in everyone}
    status = fieldwork.round_status(shell.db(), user, round_id, surveyor)
    shell.from_url(keys.SV_TOWN, names)
    shell.from_url(keys.SV_VILLAGE, {v.code for v in everyone})
    left, right = st.columns([1, 2])
    town = left.selectbox(t("sv_town"), pickers.pinyin_sorted(names, names.get), index=None, key=keys.SV_TOWN,
                          format_func=names.get, placeholder=t("sv_all_towns"),
                          filter_mode="contains")
    shown = {v.code: v for v in everyone if town is None or v.township_code == town}
    label = {c: f"{v.name} · {t('sv_status_' + status.get(c, 'todo'))}" for c, v in shown.items()}
    chosen = st.session_state.get(keys.SV_VILLAGE)
    if chosen in label and st.session_state.get(keys.SV_VILLAGE_LABEL) not in (None, label[chosen]):
        # its status changed (a submit): the browser shows the label it was sent and would send
        # the old one back (no such option: the picker would empty); set it to send the new one
        st.session_state[keys.SV_VILLAGE] = chosen
    code = pickers.pinyin_select(t("sv_village"), list(shown), lambda c: shown[c].name, keys.SV_VILLAGE,
                                 format_func=label.get, container=right, index=None,
                                 placeholder=t("sv_pick_village"), filter_mode="contains")
    st.session_state[keys.SV_VILLAGE_LABEL] = label.get(code) if code else None
    shell.to_url(keys.SV_TOWN, town)
    shell.to_url(keys.SV_VILLAGE, code)
    counts = {s: sum(1 for c in shown if status.get(c, "todo") == s)
              for s in ("submitted", "draft", "todo")}
    st.caption(t("sv_progress", **counts))
    return (shown.get(code) if code else None), status.get(code or "", "todo")


def notice(user: User, round_id: str, village: Village, surveyor: str, status: str,
           draft: fieldwork.Draft) -> None:
    """Above the checklist: the round closed to the tablet (``fieldwork.round_closed``); the
    office's comment on the village's returned submission, while the surveyor corrects it (with
    the reviewer's display name); or the village submitted already this round."""
    rnd = next((r for r in shell.rounds() if r.id == round_id), None)
    returned = review.awaiting_correction(shell.db(), user, round_id, village.code, surveyor)
    if rnd is not None and fieldwork.round_closed(rnd, config.today()):
        st.warning(t("sv_round_closed", round=rnd.id, end=rnd.end_date, margin=config.ROUND_DATE_MARGIN_DAYS),
                   icon=":material/event_busy:")
    if returned is not None:
        with st.container(key=keys.SV_RETURNED):
            st.warning(t("sv_returned", by=returned.reviewer, comment=returned.comment or ""),
                       icon=":material/undo:")
    elif status == "submitted" and not draft.answers:
        st.info(t("sv_already"), icon=":material/info:")


def asides(user: User, village: Village, round_id: str) -> dict[str, list[str]]:
    """Plain lines to show under a section's heading of the checklist (section code -> lines):
    the village's household figures beside the ten-star section (the full panel with the
    households to spot-check is drawn above the checklist by :func:`households`)."""
    return tenstar_view.aside(user, village.code, round_id)


def households(user: User, village: Village, round_id: str, rubric: Rubric) -> None:
    """The household register's panel (figures and the spot check) above the checklist, when
    the round's rubric has the ten-star section."""
    if any(section.code == tenstar_view.SECTION for section in rubric.sections):
        tenstar_view.beside(user, tenstar_view.SECTION, village.code, round_id)


def office_vetoes(user: User, village: Village, rubric: Rubric) -> list[str]:
    """Plain lines naming the vetoes the county office confirmed that apply to the village
    today (its own records and its township's), each with its date, source, document and last
    day in force: the checklist shows them as applying already, above everything the surveyor
    answers."""
    names = {v.code: v.name for v in rubric.veto}
    return [plain("sv_office_veto", item=r.item, name=names.get(r.item, ""), date=r.date, source=r.source,
                  document=r.document or "—", until=r.last_day)
            for r in fieldwork.vetoes_in_force(shell.db(), user, village.code)]


def gps_limits(user: User, village: Village) -> dict[str, float]:
    """The county's limits for the surveyor's position (settings ``gps_accuracy_m``,
    ``gps_distance_m``), which the checklist warns with."""
    return fieldwork.position_limits(shell.db(), user, village)
