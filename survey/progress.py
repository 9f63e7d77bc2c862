"""Progress of a round for the county office: per surveyor and per township, how many villages
are assigned, have a draft, were submitted (waiting or approved) or were returned.

A village counts once, in the furthest state reached: submitted (its newest submission waits
for review or was approved) > returned (its newest submission was returned and not yet
resubmitted) > draft > not started. A surveyor's villages are those of their scope (their
townships, or the whole county); their counts are of their own drafts and submissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import UsageError
from core.model import STATUS_RETURNED
from survey import store
from survey.auth import SURVEYOR, User, users

SUBMITTED, RETURNED, DRAFT, TODO = "submitted", "returned", "draft", "todo"
_RANK = {SUBMITTED: 3, RETURNED: 2, DRAFT: 1, TODO: 0}


@dataclass(frozen=True)
class Row:
    """One line of the progress tables: a surveyor (display name) or a township (its name)."""

    key: str
    name: str
    assigned: int
    todo: int
    drafts: int
    submitted: int
    returned: int


@dataclass(frozen=True)
class Progress:
    surveyors: list[Row]
    townships: list[Row]


def _states(rows: dict[str, list[dict[str, Any]]], surveyor: str | None = None) -> dict[str, str]:
    """Village code -> furthest state (only of ``surveyor``'s work when given)."""
    states: dict[str, str] = {}

    def reach(code: str, state: str) -> None:
        if _RANK[state] > _RANK[states.get(code, TODO)]:
            states[code] = state

    for d in rows["drafts"]:
        if surveyor is None or d["surveyor"] == surveyor:
            reach(d["village_code"], DRAFT)
    for s in rows["submissions"]:
        if surveyor is not None and s["surveyor"] != surveyor:
            continue
        if s["status"] != STATUS_RETURNED:
            reach(s["village_code"], SUBMITTED)
        elif not s["superseded"]:
            reach(s["village_code"], RETURNED)
    return states


def _row(key: str, name: str, villages: list[str], states: dict[str, str]) -> Row:
    counts = dict.fromkeys(_RANK, 0)
    for code in villages:
        counts[states.get(code, TODO)] += 1
    return Row(key, name, len(villages), counts[TODO], counts[DRAFT], counts[SUBMITTED], counts[RETURNED])


def round_progress(db_path: str | Path, user: User, round_id: str) -> Progress:
    """The progress of ``round_id`` within the user's scope (reviewers and administrators):
    one row per active surveyor account whose scope meets it, one per township."""
    if not user.reviews:
        raise UsageError("forbidden")
    store.get_round(db_path, round_id)
    scope = user.scope
    rows = store.progress_rows(db_path, round_id, scope.county, scope.townships)
    codes = [v["code"] for v in rows["villages"]]
    by_town: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for v in rows["villages"]:
        by_town.setdefault(v["township_code"], []).append(v["code"])
        names[v["township_code"]] = v["township"]
    everyone = _states(rows)
    towns = [_row(code, names[code], villages, everyone) for code, villages in by_town.items()]
    people = []
    for account in users(db_path):
        if account.role != SURVEYOR or account.disabled or not scope.allows_county(account.county):
            continue
        theirs = [c for c in codes if account.scope.allows(c)]
        if theirs:
            people.append(_row(account.name, account.display_name, theirs, _states(rows, account.display_name)))
    return Progress(surveyors=people, townships=towns)
