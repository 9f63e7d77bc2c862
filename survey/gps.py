"""Where the surveyor stood: a position from the browser (with its accuracy) or typed by hand,
and the warnings the county office wants to see (poor accuracy, far from the village).

Positions are WGS84 degrees, as tablets give them (domain brief §7); distances are great-circle
(haversine) metres, ample for a 3 km check.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from core.constants import LAT_RANGE, LON_RANGE
from core.errors import DataError, Problem, problem
from core.model import Village

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


@dataclass(frozen=True)
class Fix:
    """A position: WGS84 degrees, accuracy in metres (None when typed), and where it came from
    (``browser`` or ``manual``)."""

    lon: float
    lat: float
    accuracy_m: float | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Fix | None:
        return cls(**data) if data else None


@dataclass(frozen=True)
class Refused:
    """The browser gave no position: ``code`` 1 denied, 2 unavailable, 3 timed out."""

    code: int
    message: str


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def from_browser(value: Any) -> Fix | Refused | None:
    """The answer of the browser's geolocation request (``ui.browser.geolocation``):
    a :class:`Fix`, a :class:`Refused`, or None while the browser has not answered."""
    if not isinstance(value, dict):
        return None
    if "error" in value:
        err = value["error"] or {}
        return Refused(int(err.get("code") or 0), str(err.get("message") or ""))
    coords = value.get("coords") or {}
    try:
        lon, lat = float(coords["longitude"]), float(coords["latitude"])
        accuracy = None if coords.get("accuracy") is None else float(coords["accuracy"])
    except (KeyError, TypeError, ValueError):
        return Refused(2, "no coordinates")
    if not (math.isfinite(lon) and math.isfinite(lat)):  # "NaN", "Infinity" from a tampered page
        return Refused(2, "no coordinates")
    if accuracy is not None and not (math.isfinite(accuracy) and accuracy >= 0):
        accuracy = None
    return Fix(lon=lon, lat=lat, accuracy_m=accuracy, source="browser")


def manual(lon: float | None, lat: float | None) -> Fix:
    """A position typed by hand; :class:`DataError` naming each value outside China's box."""
    problems = []
    if lon is None or not LON_RANGE[0] <= lon <= LON_RANGE[1]:
        problems.append(problem("lon_range", "position", None, "lon", value=lon))
    if lat is None or not LAT_RANGE[0] <= lat <= LAT_RANGE[1]:
        problems.append(problem("lat_range", "position", None, "lat", value=lat))
    if problems:
        raise DataError(problems)
    return Fix(lon=float(lon), lat=float(lat), accuracy_m=None, source="manual")  # type: ignore[arg-type]


def check(fix: Fix, village: Village, *, accuracy_limit_m: float, distance_limit_m: float) -> list[Problem]:
    """Warnings for ``fix``: accuracy worse than ``accuracy_limit_m``; farther than
    ``distance_limit_m`` from the registry point (the county's settings ``gps_accuracy_m`` and
    ``gps_distance_m``, :func:`survey.fieldwork.position_warnings`)."""
    warnings = []
    if fix.accuracy_m is not None and fix.accuracy_m > accuracy_limit_m:
        warnings.append(problem("gps_accuracy", village.code, None, "gps_accuracy_m",
                                value=f"{fix.accuracy_m:.0f}", limit=_plain(accuracy_limit_m)))
    if village.lon is not None and village.lat is not None:
        distance = haversine_m(fix.lon, fix.lat, village.lon, village.lat)
        if distance > distance_limit_m:
            warnings.append(problem("gps_distance", village.code, None, "lon/lat",
                                    value=f"{distance / 1000:.1f}", limit=_plain(distance_limit_m / 1000)))
    return warnings


#: The GPS flags of a submitted position, as the review queue shows and filters them.
FLAG_NONE, FLAG_ACCURACY, FLAG_DISTANCE = "none", "accuracy", "distance"
GPS_FLAGS = (FLAG_DISTANCE, FLAG_ACCURACY, FLAG_NONE)


def assess(lon: float | None, lat: float | None, accuracy_m: float | None,
           village_lon: float | None, village_lat: float | None, *, accuracy_limit_m: float,
           distance_limit_m: float) -> tuple[float | None, tuple[str, ...]]:
    """(distance in metres from the village's registry point or None, flags) of a submitted
    position: ``distance`` farther than ``distance_limit_m``, ``accuracy`` worse than
    ``accuracy_limit_m`` (the county's settings, as :func:`check`), ``none`` no position at all."""
    if lon is None or lat is None:
        return None, (FLAG_NONE,)
    distance = (haversine_m(lon, lat, village_lon, village_lat)
                if village_lon is not None and village_lat is not None else None)
    flags = []
    if distance is not None and distance > distance_limit_m:
        flags.append(FLAG_DISTANCE)
    if accuracy_m is not None and accuracy_m > accuracy_limit_m:
        flags.append(FLAG_ACCURACY)
    return distance, tuple(flags)


def _plain(number: float) -> str:
    """100.0 -> "100", 2.5 -> "2.5"."""
    return f"{number:.3f}".rstrip("0").rstrip(".")
