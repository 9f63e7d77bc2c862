"""Paths and settings shared by the command line and the web app."""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
RUBRIC_DIR = DATA_DIR / "rubric"
DEMO_DIR = DATA_DIR / "demo"
DEFAULT_DB = REPO_ROOT / "var" / "survey.db"

#: Default share target (percent) when a county has set none.
DEFAULT_TARGET = "50"
#: Default belt buffer and radiation radius, metres.
DEFAULT_BUFFER_M = 2000.0
DEFAULT_RADIUS_M = 5000.0


#: The county's time zone: dates and times are shown and decided in it (a setting: $SURVEY_TZ).
DEFAULT_TIME_ZONE = "Asia/Shanghai"
#: A submission dated more than this many days outside its round's dates is refused; inside
#: the margin it is accepted and flagged.
ROUND_DATE_MARGIN_DAYS = 31


def time_zone() -> ZoneInfo:
    """The county's time zone (``$SURVEY_TZ``, default Asia/Shanghai)."""
    return ZoneInfo(os.environ.get("SURVEY_TZ") or DEFAULT_TIME_ZONE)


def now() -> datetime:
    """The time now, in the county's time zone."""
    return datetime.now(time_zone())


def today() -> date:
    """Today's date in the county's time zone (what a surveyor's calendar says)."""
    return now().date()


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database file: ``explicit`` (``--db``), else ``$SURVEY_DB``, else ``var/survey.db``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SURVEY_DB")
    if env:
        return Path(env)
    return DEFAULT_DB
