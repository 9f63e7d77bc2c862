"""Builders for the fix-it ledger's tests: the two-county database of ``scoped_db`` with township
liaisons, submissions that have findings (with notes and photos), and pictures to upload."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from PIL import Image
from scoped_db import A1, A2, PASSWORD, ROUND, A, perfect, user

from core.model import Round
from survey import auth, photos, review, store
from survey.rubric import load_rubric
from survey.scoring import score
from survey.store import NewPhoto
from survey.submissions import Submission

V1, V2, V3 = A1 + "201", A1 + "202", A2 + "201"  # 甲村, 乙村 (城关镇); 丙村 (青石镇)
#: What 甲村 was found wanting on: a check (hygiene, 7 days), a count (hygiene), a grade
#: (facility, 30 days), a customs check (no severity: 30 days). Photos for the first two.
WANTING = {"LJ03": False, "LJ07": 3, "LJ02": "B", "YF01": False}
NOTES = {"LJ03": "村口垃圾两天未清运", "LJ07": "=HYPERLINK(\"http://x\")河塘边三处", "LJ02": "未分类",
         "YF01": "村规民约未张贴"}
APPROVED_ON = date(2026, 5, 28)


def jpeg(color=(90, 140, 60), size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def submit(db: Path, code: str, sid: str, wanting: dict | None = None, notes: dict | None = None,
           round_id: str = ROUND, day: str = "2026-05-20", photographed: tuple[str, ...] = (),
           surveyor: str = "王芳") -> str:
    """Store a pending submission of ``code`` whose ``wanting`` items are findings, with a
    photo of each item in ``photographed``."""
    rubric = load_rubric()
    answers = perfect(rubric) | (wanting or {})
    sub = Submission(id=sid, village=code, round=round_id, date=day, surveyor=surveyor, lon=113.91,
                     lat=30.61, gps_accuracy_m=8.0, answers=answers, notes=notes or {})
    pictures = []
    for n, item in enumerate(photographed):
        p = photos.prepare(jpeg((40 * n, 90, 60)), ["测试", item, surveyor], font=None)
        pictures.append(NewPhoto(item, p.sha256, p.jpeg, p.width, p.height))
    store.save_submissions(db, [(sub, score(rubric, answers, ()))], photos={sid: pictures}, origin="jsonl")
    return sid


def add_liaisons(db: Path) -> None:
    """liu: liaison of 城关镇 (A1); zhao: liaison of 青石镇 (A2)."""
    auth.add_user(db, "liu", auth.LIAISON, A, PASSWORD, [A1], "刘联络", by=auth.operator())
    auth.add_user(db, "zhao", auth.LIAISON, A, PASSWORD, [A2], "赵联络", by=auth.operator())


def with_findings(db: Path) -> Path:
    """The scoped database plus liaisons, 甲村's second submission of the round with the
    :data:`WANTING` findings (the first one, perfect, returned), and 丙村's with one finding
    (LJ03, no photo); both approved on :data:`APPROVED_ON`."""
    add_liaisons(db)
    reviewer = user(db, "rev-a")
    review.return_(db, reviewer, f"sub-{V1}", "请补充问题")
    submit(db, V1, "sub-v1-2", WANTING, NOTES, photographed=("LJ03", "LJ07"))
    review.return_(db, reviewer, f"sub-{V3}", "请补充问题")
    submit(db, V3, "sub-v3-2", {"LJ03": False}, {"LJ03": "垃圾未清运"}, surveyor="李明")
    review.approve(db, reviewer, ["sub-v1-2", "sub-v3-2"], today=APPROVED_ON)
    return db


def add_round(db: Path, round_id: str, start: str) -> None:
    store.create_round(db, Round(round_id, round_id, start_date=start))
