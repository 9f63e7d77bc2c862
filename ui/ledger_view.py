"""Parts of the fix-it ledger's pages (整改台账): the county office's ledger (pages/ledger.py), the
township liaison's fixes (pages/fixes.py), the re-check on the tablet (pages/recheck.py), and
the ledger counts beside each township's share on the dashboard. Every read and write is one
call into ``survey.ledger``; nothing here decides a rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import streamlit as st

from core import config
from core.errors import SurveyError
from survey import auth, ledger, photos
from survey.auth import User
from survey.rubric import load_rubric
from ui import keys, shell
from ui.text import lang, md, plain, t

T = TypeVar("T")

#: Large touch targets for phones and tablets (gloves, sun); served inline.
CSS = """<style>
.stApp button[kind], .stApp [data-testid="stBaseButton-secondary"] {min-height: 3rem;}
.stApp textarea {font-size: 1.1rem !important;}
.stApp [data-baseweb="select"] > div {min-height: 3rem;}
.stApp [data-testid="stFileUploaderDropzone"] {min-height: 4rem;}
</style>"""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- reads, cached on the data version and the day (overdue changes at midnight) -----------------


@st.cache_data(show_spinner=False, max_entries=16)
def _county(db: str, user: User, county: str, filters: tuple, version: int, day: str) -> ledger.Ledger:
    return ledger.county_ledger(db, user, county, **dict(filters))


@st.cache_data(show_spinner=False, max_entries=512)
def _thumb(db: str, user: User, entry_id: int, photo_id: str) -> bytes:
    return ledger.photo(db, user, entry_id, photo_id, side=360)


def _db() -> str:
    return str(shell.db())


def message() -> None:
    """The message a write left for this run."""
    found = st.session_state.pop(keys.LG_MESSAGE, None)
    if found:
        st.success(t(found[0], **found[1]), icon=":material/check_circle:")


def _done(text_key: str, clear: tuple[str, ...] = (), **fields: str) -> None:
    """Remember a message for the next run, empty the widgets ``clear``, and rerun (a form
    keeps what was typed when the write is refused)."""
    st.session_state[keys.LG_MESSAGE] = (text_key, fields)
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


def _status(status: str) -> str:
    return plain(f"lg_status_{status}")


def _yes(flag: bool) -> str:
    return plain("lg_yes" if flag else "lg_no")


# --- the county office's ledger -----------------------------------------------------------------


def filters(user: User, county: str) -> dict[str, str | None]:
    """Round, township, status, section and item, chosen above the ledger."""
    rounds = [r.id for r in reversed(shell.rounds())]
    towns = auth.townships_in(shell.db(), user.scope, county)
    rubric = load_rubric()
    en = lang() == "en"
    c1, c2, c3, c4, c5 = st.columns(5)
    round_id = c1.selectbox(t("lg_round"), ["", *rounds], key=keys.LG_ROUND,
                            format_func=lambda r: r or plain("lg_all"))
    township = c2.selectbox(t("lg_township"), ["", *towns], key=keys.LG_TOWNSHIP,
                            format_func=lambda c: towns[c] if c else plain("lg_all"))
    status = c3.selectbox(t("lg_status"), ["", *ledger.STATUSES], key=keys.LG_STATUS,
                          format_func=lambda s: _status(s) if s else plain("lg_all"))
    sections = {s.code: s.name_en if en else s.name for s in rubric.sections}
    section = c4.selectbox(t("lg_section"), ["", *sections], key=keys.LG_SECTION,
                           format_func=lambda s: sections[s] if s else plain("lg_all"))
    items = {i.code: f"{i.code} {i.text_en if en and i.text_en else i.text}" for i in rubric.items
             if not section or i.section == section}
    if st.session_state.get(keys.LG_ITEM) not in ("", None, *items):
        st.session_state[keys.LG_ITEM] = ""
    item = c5.selectbox(t("lg_item"), ["", *items], key=keys.LG_ITEM,
                        format_func=lambda c: items[c] if c else plain("lg_all"))
    return {"round_id": round_id or None, "township": township or None, "status": status or None,
            "section": section or None, "item": item or None}


def county_ledger(user: User, county: str, chosen: dict[str, str | None]) -> ledger.Ledger | None:
    """The ledger of the county as filtered; None (and the message) when a filter is refused."""
    try:
        return _county(_db(), user, county, tuple(sorted(chosen.items())), shell.version(),
                       config.today().isoformat())
    except SurveyError as exc:
        st.error(md(exc), icon=":material/error:")
        return None


def metrics(c: ledger.Counts) -> None:
    """Counts by state, overdue and recurring."""
    cols = st.columns(6)
    cols[0].metric(t("lg_total"), md(c.total))
    cols[1].metric(t("lg_status_open"), md(c.open))
    cols[2].metric(t("lg_status_fixed"), md(c.fixed))
    cols[3].metric(t("lg_status_closed"), md(c.closed))
    cols[4].metric(t("lg_status_overdue"), md(c.overdue))
    cols[5].metric(t("lg_recurring"), md(c.recurring))


def townships(data: ledger.Ledger) -> None:
    """Each township's counts, most overdue first."""
    st.subheader(t("lg_townships"), anchor=False)
    rows = sorted(data.townships.items(), key=lambda kv: (-kv[1][1].overdue, -kv[1][1].open, kv[0]))
    st.dataframe([{t("lg_col_township"): name, t("lg_status_open"): c.open, t("lg_status_fixed"): c.fixed,
                   t("lg_status_closed"): c.closed, t("lg_status_overdue"): c.overdue,
                   t("lg_recurring"): c.recurring, t("lg_col_total"): c.total}
                  for _code, (name, c) in rows], hide_index=True, key=keys.LG_TABLE_TOWNSHIPS)


