"""Demonstration belts managed by the county office (the 示范带 page and the command line):
roads imported with their buffer, a road's buffer changed, villages added to or removed from a
belt by hand with who and why, the demonstration villages' radiation radius; and the county's
township boundaries. Every use case takes the signed-in user and checks role and scope; every
write is audited by the store. No SQL here, no streamlit."""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import mapping

from core import limits
from core.errors import DataError, NotFound, UsageError, problem
from survey import store
from survey.auth import User

#: The radiation radius an officer may set (metres): a village's neighbourhood to a county.
RADIUS_RANGE = (100.0, 50_000.0)
#: What an upload of a layer may be called.
LAYER_UPLOADS = (".geojson", ".json", ".zip")


@dataclass(frozen=True)
class BoundaryImport:
    added: int
    replaced: int
    unchanged: int


def _admin(user: User) -> str:
    if not user.admin:
        raise UsageError("forbidden")
    return user.name


def _officer(user: User) -> str:
    """Reviewers and administrators manage belts (within their scope)."""
    if not user.reviews:
        raise UsageError("forbidden")
    return user.name


def _upload(data: bytes, filename: str, read):
    """``read(path, display_name)`` over an uploaded layer written to a private folder under a
    fixed name (never the uploaded one)."""
    name = limits.upload_name(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in LAYER_UPLOADS:
        raise DataError([problem("file_format", name, suffix=suffix or name)])
    limits.check_size(len(data), limits.LAYER_BYTES, name)
    with tempfile.TemporaryDirectory(prefix="xiangfeng-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        return read(path, name)


# --- roads -----------------------------------------------------------------------------------------


def import_roads_bytes(db_path: str | Path, user: User, data: bytes, filename: str,
                       buffer_m: float | None = None) -> tuple[int, int]:
    """Roads from an uploaded GeoJSON / zipped Shapefile (administrators); (added, replaced).
    ``buffer_m``: the roads' buffer in metres (default: the county setting ``buffer_m``)."""
    from geo.io import read_roads
    from survey import settings
    from survey.roads import save_roads

    actor = _admin(user)
    if buffer_m is None:
        buffer_m = float(settings.load(db_path, _one_county(db_path)).buffer_m)
    roads = _upload(data, filename, lambda path, name: read_roads(path, buffer_m, display_name=name))
    return save_roads(db_path, roads, actor=actor)


def _buffer(value: object) -> float:
    try:
        buffer = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        buffer = math.nan
    if not (math.isfinite(buffer) and 0 < buffer <= 50_000):
        raise UsageError("buffer", value=str(value))
    return buffer


def set_buffer(db_path: str | Path, user: User, road: str, buffer_m: float) -> None:
    """Set a road's belt buffer in metres (reviewers and administrators)."""
    actor = _officer(user)
    if not store.set_road_buffer(db_path, road, _buffer(buffer_m), actor=actor):
        raise NotFound("road_unknown", value=road)


def set_member(db_path: str | Path, user: User, road: str, village_code: str, include: bool | None,
               reason: str = "") -> None:
    """Add (True) or remove (False) a village of the user's scope from a belt by hand, saying
    why; None returns it to the distance rule. NotFound for an unknown road or a village out of
    scope."""
    actor = _officer(user)
    user.scope.check(village_code)
    store.village(db_path, village_code)  # NotFound when the registry has no such village
    if road not in {r.name for r in store.roads(db_path)}:
        raise NotFound("road_unknown", value=road)
    reason = (reason or "").strip()
    if include is not None and not reason:
        raise UsageError("belt_reason")
    if len(reason) > limits.NOTE_CHARS:
        raise UsageError("belt_reason")
    store.set_belt_override(db_path, road, village_code, include, by=actor, actor=actor, reason=reason or None)


def overrides(db_path: str | Path, user: User) -> list[store.OverrideRow]:
    """The villages of the user's scope added to or removed from belts by hand."""
    _officer(user)
    return [o for o in store.belt_override_rows(db_path) if user.scope.allows(o.village_code)]


# --- radiation radius --------------------------------------------------------------------------------


def radius(db_path: str | Path) -> float:
    """The demonstration villages' radiation radius in metres: the county setting ``radius_m``
    (survey.settings: the office's value, else the settings file's default, 5 km)."""
    from survey import settings

    return float(settings.load(db_path, _one_county(db_path)).radius_m)


def _one_county(db_path: str | Path) -> str | None:
    """The registry's county when it holds one (its settings apply), else None (the database's)."""
    counties = store.counties(db_path)
    return next(iter(counties)) if len(counties) == 1 else None


def default_buffer(db_path: str | Path) -> float:
    """The buffer in metres new roads get unless told otherwise: the county setting ``buffer_m``."""
    from survey import settings

    return float(settings.load(db_path, _one_county(db_path)).buffer_m)


def set_radius(db_path: str | Path, user: User, radius_m: float) -> None:
    """Set the radiation radius (reviewers and administrators): the same county setting
    ``radius_m`` the settings page shows, recorded as decided by the officer on the belts page."""
    from survey import settings

    actor = _officer(user)
    try:
        value = float(radius_m)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and RADIUS_RANGE[0] <= value <= RADIUS_RANGE[1]):
        raise UsageError("belt_radius", value=str(radius_m))
    county = _one_county(db_path) or user.scope.county or ""
    if county:
        user.scope.check_county(county)
    store.set_setting(db_path, county, "radius_m",
                      settings.text(settings.check_value("radius_m", value, "示范带 belts")),
                      user.display_name or user.name, actor=actor)


# --- township boundaries -------------------------------------------------------------------------


def _save_boundaries(db_path: str | Path, actor: str, found, name: str) -> BoundaryImport:
    known, counties = set(store.townships(db_path)), set(store.counties(db_path))
    problems = [problem("boundary_county", name, None, "code", value=b.code) for b in found
                if b.code not in known and b.code[:6] not in counties]
    if problems:
        raise DataError(problems)
    rows = [store.StoredBoundary(b.code, b.name, json.dumps(mapping(b.geometry), separators=(",", ":")))
            for b in found]
    return BoundaryImport(*store.replace_boundaries(db_path, rows, actor=actor))


def import_boundaries_file(db_path: str | Path, user: User, path: str | Path,
                           display_name: str | None = None) -> BoundaryImport:
    """Township boundaries from a GeoJSON / zipped Shapefile in any CRS (administrators): all
    or nothing, and importing the same file again changes nothing."""
    from geo.io import read_boundaries

    actor = _admin(user)
    name = display_name or str(path)
    return _save_boundaries(db_path, actor, read_boundaries(Path(path), display_name=name), name)


def import_boundaries_bytes(db_path: str | Path, user: User, data: bytes, filename: str) -> BoundaryImport:
    """:func:`import_boundaries_file` for an upload of the setup page."""
    from geo.io import read_boundaries

    actor = _admin(user)
    name = limits.upload_name(filename)
    return _save_boundaries(db_path, actor, _upload(data, filename, lambda p, n: read_boundaries(p, n)), name)


def township_boundaries(db_path: str | Path, codes) -> dict[str, object]:
    """Township code -> boundary (shapely, EPSG:4326) for the stored ones of ``codes``."""
    from shapely.geometry import shape

    return {b.code: shape(json.loads(b.geometry)) for b in store.boundaries(db_path, codes)}

