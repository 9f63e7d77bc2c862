"""Builders shared by the tests: signed-in users, villages, answers and submissions.

Use these instead of writing the same records again in each test module.
"""

from __future__ import annotations

from typing import Any

from survey.auth import ADMIN, REVIEWER, SURVEYOR, User
from survey.rubric import Item, Rubric

COUNTY = "429901"


def surveyor(name: str = "王芳", county: str = COUNTY, townships: tuple[str, ...] = ()) -> User:
    """A surveyor account signing as ``name`` (its display name), scoped to ``county``."""
    return User(name=f"u-{name}", display_name=name, role=SURVEYOR, county=county, townships=townships)


def reviewer(county: str = COUNTY, townships: tuple[str, ...] = (), name: str = "reviewer") -> User:
    return User(name=name, display_name=f"审核员{name}", role=REVIEWER, county=county, townships=townships)


def admin(name: str = "admin") -> User:
    return User(name=name, display_name="管理员", role=ADMIN, county=COUNTY)


def best(item: Item) -> Any:
    """The answer that earns all of an item's points."""
    return {"check": True, "count": 0, "grade": item.grade_names[0] if item.grades else None}[item.type]


def best_answers(rubric: Rubric) -> dict[str, Any]:
    """Every item answered with full points."""
    return {item.code: best(item) for item in rubric.items}


def table(at, *headers: str):
    """The table (as a DataFrame) a user sees with all of these column headers: tables are
    found by what they show, not by their position on the page."""
    found = [d.value for d in at.dataframe if set(headers) <= set(d.value.columns)]
    assert found, f"no table with the columns {headers}"
    return found[0]
