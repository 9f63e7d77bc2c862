"""Use cases: read → validate → store, shared by the command line and the web pages.

Each function is all-or-nothing: input is read and validated completely (every problem
collected) before anything is written, and the write is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from core import config
from core.constants import ROUND_ID
from survey import store
from core.model import Round


@dataclass(frozen=True)
class SubmissionImport:
    added: int
    skipped: int


def import_villages_file(db_path: str | Path, path: str | Path,
                         display_name: str | None = None,
                         actor: str | None = None) -> store.ImportSummary:
    """Import a village list (CSV/XLSX/XLS/GeoJSON/zipped Shapefile)."""
    from survey.registry import read_villages

    rows = read_villages(Path(path), display_name=display_name)
    return store.import_registry(db_path, rows, actor=actor)


def import_villages_bytes(db_path: str | Path, data: bytes, filename: str,
                          actor: str | None = None) -> store.ImportSummary:
    """Import an uploaded village list given as bytes (the web page's upload)."""
    from survey.registry import read_villages_bytes

    return store.import_registry(db_path, read_villages_bytes(data, filename), actor=actor)


def import_roads_file(db_path: str | Path, path: str | Path,
                      buffer_m: float = config.DEFAULT_BUFFER_M,
                      actor: str | None = None) -> tuple[int, int]:
    """Add or replace roads (demonstration belts); return (added, replaced)."""
    from geo.io import read_roads

    return store.replace_roads(db_path, read_roads(Path(path), buffer_m=buffer_m), actor=actor)


def import_submissions_file(db_path: str | Path, path: str | Path,
                            actor: str | None = None) -> SubmissionImport:
    """Import submissions from JSON Lines: every line validated and scored first."""
    from survey.audit import note_rubric
    from survey.rubric import load_rubric
    from survey.scoring import score
    from survey.store_odk import save_imported
    from survey.submissions import read_submissions

    rubric = load_rubric()
    note_rubric(db_path, rubric, actor)
    known = {v.code for v in store.villages(db_path)}
    subs = read_submissions(Path(path), rubric, known)
    located = {s.id: (str(path), line) for s, line in zip(subs, _lines(subs))}
    scored = [(s, score(rubric, s.answers, s.veto)) for s in subs]
    saved = save_imported(db_path, scored, "jsonl", located=located, actor=actor)
    return SubmissionImport(saved.added, saved.skipped)


def rubric_for_round(db_path: str | Path, round_id: str):
    """The rubric round ``round_id`` is scored with (:class:`~core.errors.NotFound` when there is
    no such round). Rubrics are not pinned per round yet: this is the active rubric, and the one
    place to change when they are."""
    from survey.rubric import load_rubric

    store.get_round(db_path, round_id)
    return load_rubric()


def _lines(subs) -> list[int | None]:
    return [getattr(s, "line", None) for s in subs]


def load_demo(db_path: str | Path) -> dict[str, object]:
    """Load the demo county: registry, roads, the demo round, its submissions, the county's
    share target (60 %) and the demo accounts (README lists their passwords). Running it twice
    changes nothing."""
    from survey import demo
    from survey.auth import ensure_demo_accounts

    villages_csv, roads_geojson, submissions_jsonl = demo.demo_files()
    summary = import_villages_file(db_path, villages_csv)
    roads = import_roads_file(db_path, roads_geojson)
    if demo.DEMO_ROUND.id not in {r.id for r in store.rounds(db_path)}:
        store.create_round(db_path, demo.DEMO_ROUND)
    subs = import_submissions_file(db_path, submissions_jsonl)
    if not any(t["county_code"] == demo.COUNTY_CODE for t in store.targets(db_path)):
        store.set_target(db_path, demo.COUNTY_CODE, Decimal(demo.DEMO_TARGET), by="县文明办（演示）")
    store.set_meta(db_path, "demo", "1")
    accounts = ensure_demo_accounts(db_path)
    return {"villages": summary, "roads": roads, "submissions": subs, "accounts": accounts}


def open_round(db_path: str | Path, round_id: str, name: str, start: str | None,
               end: str | None, actor: str | None = None) -> Round:
    """Open a new round after checking its id."""
    from core.errors import UsageError

    if not ROUND_ID.match(round_id or ""):
        raise UsageError("round_id", value=round_id)
    return store.create_round(db_path, Round(id=round_id, name=name.strip() or round_id,
                                             start_date=start, end_date=end), actor=actor)


def is_demo(db_path: str | Path) -> bool:
    return store.get_meta(db_path, "demo") == "1"