def entries_table(found: list[ledger.Entry]) -> None:
    """The entries, overdue and recurring first."""
    st.subheader(t("lg_entries"), anchor=False)
    st.dataframe([{t("lg_col_id"): e.id, t("lg_col_village"): e.village, t("lg_col_township"): e.township,
                   t("lg_col_round"): e.round_id or "", t("lg_col_item"): e.item_code or "",
                   t("lg_col_problem"): e.problem, t("lg_col_found"): e.found_on,
                   t("lg_col_deadline"): e.deadline, t("lg_col_status"): _status(e.status),
                   t("lg_col_overdue"): _yes(e.overdue), t("lg_col_recurring"): _yes(e.recurring),
                   t("lg_col_failed"): e.failed_rechecks, t("lg_col_closed"): e.closed_on or ""}
                  for e in found], hide_index=True, key=keys.LG_TABLE)


def downloads(user: User, county: str, chosen: dict[str, str | None]) -> None:
    """The ledger as XLSX and CSV (as filtered), and the notice (督办单) of one township."""
    db = _db()
    towns = auth.townships_in(db, user.scope, county)
    c1, c2, c3, c4 = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
    stamp = config.today().isoformat()
    c1.download_button(t("lg_download"), lambda: ledger.ledger_bytes(db, user, "xlsx", county=county, **chosen),
                       file_name=f"整改台账_{county}_{stamp}.xlsx", mime=XLSX, key=keys.LG_DL_XLSX,
                       icon=":material/table_view:", on_click="ignore")
    c2.download_button(t("lg_download_csv"), lambda: ledger.ledger_bytes(db, user, "csv", county=county, **chosen),
                       file_name=f"整改台账_{county}_{stamp}.csv", mime="text/csv", key=keys.LG_DL_CSV,
                       icon=":material/csv:", on_click="ignore")
    if not towns:
        return
    town = c3.selectbox(t("lg_notice_town"), list(towns), key=keys.LG_NOTICE_TOWN, format_func=towns.get)
    c4.download_button(t("lg_notice"), lambda: ledger.notice_docx(db, user, town, chosen.get("round_id")),
                       file_name=ledger.notice_name(town, towns[town]), mime=DOCX, key=keys.LG_NOTICE,
                       icon=":material/description:", on_click="ignore")


def _gallery(db: str, user: User, e: ledger.Entry, pics: list[ledger.Photo], title: str) -> None:
    """Thumbnails of ``pics`` under the heading of text key ``title``."""
    st.markdown(f"**{t(title)}**")
    if not pics:
        st.caption(t("lg_no_photo"))
        return
    st.image([_thumb(db, user, e.id, p.id) for p in pics], caption=[md(f"{p.taken_by} {p.created_at[:16]}")
                                                               for p in pics], width=220)


