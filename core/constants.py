"""Constants and tiny helpers shared by ``geo`` and ``survey``: one place for each fact."""

from __future__ import annotations

import datetime as dt
import re

#: WGS84 longitude and latitude bounds of China (degrees): every imported point lies within.
LON_RANGE: tuple[float, float] = (73.0, 136.0)
LAT_RANGE: tuple[float, float] = (3.0, 54.0)

#: GeoJSON's coordinate reference system (interchange files, maps, stored geometries).
WGS84 = "EPSG:4326"

#: A round id: letters, digits, "-" and "_", at most 32 characters (e.g. ``2026-B3``).
ROUND_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

#: Kinds of rounds: regular (例行), unannounced (暗访), mock (模拟: never counts toward titles
#: and targets), re-inspection (复查).
ROUND_KINDS: tuple[str, ...] = ("regular", "unannounced", "mock", "recheck")
#: Kinds whose results count toward titles and targets unless the office says otherwise.
COUNTING_KINDS: frozenset[str] = frozenset({"regular", "unannounced", "recheck"})

#: Lengths of the statistical division codes: county, township, village.
COUNTY_DIGITS, TOWNSHIP_DIGITS, VILLAGE_DIGITS = 6, 9, 12


def township_of(code: str) -> str:
    """The 9-digit township code of a 12-digit village code."""
    return code[:TOWNSHIP_DIGITS]


def county_of(code: str) -> str:
    """The 6-digit county code of a 12-digit village (or 9-digit township) code."""
    return code[:COUNTY_DIGITS]


def in_china(lon: float, lat: float) -> bool:
    """True when (lon, lat) are finite WGS84 degrees within China's bounding box."""
    return LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]


#: A date as every file and form writes it: ``YYYY-MM-DD``.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def real_date(text: str | None) -> bool:
    """True when ``text`` is a date written ``YYYY-MM-DD`` that is in the calendar."""
    if not ISO_DATE.fullmatch(text or ""):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
