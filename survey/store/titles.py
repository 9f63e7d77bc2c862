"""Township titles and the history of titles (awards, removals and the registry's own record).

The registry's ``title``/``title_year`` of a village or township is what its history comes to
(:func:`survey.titles.replay`): every write of a history event updates it in the same
transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from core.constants import TOWNSHIP_DIGITS, county_of
from survey.store.db import _actor, _audit, _audit_row, _bump, _insert_rows, _now, connect
from survey.store.registry import ImportSummary

if TYPE_CHECKING:  # pragma: no cover - typing only
    from survey.titles import State, TownshipRow


def title_events(db_path: str | Path, code: str) -> list[dict[str, Any]]:
    """The history of one village or township, by date then entry."""
    with connect(db_path) as db:
        return list(db.query("SELECT * FROM title_events WHERE code = ? ORDER BY date, id", [code]))


def _table(code: str) -> str:
    return "townships" if len(code) == TOWNSHIP_DIGITS else "villages"


def add_title_event(db_path: str | Path, code: str, event: Mapping[str, Any],
                    derive: Callable[[list[dict[str, Any]]], State], actor: str | None = None) -> State:
    """Append ``event`` to the history of ``code`` and set the registry's title to what the
    history comes to (``derive``: the stored history -> the state with the event, raising
    when it breaks a rule; called inside the transaction, on what is stored now)."""
    with connect(db_path) as db, db.atomic():
        rows = list(db.query("SELECT * FROM title_events WHERE code = ? ORDER BY date, id", [code]))
        state = derive(rows)
        table = _table(code)
        old = next(iter(db.query(f"SELECT title, title_year FROM {table} WHERE code = ?", [code])))
        db["title_events"].insert({"code": code, **event, "entered_by": _actor(actor), "entered_at": _now()})
        db.execute(f"UPDATE {table} SET title = ?, title_year = ? WHERE code = ?", [state.title, state.year, code])
        _audit(db, actor, f"title.{event['action']}", "title", code, code if table == "villages" else None,
               before={"title": old["title"], "title_year": old["title_year"]},
               after={"title": state.title, "title_year": state.year, "level": event["level"],
                      "date": event["date"], "document": event.get("document")})
        _bump(db)
    return state


def record_rows(code: str, title: str, year: int | None, day: str, source: str, who: str,
                now: str) -> dict[str, Any]:
    """The ``record`` event of a registry file stating ``title`` for ``code``."""
    return {"code": code, "action": "record", "level": title, "date": day, "year": year, "document": None,
            "source": source, "entered_by": who, "entered_at": now}


def _record_titles(db: Database, changes: Iterable[tuple[str, str, int | None]], day: str, source: str,
                   actor: str | None, now: str) -> None:
    """Record events for (code, title, year) a registry file states, inside the transaction."""
    who = _actor(actor)
    _insert_rows(db, "title_events", [record_rows(code, title, year, day, source, who, now)
                                      for code, title, year in changes])


def township_rows(db_path: str | Path, county: str | None = None) -> list[dict[str, Any]]:
    """Townships with their title: code, name, county_code, title, title_year, by code."""
    sql = "SELECT code, name, county_code, title, title_year FROM townships"
    params: list[str] = []
    if county:
        sql += " WHERE county_code = ?"
        params.append(county)
    with connect(db_path) as db:
        return list(db.query(sql + " ORDER BY code", params))


def import_townships(db_path: str | Path, rows: Iterable[TownshipRow], day: str,
                     actor: str | None = None) -> ImportSummary:
    """Add or update townships (name, title) from validated rows, in one transaction; a title
    that differs from the registry's is recorded in the history (dated ``day``)."""
    rows = list(rows)
    now = _now()
    who = _actor(actor)
    added = updated = unchanged = 0
    with connect(db_path) as db, db.atomic():
        existing = {r["code"]: r for r in db.query("SELECT code, name, title, title_year FROM townships")}
        titles, audit = [], []
        for row in rows:
            old = existing.get(row.code)
            title = row.title if row.title is not None else (old or {}).get("title", "无")
            year = (row.title_year if row.title is not None or row.title_year is not None
                    else (old or {}).get("title_year"))
            record = {"code": row.code, "county_code": county_of(row.code), "name": row.name, "title": title,
                      "title_year": year}
            if old is None:
                added += 1
                db["townships"].insert(record)
            elif (old["name"], old["title"], old["title_year"]) != (row.name, title, year):
                updated += 1
                db.execute("UPDATE townships SET name = ?, title = ?, title_year = ? WHERE code = ?",
                           [row.name, title, year, row.code])
            else:
                unchanged += 1
                continue
            if (old or {}).get("title", "无") != title or (old and old["title_year"] != year and title != "无"):
                titles.append((row.code, title, year))
            audit.append(_audit_row(who, "township.add" if old is None else "township.update", "township", row.code,
                                    before=old and {k: old[k] for k in ("name", "title", "title_year")},
                                    after={"name": row.name, "title": title, "title_year": year}, at=now))
        if titles:
            _record_titles(db, titles, day, "import-townships", actor, now)
        if audit:
            _insert_rows(db, "audit", audit)
            _bump(db)
    return ImportSummary(added, updated, unchanged)
