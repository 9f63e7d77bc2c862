"""The audit trail in words (review page's village history, accounts page's recent entries):
actions as the office says them (审核通过, not ``review.approved``) and the values before and
after as ``字段：值`` pairs, never raw JSON nor ``None``. Plain text: these go in table cells."""

from __future__ import annotations

from typing import Any

from core.model import STATUS_LABELS
from ui.text import TEXT, lang, plain

#: Longest text of one cell of values (the history stays readable; the database keeps it all).
LIMIT = 200


def _key(prefix: str, code: str) -> str:
    return f"{prefix}{code.replace('.', '_')}"


def action_label(action: str) -> str:
    """``review.approved`` -> 审核通过 (an action the catalogue does not know stays as it is)."""
    key = _key("au_", action)
    return plain(key) if key in TEXT else action


def _field(name: str) -> str:
    key = _key("au_f_", name)
    return plain(key) if key in TEXT else name


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return plain("lg_yes" if value else "lg_no")
    if isinstance(value, str):
        if value in STATUS_LABELS and lang() == "zh":
            return STATUS_LABELS[value]
        key = _key("au_v_", value)
        return plain(key) if key in TEXT else value
    if isinstance(value, dict):
        return "，".join(f"{k} {_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple):
        return "、".join(_value(v) for v in value) or "—"
    return str(value)


def values(data: Any) -> str:
    """The values of an audit row as ``字段：值；字段：值`` ('' when there are none)."""
    if data is None:
        return ""
    if isinstance(data, dict):
        text = "；".join(f"{_field(k)}：{_value(v)}" for k, v in data.items())
    else:
        text = _value(data)
    return text if len(text) <= LIMIT else text[:LIMIT - 1] + "…"
