"""The county's other rules overridden per database (scope ``''``) or county (its code): the
value as text, who decided it, when, and the account that entered it. The defaults are the
file's (``data/settings.yaml``, read by :mod:`survey.settings`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from survey.store.db import _audit, _bump, _now, connect
from survey.store.vetoes import _reapply


def setting_rows(db_path: str | Path) -> list[dict[str, Any]]:
    """Every override: scope, key, value (text), set_by, set_at, actor."""
    with connect(db_path) as db:
        return list(db.query("SELECT scope, key, value, set_by, set_at, actor FROM settings ORDER BY scope, key"))


def _veto_places(db, scope: str) -> list[str]:
    """The places of the confirmed veto records a change of ``veto_months`` for ``scope``
    reaches (every county's for the database's own value)."""
    if scope:
        return [r[0] for r in db.execute("SELECT DISTINCT code FROM veto_records WHERE status = 'confirmed' "
                                         "AND county_code = ?", [scope])]
    return [r[0] for r in db.execute("SELECT DISTINCT code FROM veto_records WHERE status = 'confirmed'")]


def set_setting(db_path: str | Path, scope: str, key: str, value: str, by: str, actor: str | None = None) -> None:
    """Store an override (replacing the one before), audited with the values before and after.
    A new ``veto_months`` applies the veto records again in the same transaction."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT value, set_by FROM settings WHERE scope = ? AND key = ?", [scope, key])), None)
        db["settings"].upsert({"scope": scope, "key": key, "value": value, "set_by": by, "set_at": _now(),
                               "actor": actor or "?"}, pk=("scope", "key"))
        _audit(db, actor, "setting.set", "setting", f"{scope or '*'}/{key}",
               before=old and {"value": old["value"], "by": old["set_by"]}, after={"value": value, "by": by})
        if key == "veto_months":
            _reapply(db, _veto_places(db, scope), actor, "veto_months")
        _bump(db)


def reset_setting(db_path: str | Path, scope: str, key: str, actor: str | None = None) -> bool:
    """Remove an override (audited); False when there was none."""
    with connect(db_path) as db, db.atomic():
        old = next(iter(db.query("SELECT value, set_by FROM settings WHERE scope = ? AND key = ?", [scope, key])), None)
        if old is None:
            return False
        db.execute("DELETE FROM settings WHERE scope = ? AND key = ?", [scope, key])
        _audit(db, actor, "setting.reset", "setting", f"{scope or '*'}/{key}",
               before={"value": old["value"], "by": old["set_by"]}, after=None)
        if key == "veto_months":
            _reapply(db, _veto_places(db, scope), actor, "veto_months")
        _bump(db)
    return True
