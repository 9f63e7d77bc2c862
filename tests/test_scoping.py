"""Scoping in survey/: every query a page makes returns only what the signed-in user's scope
holds (a surveyor: assigned villages and own submissions; a reviewer: their county, or some of
its townships; an admin: everything). Out of scope looks exactly like unknown."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import table
from scoped_db import A1, A2, B1, ROUND, VILLAGES, A, B, sid, user
from streamlit.testing.v1 import AppTest

from core.errors import NotFound, UsageError
from survey import audit, auth, mapdata, review, store
from survey.auth import Scope
from ui import keys

V1, V2, V3, VB = A1 + "201", A1 + "202", A2 + "201", B1 + "201"
ALL = set(VILLAGES)
#: user -> the villages in their scope
IN_SCOPE = {"admin": ALL, "rev-a": {V1, V2, V3}, "rev-a2": {V3}, "rev-b": {VB},
            "wang": {V1, V2}, "li": {V3}, "zhang": {VB}}


def test_scope_allows_villages_and_townships_by_code_prefix():
    s = Scope(A, (A1,))
    assert s.allows(V1) and s.allows(A1) and not s.allows(V3) and not s.allows(VB)
    assert Scope(A).allows(V3) and not Scope(A).allows(VB)
    assert Scope().allows(VB) and Scope().allows_county(B)
    assert s.check(V1) == V1 and s.check_county(A) == A
    with pytest.raises(NotFound):
        s.check(VB)
    with pytest.raises(NotFound):
        s.check_county(B)
    assert Scope(B).counties([A, B]) == [B]


@pytest.mark.parametrize("name", sorted(IN_SCOPE))
def test_registry_queries_return_the_scope_only(scoped, name):
    scope = user(scoped, name).scope
    assert {v.code for v in auth.villages_in(scoped, scope)} == IN_SCOPE[name]
    assert set(auth.townships_in(scoped, scope)) == {c[:9] for c in IN_SCOPE[name]}
    assert set(auth.counties_in(scoped, scope)) == {c[:6] for c in IN_SCOPE[name]}
    results = store.round_results(scoped, ROUND, scope.county, townships=scope.townships)
    assert {r.village.code for r in results} == IN_SCOPE[name]


def test_store_filters_villages_and_results_by_a_list_of_townships(scoped):
    assert [v.code for v in store.villages(scoped, townships=[A2, B1])] == [V3, VB]
    assert [r.village.code for r in store.round_results(scoped, ROUND, A, townships=[A1])] == [V1, V2]
    assert [v.code for v in store.villages(scoped, A, townships=[B1])] == []


@pytest.mark.parametrize("name", sorted(IN_SCOPE))
def test_submission_lists_hold_the_scope_only(scoped, name):
    listed = {i.village_code for i in review.submissions(scoped, user(scoped, name), ROUND)}
    assert listed == IN_SCOPE[name]


def test_a_surveyor_sees_only_their_own_submissions_even_in_their_townships(scoped):
    wang = user(scoped, "wang")
    auth.set_scope(scoped, "li", "surveyor", A, (A1, A2), by=auth.get_user(scoped, "admin"))  # li now also covers A1
    li = user(scoped, "li")
    assert {i.surveyor for i in review.submissions(scoped, li, ROUND)} == {"李明"}
    with pytest.raises(NotFound):
        review.detail(scoped, li, sid(V1))
    assert review.detail(scoped, wang, sid(V1)).item.surveyor == "王芳"


@pytest.mark.parametrize("name, code", [("rev-b", V1), ("rev-a2", V1), ("wang", V3), ("zhang", V1)])
def test_out_of_scope_submissions_look_unknown(scoped, name, code):
    with pytest.raises(NotFound) as out_of_scope:
        review.detail(scoped, user(scoped, name), sid(code))
    with pytest.raises(NotFound) as unknown:
        review.detail(scoped, user(scoped, name), "no-such-id")
    assert str(out_of_scope.value).replace(sid(code), "X") == str(unknown.value).replace("no-such-id", "X")


def test_photos_are_read_through_a_submission_in_scope_only(scoped):
    photo = store.add_photo(scoped, ROUND, V1, "王芳", "LJ01", "a" * 64, b"jpeg", 10, 10)
    store.close_draft(scoped, ROUND, V1, "王芳", sid(V1))
    assert review.photo(scoped, user(scoped, "rev-a"), sid(V1), photo) == b"jpeg"
    with pytest.raises(NotFound):
        review.photo(scoped, user(scoped, "rev-b"), sid(V1), photo)
    with pytest.raises(NotFound):  # a photo of another submission, through one in scope
        review.photo(scoped, user(scoped, "rev-b"), sid(VB), photo)


@pytest.mark.parametrize("name", ["rev-a", "rev-a2", "rev-b", "admin"])
def test_village_history_is_readable_in_scope_only(scoped, name):
    for code in sorted(ALL):
        if code in IN_SCOPE[name]:
            assert audit.village_history(scoped, user(scoped, name), code)
        else:
            with pytest.raises(NotFound):
                audit.village_history(scoped, user(scoped, name), code)


@pytest.mark.parametrize("name", ["rev-a", "rev-a2", "rev-b", "admin"])
def test_map_data_is_cut_to_the_scope(scoped, name):
    data = mapdata.for_user(mapdata.county_map_data(scoped, ROUND), user(scoped, name))
    assert {r.village.code for r in data.results} == IN_SCOPE[name]


def test_dashboard_and_export_refuse_a_county_out_of_scope_and_cut_to_townships(scoped):
    from survey import export, targets

    with pytest.raises(NotFound):
        targets.dashboard_data(scoped, ROUND, A, scope=user(scoped, "rev-b").scope)
    with pytest.raises(NotFound):
        export.build(scoped, user(scoped, "rev-b"), ROUND, A)
    [only_b] = export.build(scoped, user(scoped, "rev-b"), ROUND)
    assert only_b.county_code == B and [r[0] for r in only_b.villages] == [VB]
    with pytest.raises(UsageError) as err:  # some townships never speak for the county
        export.build(scoped, user(scoped, "rev-a2"), ROUND, A)
    assert err.value.key == "export_county_only"
    d = targets.dashboard_data(scoped, ROUND, A, scope=user(scoped, "rev-a2").scope)
    assert [r.code for r in d.townships] == [A2] and [r.village.code for r in d.results] == [V3]
    assert len(export.build(scoped, user(scoped, "admin"), ROUND)) == 2


PAGES = Path(__file__).resolve().parents[1] / "pages"


def page_as(scoped, monkeypatch, page: str, name: str, **state) -> AppTest:
    """The page as ``name`` sees it, with ``state`` put into the session (tampering)."""
    monkeypatch.setenv("SURVEY_DB", str(scoped))
    at = AppTest.from_file(str(PAGES / page), default_timeout=60)
    at.session_state[keys.AUTH_USER] = name
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


@pytest.mark.parametrize("page, key", [("dashboard.py", keys.DASH_COUNTY), ("export.py", keys.EXP_COUNTY)])
def test_office_pages_offer_the_reviewers_county_only_even_when_the_session_is_tampered(
        scoped, monkeypatch, page, key):
    at = page_as(scoped, monkeypatch, page, "rev-b")
    assert at.selectbox(key=key).options == ["乙县（429902）"]
    at = page_as(scoped, monkeypatch, page, "rev-b", **{key: A})
    assert at.selectbox(key=key).value == B  # the tampered value falls back to what is allowed
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.error, *at.exception])
    shown += " ".join(str(d.value.to_dict()) for d in at.dataframe)
    assert all(name not in shown for name in ("甲县", "甲村", "乙村", "丙村", "城关镇", "青石镇"))


def test_the_review_page_lists_the_scope_only(scoped, monkeypatch):
    at = page_as(scoped, monkeypatch, "review.py", "rev-a2", **{keys.ROUND: ROUND})
    assert table(at, "区划代码")["区划代码"].tolist() == [V3]
    at = page_as(scoped, monkeypatch, "review.py", "rev-a2", **{keys.ROUND: ROUND, keys.RV_TOWNSHIP: A1})
    assert "甲村" not in str([d.value.to_dict() for d in at.dataframe])
