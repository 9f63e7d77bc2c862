"""Rounds as offices run them: kinds (a mock round counts toward nothing), each round scored with
the rubric pinned when it opened (editing the YAML never rescores an earlier round), and opening
a round on the setup page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from builders import admin, best_answers, table
from streamlit.testing.v1 import AppTest

from core import config
from core.errors import UsageError
from core.model import Round
from survey import service, store, targets
from survey.cli import main
from survey.registry import VillageRow
from survey.rubric import load_rubric
from ui import keys
from ui.text import t as t_zh

ROOT = Path(__file__).resolve().parents[1]
CODES = ["429901100001", "429901100002", "429901100003"]


@pytest.fixture
def rubric_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the rubric files the test may edit (the app reads config.RUBRIC_DIR)."""
    folder = tmp_path / "rubric"
    shutil.copytree(config.RUBRIC_DIR, folder)
    monkeypatch.setattr(config, "RUBRIC_DIR", folder)
    return folder


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "r.db"
    store.import_registry(path, [
        VillageRow(code=c, name=f"村{i}", township="城关镇", county="示范县", lon=113.9, lat=30.6,
                   title="无", title_year=None, households=100, demo=False, line=i + 2)
        for i, c in enumerate(CODES)])
    return path


def jsonl(path: Path, round_id: str, ids: list[str], answers: dict) -> Path:
    path.write_text("".join(json.dumps({"id": sid, "village": CODES[i], "round": round_id, "date": "2026-05-20",
                                        "surveyor": "王芳", "answers": answers, "veto": []},
                                       ensure_ascii=False) + "\n" for i, sid in enumerate(ids)), encoding="utf-8")
    return path


def edit_points(folder: Path) -> tuple[str, str]:
    """Move one point between the first two items of the garbage section (sums still hold)."""
    rubric = load_rubric(folder)
    first, second = rubric.sections[0].items[:2]
    path = folder / f"{rubric.sections[0].code}.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    done = {first.code: False, second.code: False}
    current = None
    for n, line in enumerate(lines):
        if f"code: {first.code}" in line:
            current = first.code
        elif f"code: {second.code}" in line:
            current = second.code
        if current and not done[current] and line.strip().startswith("points:"):
            value = first.points + 1 if current == first.code else second.points - 1
            lines[n] = line.split("points:")[0] + f"points: {value}"
            done[current] = True
    assert all(done.values())
    path.write_text("\n".join(lines), encoding="utf-8")
    return first.code, second.code


def test_an_earlier_round_keeps_its_rubric_when_the_yaml_changes(db, rubric_dir, tmp_path, capsys):
    op = admin()
    service.open_round(db, op, "R1", "第一轮", "2026-05-01", "2026-06-30")
    rubric = load_rubric(rubric_dir)
    first = rubric.items[0].code
    answers = {**best_answers(rubric), first: False}  # the first item lost: its points show the version
    service.import_submissions_file(db, op, jsonl(tmp_path / "a.jsonl", "R1", ["a1"], answers))
    before = store.submission(db, "a1")
    assert before["rubric_version"] == rubric.version
    edit_points(rubric_dir)
    new = load_rubric(rubric_dir)
    assert new.version != rubric.version
    service.open_round(db, op, "R2", "第二轮", "2026-05-01", "2026-06-30")
    # the same answers again: R1 scores them as it did, R2 with the edited rubric
    service.import_submissions_file(db, op, jsonl(tmp_path / "b.jsonl", "R1", ["a2"], answers))
    service.import_submissions_file(db, op, jsonl(tmp_path / "c.jsonl", "R2", ["b1"], answers))
    assert store.submission(db, "a2")["total"] == before["total"] == rubric.total - rubric.items[0].points
    assert store.submission(db, "b1")["total"] == new.total - new.items[0].points != before["total"]
    assert store.submission(db, "b1")["rubric_version"] == new.version
    assert [r.total for r in store.round_results(db, "R1") if r.assessed] == [before["total"]]
    # checklists: the active rubric, or the one a round is scored with
    main(["--db", str(db), "checklists", "--json", "--round", "R1"])
    pinned = json.loads(capsys.readouterr().out)
    main(["--db", str(db), "checklists", "--json"])
    active = json.loads(capsys.readouterr().out)
    assert pinned["sections"][0]["items"][0]["points"] == float(rubric.items[0].points)
    assert active["sections"][0]["items"][0]["points"] == float(new.items[0].points)


