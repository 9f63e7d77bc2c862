"""Township boundaries (real polygons of a county's boundary layer) as GeoJSON text."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from survey.store.db import _audit_row, _bump, _now, connect


class StoredBoundary(NamedTuple):
    """A township's boundary as stored: its 9-digit code, the name in the file (may be None)
    and its geometry as GeoJSON text (EPSG:4326)."""

    code: str
    name: str | None
    geometry: str


def replace_boundaries(db_path: str | Path, new: Iterable[StoredBoundary],
                       actor: str | None = None) -> tuple[int, int, int]:
    """Add or replace boundaries by township code; return (added, replaced, unchanged). An
    identical boundary is left as is (importing a file twice changes nothing). One write
    transaction from the first read, with an audit row per change."""
    now = _now()
    rows = [{"code": b.code, "name": b.name, "geometry": b.geometry, "updated_at": now} for b in new]
    with connect(db_path) as db, db.atomic():
        known = {r["code"]: (r["name"], r["geometry"])
                 for r in db.query("SELECT code, name, geometry FROM township_boundaries")}
        changed = [r for r in rows if known.get(r["code"]) != (r["name"], r["geometry"])]
        if changed:
            db["township_boundaries"].upsert_all(changed, pk="code")
            db["audit"].insert_all([_audit_row(
                actor, "boundary.replace" if r["code"] in known else "boundary.add", "township", r["code"],
                before={"name": known[r["code"]][0], "size": len(known[r["code"]][1])} if r["code"] in known
                else None, after={"name": r["name"], "size": len(r["geometry"])}, at=now) for r in changed])
            _bump(db)
    replaced = sum(1 for r in changed if r["code"] in known)
    return len(changed) - replaced, replaced, len(rows) - len(changed)


def boundaries(db_path: str | Path, codes: Iterable[str] | None = None) -> list[StoredBoundary]:
    """Stored boundaries (of ``codes`` when given), sorted by code."""
    with connect(db_path) as db:
        rows = db.query("SELECT code, name, geometry FROM township_boundaries ORDER BY code")
        wanted = None if codes is None else set(codes)
        return [StoredBoundary(r["code"], r["name"], r["geometry"]) for r in rows
                if wanted is None or r["code"] in wanted]