def entry_card(user: User, e: ledger.Entry, before_only: bool = False) -> list[ledger.Photo]:
    """One entry: what, where, when, its state, the fix and re-check so far, and its photos
    (before and after side by side; only "before" when ``before_only``). Returns its photos."""
    db = _db()
    st.markdown(t("lg_entry_head", id=e.id, item=e.item_code or "—", village=e.village, township=e.township))
    st.markdown(t("lg_entry_state", status=_status(e.status), found=e.found_on, deadline=e.deadline,
                  overdue=t("lg_overdue_mark") if e.overdue else "",
                  recurring=t("lg_recurring_mark", id=e.recurs) if e.recurring else "",
                  failed=t("lg_failed_mark", n=e.failed_rechecks) if e.failed_rechecks else ""))
    st.markdown(t("lg_problem", text=e.problem))
    if e.fix_text:
        st.markdown(t("lg_fix", by=e.fixed_by or "", text=e.fix_text))
    if e.recheck_note:
        st.markdown(t("lg_recheck_note", by=e.rechecked_by or "", text=e.recheck_note))
    pics = ledger.entry_photos(db, user, e.id)
    if before_only:
        _gallery(db, user, e, [p for p in pics if p.kind == "before"], "lg_before")
        return pics
    left, right = st.columns(2)
    with left:
        _gallery(db, user, e, [p for p in pics if p.kind == "before"], "lg_before")
    with right:
        _gallery(db, user, e, [p for p in pics if p.kind == "after"], "lg_after")
        if any(p.kind == "recheck" for p in pics):
            _gallery(db, user, e, [p for p in pics if p.kind == "recheck"], "lg_recheck_photos")
    return pics


def village(user: User, found: list[ledger.Entry]) -> None:
    """A village's entries (of the filtered list) with their photos side by side."""
    st.subheader(t("lg_village"), anchor=False)
    names = {e.village_code: f"{e.village}（{e.township}）" for e in sorted(found, key=lambda e: e.village_code)}
    code = st.selectbox(t("lg_village_pick"), [None, *names], key=keys.LG_VILLAGE,
                        format_func=lambda c: names[c] if c else "—")
    for e in (x for x in found if x.village_code == code):
        with st.container(border=True, key=f"{keys.LG_ENTRY}_{e.id}"):
            entry_card(user, e)


def open_form(user: User, county: str) -> None:
    """Open an entry by hand: village, problem, deadline, photo."""
    db = _db()
    with st.expander(t("lg_open_title"), icon=":material/add_task:"):
        villages = {v.code: f"{v.name}（{v.township}）" for v in auth.villages_in(db, user.scope)
                    if v.county_code == county}
        with st.form(keys.LG_OPEN_FORM):
            code = st.selectbox(t("lg_open_village"), list(villages), key=keys.LG_OPEN_VILLAGE,
                                format_func=villages.get, filter_mode="contains")
            text = st.text_area(t("lg_open_text"), key=keys.LG_OPEN_TEXT, max_chars=2000)
            due = st.date_input(t("lg_open_deadline"), value=config.today() + timedelta(days=7),
                                key=keys.LG_OPEN_DEADLINE, format=shell.DATE_FORMAT)
            files = shell.uploader(t("lg_open_photo"), photos.ACCEPTED, keys.LG_OPEN_PHOTO, multiple=True)
            if st.form_submit_button(t("lg_open_submit"), key=keys.LG_OPEN_SUBMIT, icon=":material/add_task:"):
                try:
                    opened = ledger.open_by_hand(db, user, code or "", text, due, _files(files))
                except SurveyError as exc:
                    st.error(md(exc), icon=":material/error:")
                else:
                    _done("lg_opened", (keys.LG_OPEN_TEXT, keys.LG_OPEN_DEADLINE, keys.LG_OPEN_PHOTO),
                          id=str(opened.id))


def _files(uploads) -> list[tuple[bytes, str]]:
    return [(u.getvalue(), u.name) for u in uploads or []]


# --- the township liaison: report fixes ----------------------------------------------------------


