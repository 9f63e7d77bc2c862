"""Pickers of townships and villages as Chinese software has them: options sorted by pinyin,
and a search box beside the picker that finds by pinyin initials or full pinyin (``qs`` or
``qingshi`` finds 青石村) as well as by characters and codes. Streamlit's own select box only
filters by the label text, so the search box narrows the options, and the first match is
chosen at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from core.pinyin import matches, sort_key
from ui.text import md, plain, t


def pinyin_sorted(options: Sequence[Any], name: Callable[[Any], str]) -> list[Any]:
    """``options`` in pinyin order of their names."""
    return sorted(options, key=lambda o: sort_key(name(o)))


def pinyin_select(label, options: Sequence[Any], name: Callable[[Any], str], key: str, *,
                  keep: Sequence[Any] = (), format_func: Callable[[Any], str] | None = None,
                  container=None, **select: Any) -> Any:
    """A select box of ``options`` (sorted by the pinyin of ``name(option)``, ``keep`` first and
    always shown, e.g. "all"), with a search box (key ``key + "_q"``) before it that narrows the
    options to those whose name (or the option itself: a code) the query finds. ``select``: more
    arguments of the select box (``index=None`` and a ``placeholder``: nothing chosen until the
    user picks or searches). Returns the chosen option (None when nothing matches or nothing is
    chosen)."""
    box = container or st
    query_key = f"{key}_q"
    c1, c2 = box.columns([1, 2])
    query = c1.text_input(t("pinyin_search"), key=query_key, placeholder=plain("pinyin_search_hint"))
    ordered = pinyin_sorted([o for o in options if o not in keep], name)
    found = [o for o in ordered if matches(query, name(o)) or str(query).strip() in str(o)] \
        if query.strip() else ordered
    shown = [*keep, *found] if not query.strip() else found or [*keep]
    if query.strip() and found and st.session_state.get(key) not in found:
        st.session_state[key] = found[0]  # typing "qs" chooses 青石村 at once
    elif st.session_state.get(key) not in shown and key in st.session_state:
        del st.session_state[key]
    if query.strip() and not found:
        c1.caption(t("pinyin_no_match", q=query))
    return c2.selectbox(md(label), shown, key=key, format_func=format_func or name, **select)
