"""Parts of the review page (pages/review.py): the list, one submission opened, bulk approval,
and a surveyor's own submissions. Every decision is one call into ``survey.review``."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import streamlit as st

from core.constants import township_of
from core.errors import SurveyError
from core.model import STATUS_LABELS, STATUS_PENDING, STATUS_RETURNED
from survey import audit, gps, progress, review, service
from survey.auth import User
from ui import audit_view, keys, nav, pickers, shell
from ui.survey_view import num
from ui.text import Md, lang, md, plain, source_label, t, when


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status) if lang() == "zh" else status


def result_label(item: review.Item) -> Md:
    return t("rv_passed") if item.passed else t("rv_failed")


def gps_label(item: review.Item) -> str:
    """The GPS flags of a submission in words (plain: a table cell), 正常 when none."""
    return "、".join(plain(f"rv_gps_{f}") for f in item.gps_flags) or plain("rv_gps_ok")


def distance_label(item: review.Item) -> str:
    return "" if item.distance_m is None else f"{item.distance_m / 1000:.1f}"


def table(items: list[review.Item], key: str, comments: bool = False, pick: bool = False) -> None:
    """The listed submissions (data text is shown as text, never as markup). ``pick``: a click
    on a row opens that submission (the picker below follows)."""
    rows = [{t("rv_col_code"): i.village_code, t("rv_col_village"): i.village,
             t("rv_col_township"): i.township, t("rv_col_date"): i.date,
             t("rv_col_surveyor"): i.surveyor, t("rv_col_version"): plain("rv_version", n=i.version),
             t("rv_col_received"): when(i.received_at), t("rv_col_total"): num(i.total),
             t("rv_col_result"): result_label(i), t("rv_col_status"): status_label(i.status),
             t("rv_col_source"): source_label(i.source), t("rv_col_gps"): gps_label(i),
             t("rv_col_distance"): distance_label(i)}
            | ({t("rv_col_comment"): i.comment or ""} if comments else {}) for i in items]
    if not pick:
        st.dataframe(rows, hide_index=True, key=key)
        return
    ids = [i.id for i in items]
    # a new list (filtered, decided) is a new table: no row stays ticked that means another one
    key = f"{key}_{hashlib.sha1('|'.join(ids).encode()).hexdigest()[:10]}"

    def clicked() -> None:  # before the run: the picker's value may still be set
        chosen = st.session_state[key].selection.rows
        if chosen and chosen[0] < len(ids):
            st.session_state[keys.RV_SELECTED] = ids[chosen[0]]
            st.session_state[keys.RV_SELECTED_QUERY] = ""  # a search would choose its own match

    st.dataframe(rows, hide_index=True, key=key, on_select=clicked, selection_mode="single-row")


def progress_tables(db: Path, user: User, round_id: str) -> None:
    """How far the round is, per surveyor and per township (assigned villages, not started,
    drafts, submitted, returned)."""
    done = progress.round_progress(db, user, round_id)

    def rows(lines: list[progress.Row], first: str) -> list[dict[str, object]]:
        return [{t(first): r.name, t("pg_col_assigned"): r.assigned, t("pg_col_todo"): r.todo,
                 t("pg_col_drafts"): r.drafts, t("pg_col_submitted"): r.submitted,
                 t("pg_col_returned"): r.returned} for r in lines]

    with st.expander(t("pg_title"), icon=":material/monitoring:"):
        st.caption(t("pg_help"))
        if done.surveyors:
            st.dataframe(rows(done.surveyors, "rv_col_surveyor"), hide_index=True, key=keys.RV_PROGRESS)
        else:
            st.caption(t("pg_no_surveyors"))
        st.dataframe(rows(done.townships, "rv_col_township"), hide_index=True, key=keys.RV_PROGRESS_TOWNS)


def pick_label(i: review.Item) -> str:
    """A submission as the picker offers it: two versions of one village differ by number,
    arrival time and surveyor."""
    return plain("rv_pick_label", village=i.village, code=i.village_code, version=i.version,
                 date=i.date, received=when(i.received_at), surveyor=i.surveyor)


def picker(items: list[review.Item]) -> str | None:
    """The submission to open, picked by its village: in pinyin order of the villages (a
    village's versions in the order listed), found by pinyin, characters or code
    (``ui.pickers``). Returns its id, or None."""
    labels = {i.id: pick_label(i) for i in items}
    found = {i.id: f"{i.village} {i.village_code}" for i in items}
    return pickers.pinyin_select(t("rv_pick"), [None, *labels], found.__getitem__, keys.RV_SELECTED,
                                 keep=[None], format_func=lambda sid: labels[sid] if sid else "—")


def more_filters(items: list[review.Item]) -> review.Filter:
    """GPS flag, surveyor, source and survey dates, offered from the listed submissions."""
    c1, c2, c3, c4 = st.columns(4)
    flag = c1.selectbox(t("rv_gps"), ["", "any", *gps.GPS_FLAGS], key=keys.RV_GPS,
                        format_func=lambda f: plain(f"rv_gps_filter_{f}") if f else plain("rv_all"))
    names = sorted({i.surveyor for i in items})
    if st.session_state.get(keys.RV_SURVEYOR) not in ("", None, *names):
        st.session_state.pop(keys.RV_SURVEYOR)  # nobody of that name is listed any more
    surveyor = c2.selectbox(t("rv_col_surveyor"), ["", *names], key=keys.RV_SURVEYOR,
                            format_func=lambda n: n or plain("rv_all"))
    source = c3.selectbox(t("rv_col_source"), ["", *review.SOURCES], key=keys.RV_SOURCE,
                          format_func=lambda s: source_label(s) if s else plain("rv_all"))
    dates = c4.date_input(t("rv_dates"), value=(), key=keys.RV_DATES, format=shell.DATE_FORMAT)
    start, end = (*dates, None, None)[:2] if dates else (None, None)
    return review.Filter(gps=flag or None, surveyor=surveyor or None, source=source or None,
                         date_from=start.isoformat() if start else None,
                         date_to=(end or start).isoformat() if start else None)


def filter_text(more: review.Filter) -> str:
    """The extra filters in words (plain), for the bulk approval's confirmation."""
    parts = [plain(f"rv_gps_filter_{more.gps}") if more.gps else "",
             more.surveyor or "", source_label(more.source) if more.source else "",
             f"{more.date_from}～{more.date_to}" if more.date_from else ""]
    return "；".join(p for p in parts if p) or plain("rv_all")


def decided(text_key: str, **fields: str) -> None:
    """Remember a message for the next run, and rerun."""
    st.session_state[keys.RV_MESSAGE] = (text_key, fields)
    st.session_state.pop(keys.RV_SELECTED, None)
    st.session_state.pop(keys.RV_SELECTED_QUERY, None)  # else its first match would open at once
    st.rerun()


def bulk(db: Path, user: User, pending: list[review.Item], filter_text: Md) -> None:
    """Approve every pending submission listed, after the filter was shown and confirmed."""
    with st.expander(t("rv_bulk_title"), icon=":material/done_all:"):
        st.markdown(t("rv_bulk_filter", n=len(pending), filter=filter_text))
        sure = st.checkbox(t("rv_bulk_confirm"), key=keys.RV_BULK_CONFIRM)
        if st.button(t("rv_bulk", n=len(pending)), key=keys.RV_BULK, disabled=not sure,
                     icon=":material/done_all:"):
            try:
                n = review.approve(db, user, [i.id for i in pending])
            except SurveyError as exc:  # decided meanwhile by another reviewer: nothing changed
                st.error(md(exc), icon=":material/error:")
            else:
                st.session_state.pop(keys.RV_BULK_CONFIRM, None)
                decided("rv_bulk_done", n=str(n))


def _answer(item, value) -> str:
    if value is None:
        return ""
    if item.type == "check":
        return t("rv_met" if value else "rv_not_met")
    return str(value)


def detail(db: Path, user: User, submission_id: str) -> None:
    """One submission: score, position, answers, photos, versions, decisions, village history."""
    d = review.detail(db, user, submission_id)
    i, en = d.item, lang() == "en"
    rubric = service.rubric_for_round(db, i.round_id)
    st.subheader(t("rv_heading", village=i.village, code=i.village_code, township=i.township,
                   date=i.date, surveyor=i.surveyor), anchor=False)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("rv_total"), num(i.total))
    c2.metric(t("rv_result_value"), result_label(i))
    c3.metric(t("rv_col_status"), md(status_label(i.status)))
    names = {v.code: v.text_en if en else v.text for v in rubric.veto}
    if i.veto:
        st.error(t("rv_veto", items="；".join(names.get(c, c) for c in i.veto)))
    if d.reported:
        st.warning(t("rv_reported", items="；".join(names.get(c, c) for c in d.reported)))
    if i.comment:
        st.warning(t("rv_comment_shown", by=i.reviewer, comment=i.comment))
    st.caption(t("rv_position", lon=i.lon, lat=i.lat, acc=i.gps_accuracy_m if i.gps_accuracy_m
                 is not None else "—") if i.lon is not None else t("rv_no_position"))
    if i.distance_m is not None:
        st.caption(t("rv_distance", km=distance_label(i)))
    for flag in i.gps_flags:
        st.warning(t(f"rv_gps_warn_{flag}", km=distance_label(i), acc=f"{i.gps_accuracy_m or 0:.0f}"),
                   icon=":material/location_off:")
    st.caption(t("rv_source", source=source_label(i.source)))
    lost = dict(d.losses)
    st.markdown(f"**{t('rv_answers')}**")
    st.dataframe([{t("col_code"): it.code, t("rv_col_item"): it.text_en if en else it.text,
                   t("rv_col_answer"): _answer(it, d.answers.get(it.code)),
                   t("rv_col_lost"): num(lost.get(it.code, Decimal(0))),
                   t("rv_unmet"): "；".join(d.unmet.get(it.code, ())),
                   t("rv_col_note"): d.notes.get(it.code, "")} for it in rubric.items],
                 hide_index=True, key=keys.RV_ANSWERS)
    st.markdown(f"**{t('rv_photos')}**")
    if d.photos:
        st.image([review.photo(db, user, i.id, p.id) for p in d.photos],
                 caption=[md(p.item_code) for p in d.photos], width=240)
    else:
        st.caption(t("rv_no_photos"))
    if len(d.versions) > 1:
        st.markdown(f"**{t('rv_versions')}**")
        table(d.versions, keys.RV_VERSIONS, comments=True)
    if user.reviews and i.status == STATUS_PENDING and not i.superseded_by:
        _decide(db, user, i)
    if user.reviews:
        with st.expander(t("rv_history"), icon=":material/history:"):
            st.dataframe([{t("rv_col_at"): when(e.at), t("rv_col_actor"): e.actor or "",
                           t("rv_col_action"): audit_view.action_label(e.action),
                           t("rv_col_before"): audit_view.values(e.before),
                           t("rv_col_after"): audit_view.values(e.after)}
                          for e in audit.village_history(db, user, i.village_code)],
                         hide_index=True, key=keys.RV_HISTORY)


