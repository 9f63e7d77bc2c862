"""Share targets set by hand, per county or township."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from core.errors import UsageError
from survey.store.db import _audit, _bump, _dec, _now, connect


def get_target(db_path: str | Path, county: str, township: str | None = None,
               default: Decimal | None = None) -> Decimal:
    """The share target (percent) set by hand: the township's own, else the county's, else
    ``default`` (None: the county's setting ``target``, :mod:`survey.settings`)."""
    with connect(db_path) as db:
        rows = {r["township_code"]: r["percent"] for r in db.query(
            "SELECT township_code, percent FROM targets WHERE county_code = ? AND township_code IN ('', ?)",
            [county, township or ""])}
    found = rows.get(township or "", rows.get(""))
    if found is not None:
        return Decimal(found)
    if default is None:
        from survey.settings import load

        default = load(db_path, county).target
    return Decimal(default)


def targets(db_path: str | Path) -> list[dict[str, Any]]:
    """Every target set by hand: county, township ('' for the county's), percent, who, when."""
    with connect(db_path) as db:
        return [dict(r, percent=Decimal(r["percent"])) for r in db.query(
            "SELECT county_code, township_code, percent, set_by, set_at FROM targets "
            "ORDER BY county_code, township_code")]


def set_target(db_path: str | Path, county: str, percent: Decimal, by: str | None,
               township: str | None = None, actor: str | None = None) -> None:
    """Set the share target of a county (or one of its townships), recording who and when."""
    if not Decimal(0) <= Decimal(percent) <= Decimal(100):
        raise UsageError("target_range", value=str(percent))
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT percent FROM targets WHERE county_code = ? AND "
                                 "township_code = ?", [county, township or ""])), None)
        _audit(db, actor or by, "target.set", "target", f"{county}/{township or ''}",
               before={"percent": old and old["percent"]}, after={"percent": _dec(Decimal(percent))})
        db["targets"].upsert({"county_code": county, "township_code": township or "",
                              "percent": _dec(Decimal(percent)), "set_by": by, "set_at": _now()},
                             pk=("county_code", "township_code"))
        _bump(db)
