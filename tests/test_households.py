"""The household register and its ten-star rating: the register file (GBK, XLSX, located
problems, all or nothing, idempotent), the rating's state moves, the village figures (exact),
scope, the audit trail, the spot check, and the command line (the notice read back)."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from scoped_db import A1, A2, B1, user

from core.errors import DataError, NotFound, UsageError
from survey import auth, store
from survey import households as hh

ROOT = Path(__file__).resolve().parents[1]
JIA, YI, BING, DING = A1 + "201", A1 + "202", A2 + "201", B1 + "201"  # 甲村, 乙村 (A1), 丙村 (A2), 丁村 (B)
ALL = [f"S{n:02d}" for n in range(1, 11)]
PERIOD = "2026"


@pytest.fixture
def liaison(scoped):
    """The township liaison of A1 (甲村, 乙村)."""
    return auth.add_user(scoped, "liaison-a1", auth.LIAISON, A1[:6], "right-password-1", (A1,), "联络员甲",
                         by=auth.operator())


def csv_file(tmp_path: Path, text: str, name: str = "名册.csv", encoding: str = "gb18030") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def register_of(db, village: str, n: int, start: int = 1) -> None:
    """``n`` households 001… on ``village``'s register."""
    rows = [hh.HouseholdRow(village, f"{k:03d}", f"户主{k}", "一组", 3, k + 1) for k in range(start, start + n)]
    store.import_households(db, rows, actor="test")


def problems(exc: DataError) -> list[tuple[int | None, str | None, str]]:
    return [(p.line, p.field, p.key) for p in exc.problems]


# --- the register file ---------------------------------------------------------------------------


def test_a_gbk_csv_of_two_villages_is_imported_once_and_again_changes_nothing(scoped, tmp_path, liaison):
    f = csv_file(tmp_path, "区划代码,户号,户主,村民小组,家庭人口\n"
                           f"{JIA},001,张三,一组,4\n{JIA},002,李四,一组,3\n{YI},001,王五,,5\n")
    s = hh.import_file(scoped, liaison, f)
    assert (s.added, s.updated, s.unchanged) == (3, 0, 0)
    again = hh.import_file(scoped, liaison, f)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    rows = store.household_rows(scoped, JIA)
    assert [(r["number"], r["head"], r["village_group"], r["members"]) for r in rows] == [
        ("001", "张三", "一组", 4), ("002", "李四", "一组", 3)]
    imports = {a["entity_id"]: a for a in store.audit_rows(scoped, entity="household")}  # one row per village
    assert sorted(imports) == [JIA, YI] and {a["action"] for a in imports.values()} == {"household.import"}
    assert imports[JIA]["before"] is None and imports[JIA]["after"] == {
        "001": {"head": "张三", "village_group": "一组", "members": 4},
        "002": {"head": "李四", "village_group": "一组", "members": 3}}
    assert all(a["actor"] == "liaison-a1" and a["village_code"] == a["entity_id"] for a in imports.values())


def test_a_workbook_for_one_village_needs_no_code_column(scoped, tmp_path, liaison):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["甲村户籍名册"])  # a title row above the header
    sheet.append(["户编号", "户主姓名", "小组", "人口"])
    sheet.append(["001", "张三", "一组", 4])
    sheet.append([2, "李四", "二组", 3.0])  # numbers as Excel keeps them
    path = tmp_path / "甲村.xlsx"
    book.save(path)
    s = hh.import_file(scoped, liaison, path, village=JIA)
    assert s.added == 2
    assert [(r["number"], r["members"]) for r in store.household_rows(scoped, JIA)] == [("001", 4), ("2", 3)]


def test_every_problem_of_a_file_is_located_and_nothing_is_written(scoped, tmp_path, liaison):
    f = csv_file(tmp_path, "区划代码,户号,户主,家庭人口\n"
                           f"{JIA},001,张三,4\n"
                           f"{JIA},001,张三丰,3\n"  # listed twice
                           f"429901100299,003,王五,2\n"  # not in the registry
                           f"{BING},004,赵六,2\n"  # a village of another township: out of the liaison's scope
                           f"{JIA},005,,2\n"  # no head
                           f"{JIA},006,钱七,0\n"  # no members
                           f"4299011002,007,孙八,2\n")  # not 12 digits
    with pytest.raises(DataError) as caught:
        hh.import_file(scoped, liaison, f)
    assert problems(caught.value) == [
        (3, "户号", "household_duplicate"), (4, "区划代码", "village_unknown"), (5, "区划代码", "village_unknown"),
        (6, "户主", "field_required"), (7, "家庭人口", "household_members"), (8, "区划代码", "code_digits")]
    assert "第一次出现在第 2 行" in caught.value.problems[0].message
    assert str(caught.value).splitlines()[0].startswith(f"{f}:3: 户号: ")
    assert store.household_rows(scoped, JIA) == []