def _decide(db: Path, user: User, i: review.Item) -> None:
    if st.button(t("rv_approve"), key=keys.RV_APPROVE, type="primary", icon=":material/check:"):
        try:
            review.approve(db, user, [i.id])
        except SurveyError as exc:  # decided meanwhile by another reviewer
            st.error(md(exc), icon=":material/error:")
        else:
            decided("rv_approved", village=i.village)
    with st.form(keys.RV_RETURN_FORM, clear_on_submit=True):
        comment = st.text_area(t("rv_comment"), key=keys.RV_COMMENT, max_chars=500)
        if st.form_submit_button(t("rv_return"), icon=":material/undo:"):
            try:
                review.return_(db, user, i.id, comment)
                decided("rv_returned", village=i.village)
            except SurveyError as exc:
                st.error(md(exc), icon=":material/error:")


def mine(db: Path, user: User, round_id: str) -> None:
    """A surveyor's own submissions of the round; returned ones show the comment and can be
    corrected (a new draft; the returned version is kept)."""
    items = review.submissions(db, user, round_id)
    if not items:
        st.caption(t("rv_none"))
        return
    table(items, keys.RV_TABLE, comments=True)
    for i in items:
        if i.status != STATUS_RETURNED or i.superseded_by:
            continue
        with st.container(border=True):
            st.markdown(md(f"{i.village}（{i.village_code}）· {i.date}"))
            st.warning(t("rv_comment_shown", by=i.reviewer, comment=i.comment or ""))
            if st.button(t("rv_correct"), key=f"{keys.RV_CORRECT}_{i.id}", icon=":material/edit:"):
                try:
                    _, village = review.correct(db, user, i.id)  # of the round in the sidebar
                except SurveyError as exc:
                    st.error(md(exc), icon=":material/error:")
                else:
                    nav.go("tablet", **{keys.SV_TOWN: township_of(village), keys.SV_VILLAGE: village})