def test_a_round_opened_before_pinning_is_pinned_by_its_first_submission(db, rubric_dir, tmp_path):
    store.create_round(db, Round("OLD", "旧轮次"))  # as an older version opened rounds
    rubric = service.rubric_for_round(db, "OLD")
    assert store.get_round(db, "OLD").rubric_version is None  # reading writes nothing
    service.import_submissions_file(db, admin(), jsonl(tmp_path / "o.jsonl", "OLD", ["o1"], best_answers(rubric)))
    assert store.get_round(db, "OLD").rubric_version == rubric.version
    edit_points(rubric_dir)
    assert service.rubric_for_round(db, "OLD").version == rubric.version  # pinned now


def test_a_round_created_by_an_import_is_pinned_to_the_rubric_that_scored_it(db, rubric_dir, tmp_path):
    rubric = load_rubric(rubric_dir)
    service.import_submissions_file(db, admin(), jsonl(tmp_path / "n.jsonl", "NEW", ["n1"], best_answers(rubric)))
    assert store.get_round(db, "NEW").rubric_version == rubric.version


def test_a_mock_round_changes_no_projected_share(db, tmp_path):
    op = admin()
    service.open_round(db, op, "MOCK", "模拟测评", "2026-05-01", None, kind="mock")
    service.open_round(db, op, "REAL", "例行测评", "2026-05-01", None)
    assert (store.get_round(db, "MOCK").counts, store.get_round(db, "REAL").counts) == (False, True)
    rubric = load_rubric()
    for rid in ("MOCK", "REAL"):
        service.import_submissions_file(db, op, jsonl(tmp_path / f"{rid}.jsonl", rid, [f"{rid}-{i}" for i in range(3)],
                                                      best_answers(rubric)))
    mock = targets.flags_table(db, "MOCK")
    real = targets.flags_table(db, "REAL")
    assert (mock[0].passed, mock[0].projected) == (3, 0)  # all passed; none of them titled: nothing projected
    assert (real[0].passed, real[0].projected) == (3, 3)
    d = targets.dashboard_data(db, "MOCK", "429901")
    assert d.county.projected == d.county.civilized_now == 0


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"kind": "drill"}, "round_kind"),
    ({"start": "2026-06-01", "end": "2026-05-01"}, "round_dates"),
    ({"round_id": "第一轮"}, "round_id"),
])
def test_a_round_that_cannot_be_is_refused(db, kwargs, key):
    args = {"round_id": "R9", "name": "x", "start": "2026-05-01", "end": None} | kwargs
    with pytest.raises(UsageError) as err:
        service.open_round(db, admin(), **args)
    assert err.value.key == key
    assert store.rounds(db) == []


def test_the_setup_page_opens_a_round_says_so_lists_it_and_chooses_it(db, monkeypatch, signed_in):
    monkeypatch.setenv("SURVEY_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages/setup.py"), default_timeout=60)
    signed_in(at, db, "admin")
    at.run()
    at.text_input(key=keys.SETUP_ROUND_ID).input("2026-B5")
    at.text_input(key=keys.SETUP_ROUND_NAME).input("第五次双月测评")
    at.selectbox(key=keys.SETUP_ROUND_KIND).set_value("unannounced")
    at.button(key=keys.SETUP_ROUND_CREATE).click().run()
    assert not at.exception  # (was: StreamlitWidgetAlreadyInstantiatedError on the round box)
    assert [s.value for s in at.success] == [t_zh("setup_round_created", id="2026-B5")]
    rounds = table(at, "编号", "类型")
    assert rounds["编号"].tolist() == ["2026-B5"] and rounds["类型"].tolist() == ["暗访"]
    assert store.get_round(db, "2026-B5").kind == "unannounced"
    # the app's sidebar chooses it on the next run
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    signed_in(app, db, "admin")
    app.session_state[keys.ROUND_PENDING] = at.session_state[keys.ROUND_PENDING]
    app.run()
    assert app.selectbox(key=keys.ROUND).value == "2026-B5"