def test_a_missing_column_and_a_row_of_another_village_are_refused(scoped, tmp_path, liaison):
    with pytest.raises(DataError) as caught:
        hh.import_file(scoped, liaison, csv_file(tmp_path, "户号,姓名\n001,张三\n"))
    assert problems(caught.value) == [(1, "户主", "column_missing"), (1, "区划代码", "column_missing")]
    mixed = csv_file(tmp_path, f"区划代码,户号,户主\n{JIA},001,张三\n{YI},002,李四\n", "mixed.csv")
    with pytest.raises(DataError) as caught:
        hh.import_file(scoped, liaison, mixed, village=JIA)
    assert problems(caught.value) == [(3, "区划代码", "household_other_village")]
    with pytest.raises(NotFound):
        hh.import_file(scoped, liaison, mixed, village=BING)  # out of scope looks unknown
    with pytest.raises(DataError) as caught:
        hh.import_file(scoped, liaison, csv_file(tmp_path, "a", "名册.pdf"))
    assert problems(caught.value) == [(None, None, "table_format")]


def test_a_register_for_a_village_not_in_the_registry_is_refused_whole(scoped, tmp_path):
    f = csv_file(tmp_path, "户号,户主\n001,张三\n")
    with pytest.raises(NotFound) as caught:
        hh.import_file(scoped, auth.operator(), f, village="429901100299")
    assert caught.value.key == "village_unknown"


def test_a_second_file_updates_what_changed_and_keeps_a_column_it_does_not_carry(scoped, tmp_path, liaison):
    hh.import_file(scoped, liaison, csv_file(tmp_path, "户号,户主,村民小组\n001,张三,一组\n002,李四,二组\n"),
                   village=JIA)
    s = hh.import_file(scoped, liaison, csv_file(tmp_path, "户号,户主\n001,张三\n002,李小四\n", "b.csv"),
                       village=JIA)
    assert (s.added, s.updated, s.unchanged) == (0, 1, 1)
    assert [(r["head"], r["village_group"]) for r in store.household_rows(scoped, JIA)] == [
        ("张三", "一组"), ("李小四", "二组")]
    update = store.audit_rows(scoped, entity="household", entity_id=JIA)[0]
    assert (update["action"], update["before"], update["after"]) == (
        "household.import", {"002": {"head": "李四"}}, {"002": {"head": "李小四"}})


def test_one_household_added_changed_and_taken_off_the_register_all_audited(scoped, liaison):
    assert hh.save_household(scoped, liaison, JIA, "009", "周九", "三组", 2) == "added"
    assert hh.save_household(scoped, liaison, JIA, "009", "周九", "三组", 2) == "unchanged"
    assert hh.save_household(scoped, liaison, JIA, "009", "周玖", "三组", 3) == "updated"
    hh.remove_household(scoped, liaison, JIA, "009")
    assert store.household_rows(scoped, JIA) == []
    with pytest.raises(NotFound):
        hh.remove_household(scoped, liaison, JIA, "009")
    with pytest.raises(DataError):
        hh.save_household(scoped, liaison, JIA, "010", " ", None, None)
    actions = [a["action"] for a in reversed(store.audit_rows(scoped, entity="household", entity_id=f"{JIA}/009"))]
    assert actions == ["household.add", "household.update", "household.remove"]


# --- scope ---------------------------------------------------------------------------------------


def test_out_of_scope_looks_unknown_and_a_surveyor_sees_figures_only(scoped, liaison):
    register_of(scoped, JIA, 3)
    for name in ("rev-b", "rev-a2"):
        with pytest.raises(NotFound):
            hh.register(scoped, user(scoped, name), JIA)
    with pytest.raises(NotFound):
        hh.save_household(scoped, liaison, BING, "001", "某某")
    wang = user(scoped, "wang")  # surveyor of A1
    with pytest.raises(UsageError) as caught:
        hh.register(scoped, wang, JIA)
    assert caught.value.key == "forbidden"
    with pytest.raises(UsageError):
        hh.rate(scoped, wang, JIA, "001", PERIOD, ALL)
    assert hh.village_figures(scoped, wang, JIA, PERIOD).households == 3
    with pytest.raises(NotFound):
        hh.village_figures(scoped, user(scoped, "li"), JIA, PERIOD)
    assert [h.number for h in hh.register(scoped, user(scoped, "rev-a"), JIA)] == ["001", "002", "003"]


