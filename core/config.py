"""Paths and settings shared by the command line and the web app."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
RUBRIC_DIR = DATA_DIR / "rubric"
DEMO_DIR = DATA_DIR / "demo"
DEFAULT_DB = REPO_ROOT / "var" / "survey.db"

#: The county's other rules (share target, belt buffer, radiation radius, GPS warnings, what
#: counts as civilized, the veto window): data/settings.yaml, overridden per database or county
#: (survey.settings). No tool reads them from a constant.
SETTINGS_FILE = DATA_DIR / "settings.yaml"

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
