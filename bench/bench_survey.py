"""Benchmark: the tablet page's script time per tap at demo-county scale (goal: a tap < 300 ms
server-side).

Builds (once, cached in ``bench/out/survey.db``) the demo county (about 190 villages, a completed
round) plus a new round 2026-B4, signs in the demo surveyor and drives ``pages/tablet.py`` with
AppTest: the first run, opening a village, then one tap per item of the rubric (each answer is
saved as a draft at once), a note, a photo upload and the submit. AppTest reruns the *whole*
page on every tap, so these figures are an upper bound: in the browser a tap reruns only its
section's fragment. Also times ``photos.prepare`` on a 12-megapixel JPEG.

Prints median / 90th percentile / max; asserts nothing.
Run: ``.venv/bin/python -m bench.bench_survey [--rebuild]``.
"""

from __future__ import annotations

from datetime import date, timedelta

import argparse
import io
import os
import statistics
import time
from pathlib import Path

from PIL import Image

from survey import photos, service, store
from core.model import Round
from survey.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "tablet.py")
OUT = ROOT / "bench" / "out"
DB = OUT / "survey.db"
ROUND = Round("2026-B4", "第四次双月测评", (date.today() - timedelta(days=30)).isoformat(),
              (date.today() + timedelta(days=30)).isoformat())  # under way today: submits are dated today


def build(rebuild: bool) -> Path:
    if rebuild or not DB.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DB}{suffix}").unlink(missing_ok=True)
        OUT.mkdir(parents=True, exist_ok=True)
        service.load_demo(DB)
        store.create_round(DB, ROUND)
    return DB


def _jpeg(width: int, height: int) -> bytes:
    img = Image.effect_noise((width, height), 40).convert("RGB")  # noise: a realistic JPEG size
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


def _timed(at, action=None) -> float:
    if action:
        action()
    start = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - start) * 1000
    assert not at.exception, at.exception
    return elapsed


def _line(name: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
    return (f"{name:<38} n={len(values):>3}  median {statistics.median(values):7.1f} ms  "
            f"p90 {p90:7.1f} ms  max {values[-1]:7.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild bench/out/survey.db")
    args = parser.parse_args(argv)
    db = build(args.rebuild)
    os.environ["SURVEY_DB"] = str(db)

    from streamlit.testing.v1 import AppTest

    from ui import keys

    rubric = load_rubric()
    village = store.villages(db, township="429901100")[-1]
    store.delete_draft(db, ROUND.id, village.code, "王芳")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[keys.AUTH_USER] = "surveyor"  # a demo account (王芳)
    at.session_state[keys.ROUND] = ROUND.id
    first = _timed(at)
    opened = _timed(at, lambda: at.selectbox(key=keys.SV_VILLAGE).set_value(village.code))
    taps = []
    for n, item in enumerate(rubric.items):
        widget_key = f"{keys.SV_ANSWER}_{item.code}"
        if item.type == "count":
            taps.append(_timed(at, lambda: at.number_input(key=widget_key).set_value(0)))
        else:
            value = (n != 0) if item.type == "check" else item.grade_names[0]
            taps.append(_timed(at, lambda: at.segmented_control(key=widget_key).set_value(value)))
    failed = rubric.items[0].code
    note = _timed(at, lambda: at.text_area(key=f"{keys.SV_NOTE}_{failed}").input("村口无垃圾桶"))
    photo = _jpeg(4032, 3024)
    upload = _timed(at, lambda: at.file_uploader(key=f"{keys.SV_UPLOAD}_{failed}_0").set_value(
        ("IMG_0001.jpg", photo, "image/jpeg")))
    veto = _timed(at, lambda: at.segmented_control(key=keys.SV_VETO_ANY).set_value(False))
    submit = _timed(at, lambda: at.button(key=keys.SV_SUBMIT).click())
    prepare = []
    for _ in range(3):
        start = time.perf_counter()
        photos.prepare(photo, photos.stamp_lines(village.name, village.code, "2026-07-02 10:00", "王芳"))
        prepare.append((time.perf_counter() - start) * 1000)

    print(f"tablet page, demo county: {len(store.villages(db))} villages, {len(rubric.items)} items, "
          f"AppTest (whole page per run)")
    print(_line("first run (signed in, no village)", [first]))
    print(_line("open a village (draft loaded)", [opened]))
    print(_line("tap: answer one item (saved at once)", taps))
    print(_line("note on a failed item", [note]))
    print(_line("photo upload 4032x3024 (incl. prepare)", [upload]))
    print(_line("veto answered", [veto]))
    print(_line("submit (validate, score, store once)", [submit]))
    print(_line("photos.prepare 12 MP JPEG", prepare))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