def work_list(prefix: str, read: Callable[[], list[T]]) -> list[T]:
    """The top of a ledger work page (整改上报 ``fx``, 整改复查 ``rc``): its style, title
    (``<prefix>_title``), help (``<prefix>_help``) and the last action's message, then the entries
    ``read()`` returns. The page stops there with the error ``read`` raises, or with
    ``<prefix>_none`` when there are no entries."""
    st.html(CSS)
    st.title(t(f"{prefix}_title"), anchor=False)
    st.caption(t(f"{prefix}_help"))
    message()
    try:
        entries = read()
    except SurveyError as exc:
        st.error(md(exc), icon=":material/error:")
        st.stop()
    if not entries:
        st.success(t(f"{prefix}_none"), icon=":material/task_alt:")
        st.stop()
    return entries


def fix_card(user: User, e: ledger.Entry) -> None:
    """An open entry with its "before" photos, and the form that reports its fix."""
    with st.container(border=True, key=f"{keys.LG_ENTRY}_{e.id}"):
        pics = entry_card(user, e, before_only=True)
        with st.form(f"{keys.FX_FORM}_{e.id}"):
            text = st.text_area(t("fx_text"), key=f"{keys.FX_TEXT}_{e.id}", max_chars=2000, height=90)
            files = shell.uploader(t("fx_photo"), photos.ACCEPTED, f"{keys.FX_PHOTO}_{e.id}", multiple=True)
            if ledger.needs_photo(pics):
                st.caption(t("fx_photo_needed"))
            if st.form_submit_button(t("fx_submit"), key=f"{keys.FX_SUBMIT}_{e.id}", type="primary",
                                     icon=":material/done:", width="stretch"):
                try:
                    ledger.report_fix(_db(), user, e.id, text, _files(files))
                except SurveyError as exc:
                    st.error(md(exc), icon=":material/error:")
                else:
                    _done("fx_done", id=str(e.id), village=e.village)


# --- the re-check on the spot --------------------------------------------------------------------


def recheck_village(found: list[ledger.Entry]) -> str | None:
    """The village to re-check (each with how many entries wait)."""
    counts: dict[str, list[ledger.Entry]] = {}
    for e in sorted(found, key=lambda e: e.village_code):
        counts.setdefault(e.village_code, []).append(e)
    names = {code: f"{es[0].village}（{es[0].township}）· {len(es)}" for code, es in counts.items()}
    if st.session_state.get(keys.RC_VILLAGE) not in (None, *names):
        st.session_state[keys.RC_VILLAGE] = None
    return st.selectbox(t("rc_village"), list(names), index=None, key=keys.RC_VILLAGE, format_func=names.get,
                        placeholder=plain("rc_pick"), filter_mode="contains")


def recheck_card(user: User, e: ledger.Entry) -> None:
    """A fixed entry, before and after side by side, and the re-check: photo, remarks, passed
    (closed) or not (open again, new deadline)."""
    with st.container(border=True, key=f"{keys.LG_ENTRY}_{e.id}"):
        entry_card(user, e)
        with st.form(f"{keys.RC_FORM}_{e.id}"):
            files = shell.uploader(t("rc_photo"), photos.ACCEPTED, f"{keys.RC_PHOTO}_{e.id}", multiple=True)
            note = st.text_area(t("rc_note"), key=f"{keys.RC_NOTE}_{e.id}", max_chars=2000, height=80)
            due = st.date_input(t("rc_deadline"), value=None, key=f"{keys.RC_DEADLINE}_{e.id}",
                               format=shell.DATE_FORMAT)
            left, right = st.columns(2)
            passed = left.form_submit_button(t("rc_pass"), key=f"{keys.RC_PASS}_{e.id}", type="primary",
                                             icon=":material/verified:", width="stretch")
            failed = right.form_submit_button(t("rc_fail"), key=f"{keys.RC_FAIL}_{e.id}",
                                              icon=":material/replay:", width="stretch")
            if passed or failed:
                try:
                    ledger.recheck(_db(), user, e.id, passed, note, _files(files), due)
                except SurveyError as exc:
                    st.error(md(exc), icon=":material/error:")
                else:
                    _done("rc_closed" if passed else "rc_reopened", id=str(e.id), village=e.village)


# --- the dashboard: open and overdue fixes beside each township's share ---------------------------


def with_counts(db: str | Path, user: User, county: str, records: list[dict]) -> list[dict]:
    """The dashboard's township records with each township's open (待整改) and overdue fixes."""
    found = ledger.township_counts(db, user, county)
    return [r | {"ledger_open": found.get(r["code"], {}).get("open", 0),
                 "ledger_overdue": found.get(r["code"], {}).get("overdue", 0)} for r in records]
