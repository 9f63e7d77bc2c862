"""Paths and settings shared by the command line and the web app."""

from __future__ import annotations

import os
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


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database file: ``explicit`` (``--db``), else ``$SURVEY_DB``, else ``var/survey.db``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SURVEY_DB")
    if env:
        return Path(env)
    return DEFAULT_DB
