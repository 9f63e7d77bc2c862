"""Parts of the review page (pages/review.py): the list, one submission opened, bulk approval,
and a surveyor's own submissions. Every decision is one call into ``survey.review``."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import streamlit as st

from core.constants import township_of
from core.errors import SurveyError
from core.model import STATUS_LABELS, STATUS_PENDING, STATUS_RETURNED
from survey import audit, review, service
from survey.auth import User
from ui import keys, nav
from ui.survey_view import num
from ui.text import Md, lang, md, source_label, t, when


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status) if lang() == "zh" else status


def result_label(item: review.Item) -> Md:
    return t("rv_passed") if item.passed else t("rv_failed")


def table(items: list[review.Item], key: str, comments: bool = False) -> None:
    """The listed submissions (data text is shown as text, never as markup)."""
    rows = [{t("rv_col_code"): i.village_code, t("rv_col_village"): i.village,
             t("rv_col_township"): i.township, t("rv_col_date"): i.date,
             t("rv_col_surveyor"): i.surveyor, t("rv_col_total"): num(i.total),
             t("rv_col_result"): result_label(i), t("rv_col_status"): status_label(i.status),
             t("rv_col_source"): source_label(i.source)}
            | ({t("rv_col_comment"): i.comment or ""} if comments else {}) for i in items]
    st.dataframe(rows, hide_index=True, key=key)


def decided(text_key: str, **fields: str) -> None:
    """Remember a message for the next run, and rerun."""
    st.session_state[keys.RV_MESSAGE] = (text_key, fields)
    st.session_state.pop(keys.RV_SELECTED, None)
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
            st.dataframe([{t("rv_col_at"): when(e.at), t("rv_col_actor"): e.actor, t("rv_col_action"): e.action,
                           t("rv_col_before"): _short(e.before), t("rv_col_after"): _short(e.after)}
                          for e in audit.village_history(db, user, i.village_code)],
                         hide_index=True, key=keys.RV_HISTORY)


def _short(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False)[:200]


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
