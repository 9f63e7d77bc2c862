"""A small database with two counties, users of every role and scope, and one round, for the
tests of accounts, scoping, review and the audit trail; and :func:`sign_in` for AppTests."""

from __future__ import annotations

from pathlib import Path

from core.model import Round
from survey import auth, store
from survey.registry import VillageRow
from survey.rubric import Rubric, load_rubric
from survey.scoring import score
from survey.submissions import Submission
from ui import keys

A, B = "429901", "429902"  # county A (two townships) and county B
A1, A2, B1 = A + "100", A + "101", B + "100"
ROUND = "2026-B3"
PASSWORD = "right-password-1"
#: village code -> (name, township name, county name, surveyor who assessed it)
VILLAGES = {
    A1 + "201": ("甲村", "城关镇", "甲县", "王芳"),
    A1 + "202": ("乙村", "城关镇", "甲县", "王芳"),
    A2 + "201": ("丙村", "青石镇", "甲县", "李明"),
    B1 + "201": ("丁村", "河口镇", "乙县", "张伟"),
}
#: name -> (role, county, townships, display name)
USERS = {
    "admin": ("admin", A, (), "管理员"),
    "rev-a": ("reviewer", A, (), "审核员甲"),
    "rev-a2": ("reviewer", A, (A2,), "审核员甲二"),
    "rev-b": ("reviewer", B, (), "审核员乙"),
    "wang": ("surveyor", A, (A1,), "王芳"),
    "li": ("surveyor", A, (A2,), "李明"),
    "zhang": ("surveyor", B, (), "张伟"),
}


def perfect(rubric: Rubric) -> dict:
    """Answers that lose no point."""
    return {i.code: True if i.type == "check" else 0 if i.type == "count" else i.grades[0][0]
            for i in rubric.items}


def sid(code: str) -> str:
    return f"sub-{code}"


def build(path: Path) -> Path:
    """Registry, round, one pending submission per village, every user of ``USERS``."""
    store.import_registry(path, [
        VillageRow(code=code, name=name, township=town, county=county, lon=113.9, lat=30.6,
                   title="无", title_year=None, households=100, demo=False, line=n + 2)
        for n, (code, (name, town, county, _)) in enumerate(VILLAGES.items())])
    store.create_round(path, Round(ROUND, "第三次双月测评", start_date="2026-05-01"))
    rubric = load_rubric()
    answers = perfect(rubric)
    unmet = {i.code: () for i in rubric.items if i.type == "grade"}  # every criterion met, as on the tablet
    store.save_submissions(path, [
        (Submission(id=sid(code), village=code, round=ROUND, date="2026-05-20", surveyor=who,
                    lon=113.91, lat=30.61, gps_accuracy_m=8.0, answers=answers, unmet=unmet),
         score(rubric, answers, (), unmet)) for code, (_, _, _, who) in VILLAGES.items()])
    for name, (role, county, towns, shown) in USERS.items():
        auth.add_user(path, name, role, county, PASSWORD, towns, shown, by=auth.operator())
    return path


def user(path: Path, name: str) -> auth.User:
    found = auth.get_user(path, name)
    assert found is not None
    return found


def sign_in(at, db: str | Path, role: str = "admin", county: str = A,
            townships: tuple[str, ...] = (), name: str | None = None,
            display_name: str | None = None) -> auth.User:
    """Create the account ``name`` (default ``test-<role>``) once and mark it signed in in the
    AppTest ``at`` (set before ``at.run()``); returns the account."""
    name = name or f"test-{role}"
    if role == auth.LIAISON and not townships:
        townships = (A1,)  # a liaison always has townships
    found = auth.get_user(db, name)
    if found is None:
        found = auth.add_user(db, name, role, county, PASSWORD, townships, display_name, by=auth.operator())
    at.session_state[keys.AUTH_USER] = found.name
    return found