# --- the rating ----------------------------------------------------------------------------------


def test_a_star_not_in_the_set_more_than_ten_and_a_disqualified_title_are_located(scoped, liaison):
    register_of(scoped, JIA, 2)
    with pytest.raises(DataError) as caught:
        hh.rate(scoped, liaison, JIA, "001", PERIOD, [*ALL, "S11", "S01"])
    assert sorted(p.key for p in caught.value.problems) == ["star_twice", "star_unknown", "stars_too_many"]
    assert str(caught.value.problems[0]).startswith(f"{JIA}/001: stars: ")
    with pytest.raises(DataError) as caught:
        hh.rate(scoped, liaison, JIA, "001", PERIOD, ALL[:5], "D4")
    assert problems(caught.value) == [(None, "disqualifier", "disqualified_title")]
    assert "家庭暴力" in caught.value.problems[0].message and "铜牌" in caught.value.problems[0].message
    with pytest.raises(DataError) as caught:
        hh.rate(scoped, liaison, JIA, "001", PERIOD, [], "D9")
    assert problems(caught.value) == [(None, "disqualifier", "disqualifier_unknown")]
    assert store.rating_rows(scoped, JIA) == []
    assert hh.rate(scoped, liaison, JIA, "001", PERIOD, ALL[:4], "D4") == hh.CLAIMED  # no title: allowed


def test_the_procedure_moves_one_step_at_a_time(scoped, liaison):
    register_of(scoped, JIA, 3)
    for number, stars in (("001", ALL), ("002", ALL[:8])):
        assert hh.rate(scoped, liaison, JIA, number, PERIOD, stars) == hh.CLAIMED
    with pytest.raises(DataError) as caught:  # the claim is not discussed yet
        hh.move(scoped, liaison, JIA, PERIOD, hh.REVIEWED, ["001"])
    assert problems(caught.value) == [(None, None, "rating_state")]
    with pytest.raises(DataError) as caught:
        hh.move(scoped, liaison, JIA, PERIOD, hh.DISCUSSED, ["003", "404"])
    assert [p.key for p in caught.value.problems] == ["rating_unknown", "household_unknown"]
    assert hh.move(scoped, liaison, JIA, PERIOD, hh.DISCUSSED) == 2
    assert hh.rate(scoped, liaison, JIA, "002", PERIOD, ALL[:9]) == hh.DISCUSSED  # amended by the representatives
    assert hh.move(scoped, liaison, JIA, PERIOD, hh.REVIEWED) == 2
    with pytest.raises(UsageError) as caught:
        hh.move(scoped, liaison, JIA, PERIOD, hh.NOTICE, start="2026-05-01", end="2026-05-06")
    assert caught.value.key == "notice_short" and "共 6 天" in str(caught.value)
    with pytest.raises(UsageError) as caught:
        hh.move(scoped, liaison, JIA, PERIOD, hh.NOTICE, start="2026-05-07", end="2026-05-01")
    assert caught.value.key == "notice_dates"
    assert hh.move(scoped, liaison, JIA, PERIOD, hh.NOTICE, start=date(2026, 5, 1), end=date(2026, 5, 7)) == 2
    with pytest.raises(UsageError) as caught:  # on notice: the stars are what was posted
        hh.rate(scoped, liaison, JIA, "001", PERIOD, ALL[:9])
    assert caught.value.key == "rating_state"
    with pytest.raises(DataError) as caught:  # the last day of the notice is still the notice
        hh.move(scoped, liaison, JIA, PERIOD, hh.AWARDED, today=date(2026, 5, 7))
    assert [p.key for p in caught.value.problems] == ["notice_running", "notice_running"]
    assert hh.back(scoped, liaison, JIA, PERIOD, "002") == hh.REVIEWED  # an objection
    assert hh.move(scoped, liaison, JIA, PERIOD, hh.AWARDED, today=date(2026, 5, 8)) == 1
    ratings = {r["household"]: r for r in store.rating_rows(scoped, JIA, PERIOD)}
    assert (ratings["001"]["state"], ratings["001"]["notice_start"], ratings["001"]["notice_end"]) == (
        hh.AWARDED, "2026-05-01", "2026-05-07")
    assert (ratings["002"]["state"], ratings["002"]["notice_start"], ratings["002"]["star_count"]) == (
        hh.REVIEWED, None, 9)
    with pytest.raises(UsageError):
        hh.back(scoped, liaison, JIA, PERIOD, "001")  # awarded stays
    with pytest.raises(UsageError) as caught:
        hh.move(scoped, liaison, JIA, PERIOD, hh.AWARDED)
    assert caught.value.key == "rating_none"
    trail = [a["action"] for a in reversed(store.audit_rows(scoped, entity="rating",
                                                            entity_id=f"{JIA}/001/{PERIOD}"))]
    assert trail == ["rating.claimed", "rating.discussed", "rating.reviewed", "rating.notice", "rating.awarded"]


