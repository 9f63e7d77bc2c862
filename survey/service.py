"""Use cases: read → validate → store, shared by the command line and the web pages.

Each function is all-or-nothing: input is read and validated completely (every problem
collected) before anything is written, and the write is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from core import config
from core.constants import COUNTING_KINDS, ROUND_ID, ROUND_KINDS
from core.errors import DataError, Problem, UsageError
from core.model import Round
from survey import store
from survey.auth import User


@dataclass(frozen=True)
class SubmissionImport:
    added: int
    skipped: int
    warnings: list[Problem] = field(default_factory=list)  # dates near, not in, their rounds


def _admin(user: User) -> str:
    """The audit actor of an administrator's write (the registry, roads, rounds, imports)."""
    if not user.admin:
        raise UsageError("forbidden")
    return user.name


def import_villages_file(db_path: str | Path, user: User, path: str | Path,
                         display_name: str | None = None) -> store.ImportSummary:
    """Import a village list (CSV/XLSX/XLS/GeoJSON/zipped Shapefile)."""
    from survey.registry import read_villages

    actor = _admin(user)
    rows = read_villages(Path(path), display_name=display_name)
    return store.import_registry(db_path, rows, actor=actor, day=config.today().isoformat())


def import_villages_bytes(db_path: str | Path, user: User, data: bytes,
                          filename: str) -> store.ImportSummary:
    """Import an uploaded village list given as bytes (the web page's upload)."""
    from survey.registry import read_villages_bytes

    actor = _admin(user)
    return store.import_registry(db_path, read_villages_bytes(data, filename), actor=actor,
                                 day=config.today().isoformat())


def import_roads_file(db_path: str | Path, user: User, path: str | Path,
                      buffer_m: float | None = None) -> tuple[int, int]:
    """Add or replace roads (demonstration belts) with their buffer in metres (default: the
    database's setting ``buffer_m``); return (added, replaced)."""
    from geo.io import read_roads
    from survey import settings
    from survey.roads import save_roads

    actor = _admin(user)
    if buffer_m is None:
        buffer_m = float(settings.load(db_path).buffer_m)
    return save_roads(db_path, read_roads(Path(path), buffer_m=buffer_m), actor=actor)


def import_submissions_file(db_path: str | Path, user: User, path: str | Path) -> SubmissionImport:
    """Import submissions from JSON Lines: every line validated and scored first, each with the
    rubric of its round (pinned when the round was opened; the active one for a round the file
    creates, which is pinned to it), so re-importing an old file of an earlier round scores it
    as it was."""
    from survey.audit import note_rubric
    from survey.rubric import load_rubric
    from survey.scoring import score
    from survey.submissions import check_dates, read_submissions

    actor = _admin(user)
    current = load_rubric()
    note_rubric(db_path, current, actor)
    known = {v.code for v in store.villages(db_path)}
    rounds = {r.id: r for r in store.rounds(db_path)}
    rubrics = {}

    def rubric_of(round_id: str):
        if round_id not in rubrics:
            rubrics[round_id] = rubric_for_round(db_path, round_id) if round_id in rounds else current
        return rubrics[round_id]

    subs = read_submissions(Path(path), rubric_of, known)
    problems, warnings = check_dates(subs, rounds, config.today(), str(path))
    if problems:
        raise DataError(problems)
    located = {s.id: (str(path), line) for s, line in zip(subs, _lines(subs))}
    # a submission's veto list is what its surveyor reported: suspected until the office
    # confirms it (survey.vetoes); the office's records in force are applied by the store
    scored = [(s, score(rubric_of(s.round), s.answers, (), s.unmet)) for s in subs]
    added, skipped = store.save_submissions(db_path, scored, located=located, actor=actor, origin="jsonl",
                                            versions={r: pinned(rubric_of(r)) for r in {s.round for s in subs}})
    return SubmissionImport(added, skipped, warnings)


def rubric_for_round(db_path: str | Path, round_id: str):
    """The rubric round ``round_id`` is scored with: the version pinned when it was opened, so
    editing the YAML later never rescores it. A round opened before rubrics were pinned uses the
    active rubric, and is pinned to it by its first stored submission (a read writes nothing).
    :class:`~core.errors.NotFound` for an unknown round."""
    from survey.rubric import from_documents, load_rubric

    rnd = store.get_round(db_path, round_id)
    if rnd.rubric_version:
        return from_documents(store.rubric_documents(db_path, rnd.rubric_version))
    return load_rubric()


def submissions_jsonl(db_path: str | Path, user: User, round_id: str, county: str | None = None) -> bytes:
    """The published submissions of ``round_id`` (of one county, within the user's scope) as
    JSON Lines in the interchange form they were received in (``veto``: what the surveyor
    reported; ``unmet``: the criteria not met of the grade items answered by criteria), by
    village code then arrival. Reviewers and administrators."""
    if not user.reviews:
        raise UsageError("forbidden")
    store.get_round(db_path, round_id)
    scope = user.scope
    if county:
        scope.check_county(county)
    lines = [content for village, content in store.submission_contents(db_path, round_id, county or scope.county)
             if scope.allows(village)]
    return "".join(f"{c}\n" for c in lines).encode("utf-8")


