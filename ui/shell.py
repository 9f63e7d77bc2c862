"""The shared frame of every page: sidebar (language, round, database), demo banner, caches.

Reads go through small ``st.cache_data`` wrappers keyed on the database path and its
``data_version`` (raised by every write), so a rerun that changes nothing runs no query but one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import streamlit as st

from core import config
from core.model import Round
from survey import service
from survey.auth import User
from ui import keys
from ui.text import code_span, md, t


def db() -> Path:
    """The database of this app: ``$SURVEY_DB``, else ``var/survey.db`` (same rule as the CLI)."""
    return config.db_path()


def version() -> int:
    """The data version of the database (one cheap query per rerun)."""
    return service.data_version(db())


@st.cache_data(show_spinner=False, max_entries=16)
def _rounds(db_path: str, data_version: int) -> list[Round]:
    return service.rounds(db_path)


@st.cache_data(show_spinner=False, max_entries=16)
def _is_demo(db_path: str, data_version: int) -> bool:
    return service.is_demo(db_path)


@st.cache_data(show_spinner=False, max_entries=16)
def _place_names(db_path: str, data_version: int) -> dict[str, str | None]:
    return service.place_names(db_path)


def place_names() -> dict[str, str | None]:
    """County and township code -> name, from the registry."""
    return _place_names(str(db()), version())


def rounds() -> list[Round]:
    return _rounds(str(db()), version())


def from_url(key: str, allowed: Iterable[str]) -> None:
    """A new session starts the widget ``key`` from the URL's ``?key=`` when its value is one of
    ``allowed`` (a reload keeps the village open), else from None."""
    if key not in st.session_state:
        value = st.query_params.get(key)
        st.session_state[key] = value if value in allowed else None


def to_url(key: str, value: str | None) -> None:
    """Keep ``value`` in the URL as ``?key=`` (none when empty), for :func:`from_url`."""
    if value and st.query_params.get(key) != value:
        st.query_params[key] = value
    elif not value and key in st.query_params:
        del st.query_params[key]


def choose_round(round_id: str) -> None:
    """Make ``round_id`` the sidebar's round from the next run on (its box is drawn already:
    setting its value now would raise)."""
    st.session_state[keys.ROUND_PENDING] = round_id


def current_round() -> str | None:
    """The round chosen in the sidebar (the newest by default), or None when there is none."""
    return st.session_state.get(keys.ROUND)


def sidebar(user: User | None = None) -> None:
    """Language switch, round choice and the demo banner; called once by app.py. The database
    file is named to administrators only (where the data lives is not every visitor's business)."""
    with st.sidebar:
        st.radio(t("lang_label"), ["zh", "en"], key=keys.LANG, horizontal=True,
                 format_func=lambda code: {"zh": "中文", "en": "English"}[code])
        all_rounds = rounds()
        pending = st.session_state.pop(keys.ROUND_PENDING, None)
        if pending:  # chosen by a page after this box was drawn (a round just opened)
            st.session_state[keys.ROUND] = pending
        if all_rounds:
            ids = [r.id for r in reversed(all_rounds)]
            if st.session_state.get(keys.ROUND) not in ids:
                st.session_state[keys.ROUND] = ids[0]
            names = {r.id: f"{r.id} · {r.name}" if r.name != r.id else r.id for r in all_rounds}
            chosen = st.selectbox(t("round_label"), ids, key=keys.ROUND, format_func=names.get)
            st.caption(md(names.get(chosen, "")))  # in full: the picker's box cuts a long name off
        else:
            st.session_state.pop(keys.ROUND, None)
            st.info(t("no_round"), icon=":material/info:")
        if user is not None and user.admin:
            st.caption(t("db_label") + ": " + code_span(db()))
    if _is_demo(str(db()), version()):
        st.warning(t("demo_banner"), icon=":material/science:")



def require_round() -> Round:
    """The round chosen in the sidebar (the newest when none is chosen); stops the page with a
    hint when the database has no round yet."""
    all_rounds = rounds()
    if not all_rounds:
        st.info(t("no_round"), icon=":material/info:")
        st.stop()
    chosen = current_round()
    return next((r for r in all_rounds if r.id == chosen), all_rounds[-1])


def pick_county(scope, key: str) -> tuple[str, str]:
    """(code, name) of a county of the registry within ``scope``, chosen in a select box; stops
    the page with a hint when the registry is empty."""
    from survey import auth

    counties = auth.counties_in(db(), scope)
    if not counties:
        st.info(t("no_county"), icon=":material/info:")
        st.stop()
    code = st.selectbox(t("county_label"), list(counties), key=key,
                        format_func=lambda c: f"{counties[c] or c}（{c}）")
    return code, counties[code] or code


#: How date pickers show a date (Chinese order: year, month, day).
DATE_FORMAT = "YYYY/MM/DD"


def uploader(label, types, key: str, multiple: bool = False):
    """``st.file_uploader`` with what its box says in Chinese beside it: Streamlit draws the box's
    own words ("Drag and drop file here", "Browse files", "Limit … per file") in English and
    offers no way to translate them, so a caption right above says it in the page's language."""
    limit = st.get_option("server.maxUploadSize")
    st.caption(t("upload_hint", types="、".join(x.upper() for x in types), mb=limit))
    return st.file_uploader(md(label), type=list(types), accept_multiple_files=multiple, key=key)