def test_a_household_is_rated_anew_each_period_and_its_stars_can_be_lost(scoped, liaison):
    register_of(scoped, JIA, 1)
    hh.rate(scoped, liaison, JIA, "001", "2025", ALL)
    hh.rate(scoped, liaison, JIA, "001", "2026", ALL[:6])
    assert [h.rating.count for h in hh.register(scoped, liaison, JIA)] == [6]  # the latest
    assert [h.rating.count for h in hh.register(scoped, liaison, JIA, "2025")] == [10]


# --- the figures ---------------------------------------------------------------------------------


def award(db, who, village: str, ratings: dict[str, tuple[list[str], str | None]]) -> None:
    for number, (stars, flag) in ratings.items():
        hh.rate(db, who, village, number, PERIOD, stars, flag)
    for state in (hh.DISCUSSED, hh.REVIEWED):
        hh.move(db, who, village, PERIOD, state)
    hh.move(db, who, village, PERIOD, hh.NOTICE, start="2026-05-01", end="2026-05-07")
    hh.move(db, who, village, PERIOD, hh.AWARDED, today=date(2026, 5, 8))


def test_the_figures_of_a_village_are_counted_exactly(scoped, liaison):
    register_of(scoped, JIA, 10)
    award(scoped, liaison, JIA, {"001": (ALL, None), "002": (ALL, None), "003": (ALL, None),
                                 "004": (ALL[:8], None), "005": (ALL[:9], None), "006": (ALL[:5], None),
                                 "007": (ALL[:4], None), "008": ([], "D2")})
    f = hh.village_figures(scoped, liaison, JIA, PERIOD)
    assert (f.households, f.rated, f.awarded, f.ten_star, f.disqualified, f.noticed) == (10, 8, 8, 3, 1, 8)
    assert f.participation == Decimal("80.0") and f.participation_met  # 8 ÷ 10 is exactly the threshold
    assert f.ten_star_rate == Decimal("37.5")  # 3 ÷ 8
    assert [(t.name, n) for t, n in f.tiers] == [("铜牌", 1), ("银牌", 2), ("金牌", 3)]
    assert (f.notice_start, f.notice_end, f.posted) == ("2026-05-01", "2026-05-07", True)
    hh.save_household(scoped, liaison, JIA, "011", "新户")  # one more household: 8 ÷ 11 is below 80 %
    f = hh.village_figures(scoped, liaison, JIA, PERIOD)
    assert (f.households, f.participation, f.participation_met) == (11, Decimal("72.7"), False)
    hh.remove_household(scoped, liaison, JIA, "008")  # moved away: neither counted nor rated
    f = hh.village_figures(scoped, liaison, JIA, PERIOD)
    assert (f.households, f.rated, f.disqualified) == (10, 7, 0)


def test_the_office_sees_every_village_of_its_scope(scoped, liaison):
    register_of(scoped, JIA, 4)
    register_of(scoped, BING, 2)
    hh.rate(scoped, liaison, JIA, "001", PERIOD, ALL)
    rows = hh.county_figures(scoped, user(scoped, "rev-a"), A1[:6], PERIOD)
    assert [(p.village.code, p.figures.households, p.figures.rated) for p in rows] == [
        (JIA, 4, 1), (YI, 0, 0), (BING, 2, 0)]
    assert [p.village.code for p in hh.county_figures(scoped, liaison, A1[:6], PERIOD)] == [JIA, YI]
    with pytest.raises(NotFound):
        hh.county_figures(scoped, user(scoped, "rev-b"), A1[:6], PERIOD)