def pinned(rubric) -> tuple[str, dict[str, str]]:
    """(version, files) of a rubric, as a stored submission records it and pins its round."""
    from survey.rubric import documents_of

    return rubric.version, documents_of(rubric)


def _lines(subs) -> list[int | None]:
    return [getattr(s, "line", None) for s in subs]


def load_demo(db_path: str | Path, user: User) -> dict[str, object]:
    """Load the demo county: registry, roads, the demo round, its submissions, the county's
    share target (60 %) and the demo accounts (README lists their passwords). Running it twice
    changes nothing. Refused (``demo_refused``) on a database that holds anything and is not the
    demo already: a real county must never get a fictional one, nor accounts with published
    passwords."""
    from survey import demo
    from survey.auth import ensure_demo_accounts

    _admin(user)
    if not is_demo(db_path) and (any(store.stats(db_path).values()) or store.user_count(db_path)):
        raise UsageError("demo_refused", db=str(db_path))
    villages_csv, roads_geojson, submissions_jsonl = demo.demo_files()
    summary = import_villages_file(db_path, user, villages_csv)
    store.set_meta(db_path, "demo", "1")  # from the first write on: a half-loaded demo can be finished
    roads = import_roads_file(db_path, user, roads_geojson)
    if demo.DEMO_ROUND.id not in {r.id for r in store.rounds(db_path)}:
        r = demo.DEMO_ROUND
        open_round(db_path, user, r.id, r.name, r.start_date, r.end_date, r.kind, r.cadence)
    subs = import_submissions_file(db_path, user, submissions_jsonl)
    if not any(t["county_code"] == demo.COUNTY_CODE for t in store.targets(db_path)):
        store.set_target(db_path, demo.COUNTY_CODE, Decimal(demo.DEMO_TARGET), by="县文明办（演示）",
                         actor=user.name)
    accounts = ensure_demo_accounts(db_path)
    return {"villages": summary, "roads": roads, "submissions": subs, "accounts": accounts}


def open_round(db_path: str | Path, user: User, round_id: str, name: str, start: str | None,
               end: str | None, kind: str = "regular", cadence: str = "",
               counts: bool | None = None) -> Round:
    """Open a new round after checking its id, kind and dates, pinned to the active rubric
    (what its submissions will be scored with, whatever the YAML says later). ``counts``: whether
    its results count toward titles and targets (default: not for a mock round)."""
    from survey.rubric import load_with_documents

    actor = _admin(user)
    if not ROUND_ID.match(round_id or ""):
        raise UsageError("round_id", value=round_id)
    if kind not in ROUND_KINDS:
        raise UsageError("round_kind", value=kind, known="、".join(ROUND_KINDS))
    if start and end and end < start:
        raise UsageError("round_dates", start=start, end=end)
    rubric, documents = load_with_documents()
    rnd = Round(id=round_id, name=name.strip() or round_id, start_date=start, end_date=end, kind=kind,
                cadence=(cadence or "").strip(), counts=kind in COUNTING_KINDS if counts is None else counts,
                rubric_version=rubric.version)
    return store.create_round(db_path, rnd, actor=actor, documents=documents)


def is_demo(db_path: str | Path) -> bool:
    return store.get_meta(db_path, "demo") == "1"


# --- reads every page's frame needs (nothing in them is scoped: round ids and place names) ----


def data_version(db_path: str | Path) -> int:
    """A counter raised by every write: the web app keys its caches on it."""
    return store.data_version(db_path)


def rounds(db_path: str | Path) -> list[Round]:
    """All rounds, oldest first."""
    return store.rounds(db_path)


def place_names(db_path: str | Path) -> dict[str, str | None]:
    """County and township code -> name, from the registry."""
    names: dict[str, str | None] = dict(store.counties(db_path))
    names.update((code, name) for code, (name, _county) in store.townships(db_path).items())
    return names


def stats(db_path: str | Path, user: User) -> dict[str, int]:
    """Counts of counties, townships, villages, roads, rounds and submissions (administrators)."""
    if not user.admin:
        raise UsageError("forbidden")
    return store.stats(db_path)


# --- backup and restore ----------------------------------------------------------------------


def backup(db_path: str | Path, user: User, out: str | Path) -> dict[str, int]:
    """A consistent, checked copy of the database taken while it is in use (administrators)."""
    _admin(user)
    return store.backup(db_path, out)


def restore(db_path: str | Path, user: User, backup_file: str | Path) -> dict[str, int]:
    """Replace the database with a checked backup (administrators; stop the app first)."""
    _admin(user)
    return store.restore(db_path, backup_file)
