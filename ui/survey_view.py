"""Widgets of the tablet page (pages/tablet.py): the village picker, one fragment per rubric
section, the veto list, the position and the submit outcome. Every change goes straight into
``survey.fieldwork`` (saved as a draft at once); nothing here decides a rule.

Each rubric section, the veto list and the position are fragments: a tap reruns only its own
fragment, which also redraws the running-total bar (an ``st.empty`` above the sections).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

import streamlit as st

from survey import auth, fieldwork, gps, photos
from survey.auth import User
from core.errors import DataError, NotFound, render
from core.model import Village
from survey.rubric import Item, Rubric, Section
from ui import browser, keys, shell
from ui.text import Md, lang, md, said, t

#: Large touch targets for gloved fingers; served inline (no CDN).
CSS = """<style>
.stApp [data-testid="stButtonGroup"] button {min-height: 3rem; min-width: 6rem; font-size: 1.1rem;}
.stApp button[kind], .stApp [data-testid="stBaseButton-secondary"] {min-height: 3rem;}
.stApp input, .stApp textarea {font-size: 1.1rem !important;}
.stApp [data-testid="stNumberInput"] input {min-height: 3rem;}
.stApp [data-testid="stNumberInput"] button {min-width: 3rem;}
.stApp [data-baseweb="select"] > div {min-height: 3rem;}
.stApp [data-testid="stFileUploaderDropzone"] {min-height: 4rem;}
.stApp [class*="st-key-sv_total"] {position: sticky; top: 3.2rem; z-index: 5; background: #fff8f6;
  border-left: 4px solid #b71c1c; padding: .4rem .8rem;}
</style>"""


def num(value: Decimal) -> str:
    """A score as people write it: 32, 84.5 (no trailing zeros)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _text(item: Item) -> str:
    return item.text_en if lang() == "en" and item.text_en else item.text


def bind(user: User) -> None:
    """Remember the signed-in user of this run for the widgets' callbacks (the page calls it
    first, every run: the account is read afresh each time)."""
    st.session_state[keys.SV_USER] = user


def _user() -> User:
    return st.session_state[keys.SV_USER]


def _draft() -> fieldwork.Draft:
    return st.session_state[keys.SV_DRAFT]


def _keep(draft: fieldwork.Draft) -> None:
    st.session_state[keys.SV_DRAFT] = draft


def _seed(key: str, value) -> None:
    """Give a widget its value from the draft unless it already has one."""
    if key not in st.session_state:
        st.session_state[key] = value


# --- reads (cached on the data version) ----------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=8)
def _villages(db_path: str, data_version: int, user: User) -> list[Village]:
    return fieldwork.villages(db_path, user)


@st.cache_data(show_spinner=False, max_entries=256)
def _thumbnail(db_path: str, user: User, draft: fieldwork.Draft, photo_id: str) -> bytes:
    """A small copy of a stored photo for the page (a weak signal need not carry 1600 px)."""
    return fieldwork.thumbnail(db_path, user, draft, photo_id)


def villages(user: User) -> list[Village]:
    return _villages(str(shell.db()), shell.version(), user)


# --- the village picker --------------------------------------------------------------------------


def _from_url(key: str, allowed: Iterable[str]) -> None:
    """A new session starts from the URL (a reload keeps the village open)."""
    if key not in st.session_state:
        value = st.query_params.get(key)
        st.session_state[key] = value if value in allowed else None


def _to_url(key: str, value: str | None) -> None:
    if value and st.query_params.get(key) != value:
        st.query_params[key] = value
    elif not value and key in st.query_params:
        del st.query_params[key]


def surveyor_name(user: User) -> str:
    """The name the assessment is signed with: a surveyor's own display name (fixed); an admin
    entering paper forms may type another (kept in the URL, so a reload keeps it)."""
    fixed = user.role == auth.SURVEYOR
    if fixed:
        st.session_state[keys.SV_SURVEYOR] = user.display_name
    elif keys.SV_SURVEYOR not in st.session_state:
        from_url = st.query_params.get(keys.SV_SURVEYOR)
        st.session_state[keys.SV_SURVEYOR] = from_url or user.display_name
    name = st.text_input(t("sv_surveyor"), key=keys.SV_SURVEYOR, max_chars=40, disabled=fixed,
                         help=t("sv_surveyor_help"), icon=":material/badge:").strip()
    _to_url(keys.SV_SURVEYOR, None if fixed else name)
    return name


def pick_village(user: User, round_id: str, surveyor: str) -> tuple[Village | None, str]:
    """Township and village selects (codes kept in the URL) within the user's scope, with each
    village's status this round (``submitted``, ``draft`` or ``todo``). Returns the chosen
    village and its status."""
    everyone = villages(user)
    names = {v.township_code: v.township for v in everyone}
    status = fieldwork.round_status(shell.db(), user, round_id, surveyor)
    _from_url(keys.SV_TOWN, names)
    _from_url(keys.SV_VILLAGE, {v.code for v in everyone})
    left, right = st.columns([1, 2])
    town = left.selectbox(t("sv_town"), list(names), index=None, key=keys.SV_TOWN,
                          format_func=names.get, placeholder=t("sv_all_towns"),
                          filter_mode="contains")
    shown = {v.code: v for v in everyone if town is None or v.township_code == town}
    if st.session_state.get(keys.SV_VILLAGE) not in shown:
        st.session_state[keys.SV_VILLAGE] = None
    label = {c: f"{v.name} · {t('sv_status_' + status.get(c, 'todo'))}" for c, v in shown.items()}
    code = right.selectbox(t("sv_village"), list(shown), index=None, key=keys.SV_VILLAGE,
                           format_func=label.get, placeholder=t("sv_pick_village"),
                           filter_mode="contains")
    _to_url(keys.SV_TOWN, town)
    _to_url(keys.SV_VILLAGE, code)
    counts = {s: sum(1 for c in shown if status.get(c, "todo") == s)
              for s in ("submitted", "draft", "todo")}
    st.caption(t("sv_progress", **counts))
    return (shown.get(code) if code else None), status.get(code or "", "todo")


def open_draft(rubric: Rubric, round_id: str, village: Village, surveyor: str) -> fieldwork.Draft:
    """The draft of the chosen village, loaded from the database when the village, round or
    surveyor changed (or the session is new); its answers are put into the widgets."""
    draft = st.session_state.get(keys.SV_DRAFT)
    if draft is not None and (draft.round_id, draft.village, draft.surveyor) == (
            round_id, village.code, surveyor.strip()):
        return draft
    draft = fieldwork.open_draft(shell.db(), _user(), round_id, village.code, surveyor)
    state = st.session_state
    for item in rubric.items:
        state[f"{keys.SV_ANSWER}_{item.code}"] = draft.answers.get(item.code)
        state[f"{keys.SV_NOTE}_{item.code}"] = draft.notes.get(item.code, "")
        met = draft.criteria.get(item.code) or []
        for n in range(1, len(item.criteria) + 1):
            state[f"{keys.SV_CRITERION}_{item.code}_{n}"] = met[n - 1] if n - 1 < len(met) else None
    state[keys.SV_VETO_ANY] = None if draft.veto is None else bool(draft.veto)
    state[keys.SV_VETO] = list(draft.veto or ())
    for key in (keys.SV_UPLOAD_N, keys.SV_UPLOAD_ERROR, keys.SV_MISSING, keys.SV_GPS_ASK,
                keys.SV_GPS_REFUSED, keys.SV_LON, keys.SV_LAT):
        state.pop(key, None)
    _keep(draft)
    if draft.answers:
        st.toast(t("sv_restored", answered=len(draft.answers), count=len(rubric.items),
                   photos=len(fieldwork.draft_photos(shell.db(), _user(), draft))), icon=":material/restore:")
    return draft


# --- callbacks: every change is saved at once ----------------------------------------------------


def _on_answer(code: str) -> None:
    value = st.session_state[f"{keys.SV_ANSWER}_{code}"]
    _keep(fieldwork.answer(shell.db(), _user(), _draft(), code, value))


def _on_criterion(item: Item, number: int) -> None:
    met = st.session_state[f"{keys.SV_CRITERION}_{item.code}_{number}"]
    flags = list(_draft().criteria.get(item.code) or [None] * len(item.criteria))
    flags[number - 1] = met
    _keep(fieldwork.save(shell.db(), _user(), fieldwork.with_criteria(item, _draft(), flags)))


def _on_note(code: str) -> None:
    _keep(fieldwork.note(shell.db(), _user(), _draft(), code, st.session_state[f"{keys.SV_NOTE}_{code}"]))


def _on_upload(code: str, key: str, village: Village) -> None:
    errors = st.session_state.setdefault(keys.SV_UPLOAD_ERROR, {})
    errors.pop(code, None)
    for upload in st.session_state.get(key) or []:
        try:
            fieldwork.add_photo(shell.db(), _user(), _draft(), code, upload.getvalue(), upload.name)
        except DataError as exc:
            errors[code] = "；".join(said(p).split(": ")[-1] for p in exc.problems)
    counters = st.session_state.setdefault(keys.SV_UPLOAD_N, {})
    counters[code] = counters.get(code, 0) + 1  # a new, empty uploader


def _on_delete(photo_id: str) -> None:
    try:
        fieldwork.delete_photo(shell.db(), _user(), _draft(), photo_id)
    except NotFound:
        pass  # a double tap: gone already


def _on_veto() -> None:
    state = st.session_state
    happened, chosen = state.get(keys.SV_VETO_ANY), list(state.get(keys.SV_VETO) or [])
    # "some happened" with none chosen yet is still an open question
    codes = [] if happened is False else (chosen or None) if happened else None
    _keep(fieldwork.set_veto(shell.db(), _user(), _draft(), codes))


def _on_gps_ask() -> None:
    st.session_state[keys.SV_GPS_ASK] = uuid.uuid4().hex[:8]  # a fresh request: a new component


def _on_manual_fix() -> None:
    fix = gps.manual(st.session_state.get(keys.SV_LON), st.session_state.get(keys.SV_LAT))
    _keep(fieldwork.set_fix(shell.db(), _user(), _draft(), fix))


# --- one rubric section --------------------------------------------------------------------------


def total_bar(slot, rubric: Rubric, by: str) -> None:
    """The running total with the pass mark, drawn into ``slot`` by the fragment ``by`` (every
    fragment draws it, so a tap anywhere updates it; the last one drawn is shown)."""
    draft = _draft()
    running = fieldwork.progress(rubric, draft)
    with slot.container(key=f"{keys.SV_TOTAL}_{by}"):
        st.markdown(t("sv_total", total=num(running.total), answered=running.answered,
                      count=running.count, total_max=num(running.total_max),
                      pass_mark=num(rubric.pass_mark)))
        if draft.veto:
            st.markdown(f":orange[{t('sv_veto_reported')}]")


@st.fragment
def section(rubric: Rubric, sec: Section, village: Village, slot) -> None:
    """One section as a fragment: a tap here reruns only this section and the total bar."""
    draft = _draft()
    running = fieldwork.progress(rubric, draft)
    answered = sum(1 for i in sec.items if i.code in draft.answers)
    name = sec.name_en if lang() == "en" else sec.name
    st.subheader(t("sv_section_score", name=name, earned=num(running.sections[sec.code]),
                   points=num(sec.points), answered=answered, count=len(sec.items)), anchor=False)
    pictures: dict[str, list[fieldwork.PhotoInfo]] = {}
    for p in fieldwork.draft_photos(shell.db(), _user(), draft):
        pictures.setdefault(p.item_code, []).append(p)
    for item in sec.items:
        _item(item, draft, pictures.get(item.code, []), village)
    total_bar(slot, rubric, sec.code)


def _item(item: Item, draft: fieldwork.Draft, pics: list[fieldwork.PhotoInfo], village: Village) -> None:
    key = f"{keys.SV_ANSWER}_{item.code}"
    _seed(key, draft.answers.get(item.code))
    with st.container(border=True, key=f"{keys.SV_ITEM}_{item.code}"):
        st.markdown(f"**{md(item.code)}** {md(_text(item))}")
        common = dict(key=key, on_change=_on_answer, args=(item.code,), label_visibility="collapsed")
        if item.type == "check":
            st.segmented_control(t("sv_answer"), [True, False], **common,
                                 format_func=lambda v: t("sv_met") if v else t("sv_not_met"))
        elif item.type == "count":
            st.number_input(t("sv_count"), min_value=0, step=1, format="%d",
                            placeholder=t("sv_count_placeholder"), **common)
            st.caption(t("rule_count", deduct=num(item.deduct)))
        else:
            _criteria(item, draft)
        if fieldwork.needs_evidence(item, draft):
            _evidence(item, draft, pics, village)


def _criteria(item: Item, draft: fieldwork.Draft) -> None:
    """A grade item, criterion by criterion (met / not met); the grade follows by the rule."""
    st.caption(t("sv_criteria"))
    met = draft.criteria.get(item.code) or [None] * len(item.criteria)
    for n, criterion in enumerate(item.criteria, start=1):
        key = f"{keys.SV_CRITERION}_{item.code}_{n}"
        _seed(key, met[n - 1] if n - 1 < len(met) else None)
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.markdown(t("sv_criterion_line", n=n, text=criterion))
        right.segmented_control(t("sv_answer"), [True, False], key=key, on_change=_on_criterion,
                                args=(item, n), label_visibility="collapsed",
                                format_func=lambda v: t("sv_met") if v else t("sv_not_met"))
    grade = draft.answers.get(item.code)
    if grade in item.grade_names:
        st.caption(t("sv_grade_result", grade=grade, points=num(item.points * item.factor(grade))))


def _evidence(item: Item, draft: fieldwork.Draft, pics: list[fieldwork.PhotoInfo],
              village: Village) -> None:
    """The note a finding needs, and the photos (required for a photo item, optional else)."""
    st.markdown(f":orange[{t('sv_evidence' if item.needs_photo else 'sv_evidence_' + item.evidence)}]")
    note_key = f"{keys.SV_NOTE}_{item.code}"
    _seed(note_key, draft.notes.get(item.code, ""))
    st.text_area(t("sv_note"), key=note_key, on_change=_on_note, args=(item.code,),
                 placeholder=t("sv_note_placeholder"), height=80)
    for p in pics:
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.image(_thumbnail(str(shell.db()), _user(), draft, p.id), width=240)
        right.button(t("sv_photo_delete"), key=f"{keys.SV_PHOTO_DELETE}_{p.id}",
                     on_click=_on_delete, args=(p.id,), icon=":material/delete:")
    n = st.session_state.get(keys.SV_UPLOAD_N, {}).get(item.code, 0)
    upload_key = f"{keys.SV_UPLOAD}_{item.code}_{n}"
    st.file_uploader(t("sv_photo"), type=list(photos.ACCEPTED), accept_multiple_files=True,
                     key=upload_key, on_change=_on_upload, args=(item.code, upload_key, village))
    error = st.session_state.get(keys.SV_UPLOAD_ERROR, {}).get(item.code)
    if error:
        st.error(md(error), icon=":material/broken_image:")


# --- veto and position ---------------------------------------------------------------------------


def office_vetoes(rubric: Rubric, village: Village) -> None:
    """The office's confirmed vetoes that apply to the village today: shown as applying already,
    before the surveyor answers anything."""
    names = {v.code: v.name for v in rubric.veto}
    for r in fieldwork.vetoes_in_force(shell.db(), _user(), village.code):
        st.error(t("sv_office_veto", item=r.item, name=names.get(r.item, ""), date=r.date, source=r.source,
                   document=r.document or "—", until=r.last_day), icon=":material/gavel:")


@st.fragment
def veto(rubric: Rubric, slot) -> None:
    """The veto question: none happened, or which did."""
    st.subheader(t("sv_veto_title"), anchor=False)
    en = lang() == "en"
    st.markdown("\n".join(f"- **{md(v.code)}** {md(v.text_en if en and v.text_en else v.text)}"
                          for v in rubric.veto))
    st.segmented_control(t("sv_veto_question"), [False, True], key=keys.SV_VETO_ANY,
                         on_change=_on_veto,
                         format_func=lambda v: t("sv_veto_some") if v else t("sv_veto_none"))
    if st.session_state.get(keys.SV_VETO_ANY):
        names = {v.code: f"{v.code} {v.name}" for v in rubric.veto}
        st.pills(t("sv_veto_pick"), list(names), selection_mode="multi", key=keys.SV_VETO,
                 format_func=lambda code: md(names[code]), on_change=_on_veto)
    total_bar(slot, rubric, "veto")


@st.fragment
def position(village: Village) -> None:
    """Where the surveyor stands: from the browser (a secure page is needed) or typed."""
    st.subheader(t("sv_gps_title"), anchor=False)
    state = st.session_state
    if state.get(keys.SV_GPS_ASK):
        request = f"{keys.SV_GPS_JS}_{state[keys.SV_GPS_ASK]}"
        answer = gps.from_browser(browser.geolocation(request))
        if isinstance(answer, gps.Fix):
            _keep(fieldwork.set_fix(shell.db(), _user(), _draft(), answer))
        if answer is not None:
            state[keys.SV_GPS_ASK] = None
            state[keys.SV_GPS_REFUSED] = answer.message if isinstance(answer, gps.Refused) else None
        else:
            st.info(t("sv_gps_waiting"), icon=":material/my_location:")
    fix = _draft().fix
    if fix is None:
        st.caption(t("sv_gps_none"))
    elif fix.accuracy_m is None:
        st.success(t("sv_gps_fix_manual", lon=f"{fix.lon:.6f}", lat=f"{fix.lat:.6f}"),
                   icon=":material/edit_location:")
    else:
        st.success(t("sv_gps_fix", lon=f"{fix.lon:.6f}", lat=f"{fix.lat:.6f}",
                     accuracy=f"{fix.accuracy_m:.0f}"), icon=":material/my_location:")
    for warning in fieldwork.position_warnings(shell.db(), _user(), village, fix) if fix else []:
        st.warning(md(render(warning.key, lang(), **dict(warning.fields))), icon=":material/wrong_location:")
    if state.get(keys.SV_GPS_REFUSED):
        st.warning(t("sv_gps_refused", message=state[keys.SV_GPS_REFUSED]),
                   icon=":material/location_off:")
    st.button(t("sv_gps_button"), key=keys.SV_GPS_BUTTON, icon=":material/my_location:",
              on_click=_on_gps_ask)
    with st.expander(t("sv_gps_manual"), icon=":material/edit_location_alt:"):
        lon = st.number_input(t("sv_lon"), min_value=73.0, max_value=136.0, value=None,
                              format="%.6f", key=keys.SV_LON)
        lat = st.number_input(t("sv_lat"), min_value=3.0, max_value=54.0, value=None,
                              format="%.6f", key=keys.SV_LAT)
        st.button(t("sv_gps_save"), key=keys.SV_GPS_SAVE, disabled=lon is None or lat is None,
                  on_click=_on_manual_fix)


def done(rubric: Rubric, village: Village, outcome: fieldwork.Outcome) -> None:
    """The stored submission: its score, its result, and a way to assess the village again."""
    result = outcome.score
    verdict = t("sv_vetoed") if result.vetoed else t("sv_passed" if result.passed else "sv_failed")
    st.success(t("sv_done", village=village.name, total=num(result.total), result=verdict)
               + ("" if outcome.added else t("sv_done_repeat")), icon=":material/task_alt:")
    names = {s.code: s.name_en if lang() == "en" else s.name for s in rubric.sections}
    st.caption(t("sv_done_sections", sections="，".join(
        f"{names[code]} {num(points)}" for code, points in result.sections.items())))
    if st.button(t("sv_again"), key=keys.SV_AGAIN, icon=":material/replay:"):
        st.session_state.pop(keys.SV_DONE)
        st.rerun()


def missing(rubric: Rubric) -> None:
    """What the last submit attempt found missing, in plain words."""
    found = st.session_state.get(keys.SV_MISSING)
    if not found:
        return
    st.error(t("sv_missing_title", n=len(found)) + "\n"
             + "".join(f"\n- {_missing_line(rubric, m)}" for m in found), icon=":material/error:")


def _missing_line(rubric: Rubric, m: fieldwork.Missing) -> Md:
    if m.kind == "veto":
        return t("sv_missing_veto")
    return t(f"sv_missing_{m.kind}", item=m.item, text=_text(rubric.item(m.item)))