def test_the_default_period_is_the_latest_rated_up_to_today(scoped, liaison):
    register_of(scoped, JIA, 1)
    stars = hh.load_stars()
    assert hh.default_period(scoped, stars, village=JIA, today=date(2026, 3, 1)) == "2026"
    hh.rate(scoped, liaison, JIA, "001", "2025", ALL)
    assert hh.default_period(scoped, stars, village=JIA, today=date(2026, 3, 1)) == "2025"
    assert hh.periods(scoped, liaison, A1[:6], today=date(2026, 3, 1)) == (["2026", "2025"], "2025")


def test_the_spot_check_draws_n_awarded_households_the_same_for_the_same_round(scoped, liaison):
    register_of(scoped, JIA, 14)
    award(scoped, liaison, JIA, {f"{k:03d}": (ALL[:k % 6 + 5], None) for k in range(1, 13)})
    surveyor = user(scoped, "wang")
    first = hh.spot_sample(scoped, surveyor, JIA, "2026-B3", PERIOD)
    assert len(first) == 10 and len({h.number for h in first}) == 10
    assert all(h.rating.state == hh.AWARDED for h in first)
    assert hh.spot_sample(scoped, surveyor, JIA, "2026-B3", PERIOD) == first
    assert {h.number for h in hh.spot_sample(scoped, surveyor, YI, "2026-B3", PERIOD)} == set()
    others = [hh.spot_sample(scoped, surveyor, JIA, f"R{k}", PERIOD) for k in range(5)]
    assert any(o != first for o in others)  # another round, another draw


# --- the notice and the command line -------------------------------------------------------------


def cli(*args, db):
    return subprocess.run([sys.executable, "-m", "survey", f"--db={db}", *map(str, args)], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_commands_import_list_and_write_the_notice_read_back(scoped, tmp_path):
    import docx

    f = csv_file(tmp_path, "户号,户主,村民小组\n001,张三,一组\n002,李四,一组\n003,王五,二组\n")
    r = cli("import-households", f, "--village", JIA, db=scoped)
    assert r.returncode == 0 and "3 households added, 0 updated, 0 unchanged" in r.stderr
    bad = csv_file(tmp_path, "户号,户主\n001,张三\n001,李四\n", "bad.csv")
    r = cli("import-households", bad, "--village", JIA, db=scoped)
    assert r.returncode == 1 and r.stderr.startswith(f"{bad}:3: 户号: ")
    op = auth.operator()
    award(scoped, op, JIA, {"001": (ALL, None), "002": (ALL[:8], None), "003": (ALL[:3], "D2")})
    r = cli("households", "--village", JIA, db=scoped)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == ("区划代码,村,户号,户主,村民小组,家庭人口,评星周期,星数,所获星级,等级,否决情形,状态,"
                        "公示开始,公示结束")
    assert lines[1].startswith(f"{JIA},甲村,001,张三,一组,,2026,10,爱党爱国、")
    assert ",金牌,,已授牌,2026-05-01,2026-05-07" in lines[1]
    assert lines[3].endswith(",2026,3,爱党爱国、遵纪守法、诚实守信,,参与赌博,已授牌,2026-05-01,2026-05-07")
    out = tmp_path / "公示.docx"
    r = cli("households", "--village", JIA, "--period", PERIOD, "--out", out, db=scoped)
    assert r.returncode == 0, r.stderr
    doc = docx.Document(io.BytesIO(out.read_bytes()))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "甲村2026年度十星级文明户评定结果公示"
    assert "公示时间：2026年5月1日至2026年5月7日（共 7 天）。" in paragraphs
    assert "公示期间如有异议，请向村民委员会（村务监督委员会）反映。" in paragraphs
    rows = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert rows[0] == ["序号", "村民小组", "户号", "户主", "星数", "所获星级", "等级"]
    assert [[*r[2:5], r[6]] for r in rows[1:]] == [["001", "张三", "10", "金牌"], ["002", "李四", "8", "银牌"]]
    assert "王五" not in "\n".join(paragraphs + [c for r in rows for c in r])  # disqualified: not published
    assert cli("households", "--village", JIA, "--out", tmp_path / "x.txt", db=scoped).returncode == 2
    r = cli("households", "--village", YI, "--out", tmp_path / "y.docx", db=scoped)
    assert r.returncode == 1 and "notice" in r.stderr


def test_the_stars_command_checks_the_set():
    r = subprocess.run([sys.executable, "-m", "survey", "stars", "--json"], check=False, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and '"notice_days": 7' in r.stdout
