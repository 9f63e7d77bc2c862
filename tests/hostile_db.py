"""A small database whose every text from data is hostile Markdown, HTML and template source
(the issue's payloads): the county, the township, a village, the round's name, the surveyor's
display name, a note, a reviewer's return comment and a road. For the AppTests of
``tests/test_hostile_text_pages.py`` and the Chromium journey of
``tests/browser/test_hostile_text_browser.py``."""

from __future__ import annotations

from pathlib import Path

from shapely.geometry import LineString

from core.model import Round
from geo.io import Road
from survey import auth, fieldwork, review, store
from survey.registry import VillageRow
from survey.roads import save_roads
from survey.rubric import Rubric, load_rubric
from survey.scoring import score
from survey.submissions import Submission

#: An image that would be fetched, a script link, HTML, a Jinja expression (1337 if evaluated),
#: Streamlit's colour directive, emphasis.
PAYLOADS = ("![x](http://127.0.0.2:9/px.png)", "[a](javascript:alert(1))", "<img src=x onerror=alert(1)>",
            "{{ 7*191 }}", ":red[红]", "**粗**")
EVALUATED = "1337"  # 7*191


def hostile(word: str) -> str:
    """``word`` followed by every payload: one hostile text per field, told apart by its word."""
    return " ".join((word, *PAYLOADS))


COUNTY, TOWNSHIP, VILLAGE = hostile("县"), hostile("镇"), hostile("村")
ROUND_NAME, SURVEYOR_NAME = hostile("轮"), hostile("员")
NOTE, COMMENT, ROAD = hostile("注"), hostile("退"), hostile("路")
TEXTS = {"county": COUNTY, "township": TOWNSHIP, "village": VILLAGE, "round": ROUND_NAME,
         "surveyor": SURVEYOR_NAME, "note": NOTE, "comment": COMMENT, "road": ROAD}

COUNTY_CODE, TOWNSHIP_CODE = "429901", "429901100"
HOSTILE_CODE, PLAIN_CODE = TOWNSHIP_CODE + "201", TOWNSHIP_CODE + "202"
ROUND = "2026-B3"
PASSWORD = "right-password-1"
#: login name -> role (every account of the county; the surveyor signs with SURVEYOR_NAME)
ACCOUNTS = {"surveyor": "surveyor", "reviewer": "reviewer", "admin": "admin"}
RETURNED, PENDING = "sub-returned", "sub-pending"


def _answers(rubric: Rubric, fail_first: bool) -> dict:
    answers = {i.code: True if i.type == "check" else 0 if i.type == "count" else i.grades[0][0]
               for i in rubric.items}
    first = rubric.items[0]
    if fail_first:
        answers[first.code] = False if first.type == "check" else 3 if first.type == "count" else first.grades[-1][0]
    return answers


def build(path: Path) -> Path:
    """Two villages of one township (the hostile one a demonstration village on the road), one
    round; the hostile village's submission returned with the hostile comment, the other's
    pending, both by the hostile surveyor with the hostile note; the surveyor's draft of the
    hostile village (its first item failed, with the hostile note); the three accounts."""
    store.import_registry(path, [
        VillageRow(code=HOSTILE_CODE, name=VILLAGE, township=TOWNSHIP, county=COUNTY, lon=114.0,
                   lat=30.0, title="县级", title_year=2024, households=120, demo=True, line=2),
        VillageRow(code=PLAIN_CODE, name="乙村", township=TOWNSHIP, county=COUNTY, lon=114.02,
                   lat=30.01, title="无", title_year=None, households=90, demo=False, line=3)])
    save_roads(path, [Road(ROAD, LineString([(113.99, 29.9), (113.99, 30.1)]), 2000.0)])
    store.create_round(path, Round(ROUND, ROUND_NAME, start_date="2026-05-01"))
    for name, role in ACCOUNTS.items():
        auth.add_user(path, name, role, COUNTY_CODE, PASSWORD,
                      display_name=SURVEYOR_NAME if role == "surveyor" else None, by=auth.operator())
    rubric = load_rubric()
    first = rubric.items[0].code
    scored = []
    for sid, code in ((RETURNED, HOSTILE_CODE), (PENDING, PLAIN_CODE)):
        answers = _answers(rubric, fail_first=True)
        scored.append((Submission(id=sid, village=code, round=ROUND, date="2026-05-20",
                                  surveyor=SURVEYOR_NAME, lon=114.0, lat=30.0, gps_accuracy_m=8.0,
                                  answers=answers, notes={first: NOTE}), score(rubric, answers, ())))
    store.save_submissions(path, scored)
    review.return_(path, auth.get_user(path, "reviewer"), RETURNED, COMMENT)
    me = auth.get_user(path, next(n for n, r in ACCOUNTS.items() if r == "surveyor"))
    draft = fieldwork.open_draft(path, me, ROUND, HOSTILE_CODE)
    draft = fieldwork.answer(path, me, draft, first, _answers(rubric, fail_first=True)[first])
    fieldwork.note(path, me, draft, first, NOTE)
    return path
