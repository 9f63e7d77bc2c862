"""Widgets of the ten-star households page (pages/households.py): the period, the office's
progress table, the village picker, the register (import, table, one household's details), the
rating of a household (stars as large taps, for a phone), the village's procedure and the public
notice. Every write is one call into ``survey.households``; nothing here decides a rule.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from core import config
from core.errors import DataError, SurveyError
from core.model import Village
from survey import households as hh
from survey.auth import User
from survey.stars import StarSet, load_stars
from ui import keys, shell
from ui.text import lang, md, plain, said, t


def _db() -> str:
    return str(shell.db())


def say(kind: str, text: str) -> None:
    """Show ``text`` (Markdown-safe, from t() or md()) after the rerun an action causes."""
    st.session_state[keys.HH_MESSAGE] = (kind, text)


def message() -> None:
    """The outcome of the last action, once."""
    found = st.session_state.pop(keys.HH_MESSAGE, None)
    if found and found[0] == "success":
        st.success(md(found[1]), icon=":material/check_circle:")
    elif found:
        st.error(md(found[1]), icon=":material/error:")


def _failed(exc: SurveyError) -> None:
    """An action's error: every problem of a DataError, else the message."""
    if isinstance(exc, DataError):
        say("error", md("；".join(said(p) for p in exc.problems)))
    else:
        say("error", md(exc))


def star_set() -> StarSet:
    """The county's ten-star set; the page stops with every located problem when it is wrong."""
    try:
        return load_stars()
    except DataError as exc:
        st.error(t("hh_stars_bad", n=len(exc.problems)), icon=":material/error:")
        st.code("\n".join(said(p) for p in exc.problems), language=None)
        st.stop()
    raise AssertionError  # pragma: no cover


def _name(item) -> str:
    return item.name_en if lang() == "en" and item.name_en else item.name


def state_label(state: str) -> str:
    return plain(f"hh_state_{state}")


# --- reads, cached on the data version -----------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def _progress(db: str, version: int, user: User, county: str, period: str) -> list[hh.Progress]:
    return hh.county_figures(db, user, county, period)


@st.cache_data(show_spinner=False, max_entries=16)
def _register(db: str, version: int, user: User, village: str, period: str) -> list[hh.Household]:
    return hh.register(db, user, village, period)


def register(user: User, village: str, period: str) -> list[hh.Household]:
    return _register(_db(), shell.version(), user, village, period)


# --- the period, the progress table, the village --------------------------------------------------


def pick_period(user: User, stars: StarSet, county: str) -> str:
    options, default = hh.periods(_db(), user, county)
    if st.session_state.get(keys.HH_PERIOD) not in options:
        st.session_state[keys.HH_PERIOD] = default
    return st.selectbox(t("hh_period"), options, key=keys.HH_PERIOD, format_func=stars.period_label,
                        help=t("hh_period_help", kind=stars.period))


def _yes(flag: bool) -> str:
    return plain("hh_yes") if flag else plain("hh_no")


def progress(user: User, stars: StarSet, county: str, period: str) -> list[hh.Progress]:
    """The office's table: each village of the county in scope with its figures."""
    rows = _progress(_db(), shell.version(), user, county, period)
    st.subheader(t("hh_progress"), anchor=False)
    st.caption(t("hh_progress_help", threshold=stars.participation))
    st.dataframe([{
        plain("hh_col_township"): p.village.township, plain("hh_col_village"): p.village.name,
        plain("hh_col_registry"): p.village.households, plain("hh_col_households"): p.figures.households,
        plain("hh_col_rated"): p.figures.rated,
        plain("hh_col_participation"): _pct(p.figures.participation),
        plain("hh_col_met"): _yes(p.figures.participation_met), plain("hh_col_awarded"): p.figures.awarded,
        plain("hh_col_ten"): p.figures.ten_star, plain("hh_col_ten_rate"): _pct(p.figures.ten_star_rate),
        plain("hh_col_posted"): _yes(p.figures.posted)} for p in rows], hide_index=True, key=keys.HH_PROGRESS_TABLE)
    return rows


def _pct(value) -> str:
    return "" if value is None else str(value)


def pick_village(rows: list[hh.Progress]) -> Village | None:
    """Township and village selects (kept in the URL) over the villages of the progress table."""
    villages = {p.village.code: p.village for p in rows}
    towns = {v.township_code: v.township for v in villages.values()}
    shell.from_url(keys.HH_TOWN, towns)
    shell.from_url(keys.HH_VILLAGE, villages)
    left, right = st.columns([1, 2])
    town = left.selectbox(t("hh_town"), list(towns), index=None, key=keys.HH_TOWN, format_func=towns.get,
                          placeholder=plain("hh_all_towns"), filter_mode="contains")
    shown = {c: v for c, v in villages.items() if town is None or v.township_code == town}
    if st.session_state.get(keys.HH_VILLAGE) not in shown:
        st.session_state[keys.HH_VILLAGE] = None
    code = right.selectbox(t("hh_village"), list(shown), index=None, key=keys.HH_VILLAGE,
                           format_func=lambda c: shown[c].name, placeholder=plain("hh_pick_village"),
                           filter_mode="contains")
    shell.to_url(keys.HH_TOWN, town)
    shell.to_url(keys.HH_VILLAGE, code)
    return shown.get(code) if code else None


# --- the register --------------------------------------------------------------------------------


def import_register(user: User, village: Village) -> None:
    """Upload the village's list: every problem listed, nothing written when any row is wrong."""
    with st.expander(t("hh_import"), icon=":material/upload_file:"):
        st.caption(t("hh_import_help"))
        upload = st.file_uploader(t("hh_upload"), type=["csv", "xlsx", "xls"], key=keys.HH_UPLOAD)
        if st.button(t("hh_import_button"), key=keys.HH_IMPORT, disabled=upload is None, icon=":material/upload:"):
            try:
                s = hh.import_bytes(_db(), user, upload.getvalue(), upload.name, village.code)
                st.session_state[keys.HH_IMPORT_RESULT] = ("ok", s.__dict__)
            except DataError as exc:
                st.session_state[keys.HH_IMPORT_RESULT] = ("errors", [said(p) for p in exc.problems])
            except SurveyError as exc:
                st.session_state[keys.HH_IMPORT_RESULT] = ("errors", [said(exc)])
            st.rerun()  # the tables above show the new register
        result = st.session_state.get(keys.HH_IMPORT_RESULT)
        if result and result[0] == "ok":
            st.success(t("hh_imported", **result[1]), icon=":material/check_circle:")
        elif result:
            st.error(t("hh_errors", n=len(result[1])), icon=":material/error:")
            st.code("\n".join(result[1]), language=None)


def register_table(stars: StarSet, found: list[hh.Household]) -> None:
    st.subheader(t("hh_register"), anchor=False)
    if not found:
        st.info(t("hh_register_empty"), icon=":material/info:")
        return
    st.dataframe([{
        plain("hh_col_number"): h.number, plain("hh_col_head"): h.head, plain("hh_col_group"): h.group or "",
        plain("hh_col_members"): h.members, plain("hh_col_stars"): h.rating.count if h.rating else None,
        plain("hh_col_tier"): _name(h.rating.tier) if h.rating and h.rating.tier else "",
        plain("hh_col_state"): state_label(h.rating.state) if h.rating else ""} for h in found],
        hide_index=True, key=keys.HH_REGISTER_TABLE)


def pick_household(found: list[hh.Household]) -> hh.Household | str | None:
    """The household chosen (None: none yet), or ``""`` to add a new one."""
    by_number = {h.number: h for h in found}
    labels = {h.number: plain("hh_option", number=h.number, head=h.head, group=f"（{h.group}）" if h.group else "")
              for h in found}
    if keys.HH_NEXT in st.session_state:  # chosen by the last action (the widget was drawn then)
        st.session_state[keys.HH_HOUSEHOLD] = st.session_state.pop(keys.HH_NEXT)
    if st.session_state.get(keys.HH_HOUSEHOLD) not in (None, "", *by_number):
        st.session_state[keys.HH_HOUSEHOLD] = None
    chosen = st.selectbox(t("hh_household"), ["", *by_number], index=None, key=keys.HH_HOUSEHOLD,
                          format_func=lambda n: labels[n] if n else plain("hh_new"), filter_mode="contains")
    return "" if chosen == "" else by_number.get(chosen) if chosen else None


def edit_household(user: User, village: Village, h: hh.Household | None) -> None:
    """The household's details as a form (a new one when ``h`` is None); taking it off the register."""
    suffix = h.number if h else ""
    with st.form(key=f"{keys.HH_FORM}_{suffix}"):
        st.markdown(f"**{t('hh_edit')}**")
        c1, c2 = st.columns(2)
        number = c1.text_input(t("hh_number"), value=h.number if h else "", key=f"{keys.HH_NUMBER}_{suffix}",
                               disabled=h is not None, max_chars=40)
        head = c2.text_input(t("hh_head"), value=h.head if h else "", key=f"{keys.HH_HEAD}_{suffix}", max_chars=40)
        group = c1.text_input(t("hh_group"), value=(h.group or "") if h else "", key=f"{keys.HH_GROUP}_{suffix}",
                              max_chars=40)
        members = c2.number_input(t("hh_members"), min_value=1, step=1, value=h.members if h else None,
                                  key=f"{keys.HH_MEMBERS}_{suffix}")
        if st.form_submit_button(t("hh_save"), icon=":material/save:"):
            try:
                outcome = hh.save_household(_db(), user, village.code, number, head, group,
                                            int(members) if members is not None else None)
                say("success", t(f"hh_saved_{outcome}", number=number.strip()))
                st.session_state[keys.HH_NEXT] = number.strip()
            except SurveyError as exc:
                _failed(exc)
            st.rerun()
    if h is not None:
        sure = st.checkbox(t("hh_remove_confirm", number=h.number), key=f"{keys.HH_REMOVE_CONFIRM}_{suffix}")
        if st.button(t("hh_remove"), key=f"{keys.HH_REMOVE}_{suffix}", disabled=not sure,
                     icon=":material/person_remove:"):
            try:
                hh.remove_household(_db(), user, village.code, h.number)
                say("success", t("hh_removed", number=h.number))
                st.session_state[keys.HH_NEXT] = None
            except SurveyError as exc:
                _failed(exc)
            st.rerun()


# --- the rating ----------------------------------------------------------------------------------


def rating(user: User, stars: StarSet, village: Village, h: hh.Household, period: str) -> None:
    """One household's stars and disqualifier: large taps, saved at once with the button."""
    r = h.rating if h.rating and h.rating.period == period else None
    st.subheader(t("hh_rating", number=h.number, period=stars.period_label(period)), anchor=False)
    if r is None:
        st.caption(t("hh_rating_none"))
    else:
        notice = t("hh_notice_days", start=r.notice_start, end=r.notice_end) if r.notice_start else ""
        st.caption(t("hh_rating_state", state=state_label(r.state), notice=notice))
    locked = r is not None and r.state not in hh.EDITABLE
    key = f"{keys.HH_STARS}_{period}_{h.number}"
    dkey = f"{keys.HH_DISQUALIFIER}_{period}_{h.number}"
    seed = (tuple(r.stars), r.disqualifier) if r else ((), None)
    if st.session_state.get(f"{keys.HH_SEED}_{period}_{h.number}") != seed:  # new, or stored anew
        st.session_state[key], st.session_state[dkey] = list(seed[0]), seed[1]
        st.session_state[f"{keys.HH_SEED}_{period}_{h.number}"] = seed
    names = {s.code: _name(s) for s in stars.stars}
    chosen = st.pills(t("hh_stars"), list(names), selection_mode="multi", key=key, disabled=locked,
                      format_func=lambda c: md(names[c]))
    disq = {d.code: _name(d) for d in stars.disqualifiers}
    flag = st.selectbox(t("hh_disqualifier"), list(disq), index=None, key=dkey, disabled=locked,
                        format_func=disq.get, placeholder=plain("hh_disqualifier_none"))
    tier = stars.tier(len(chosen or ()), flag is not None)
    label = _name(tier) if tier else plain("hh_disqualified") if flag else plain("hh_no_tier")
    st.markdown(t("hh_tier_preview", n=len(chosen or ()), tier=label))
    if locked:
        st.info(t("hh_locked"), icon=":material/lock:")
    left, right = st.columns(2)
    if left.button(t("hh_rate"), key=keys.HH_RATE, type="primary", disabled=locked, icon=":material/star:",
                   width="stretch"):
        try:
            state = hh.rate(_db(), user, village.code, h.number, period, chosen or [], flag)
            say("success", t("hh_rated", number=h.number, state=state_label(state)))
        except SurveyError as exc:
            _failed(exc)
        st.rerun()
    if right.button(t("hh_back"), key=keys.HH_BACK, disabled=r is None or r.state in (hh.CLAIMED, hh.AWARDED),
                    icon=":material/undo:", width="stretch"):
        try:
            state = hh.back(_db(), user, village.code, period, h.number)
            say("success", t("hh_backed", number=h.number, state=state_label(state)))
        except SurveyError as exc:
            _failed(exc)
        st.rerun()


def procedure(user: User, stars: StarSet, village: Village, period: str, figures: hh.VillageFigures) -> None:
    """The village's procedure, one step for every household waiting for it."""
    st.subheader(t("hh_procedure"), anchor=False)
    st.caption(t("hh_procedure_help", days=stars.notice_days))
    st.caption(t("hh_states", **{s: figures.state(s) for s in hh.STATES}))
    c1, c2 = st.columns(2)
    today = config.today()
    start = c1.date_input(t("hh_notice_start"), value=today, key=keys.HH_NOTICE_START)
    end = c2.date_input(t("hh_notice_end"), value=(start or today) + timedelta(days=stars.notice_days - 1),
                        key=keys.HH_NOTICE_END)
    for to in hh.STATES[1:]:
        waiting = figures.state(hh.STATES[hh.STATES.index(to) - 1])
        if st.button(t(f"hh_move_{to}", n=waiting), key=f"{keys.HH_MOVE}_{to}", disabled=waiting == 0,
                     width="stretch"):
            try:
                n = hh.move(_db(), user, village.code, period, to, start=start, end=end)
                say("success", t("hh_moved", n=n, state=state_label(to)))
            except SurveyError as exc:
                _failed(exc)
            st.rerun()


def notice(user: User, stars: StarSet, village: Village, period: str, figures: hh.VillageFigures) -> None:
    """The public notice as Word, built only when downloaded."""
    st.subheader(t("hh_notice"), anchor=False)
    if not figures.posted:
        st.caption(t("hh_notice_none"))
        return
    objections = st.text_input(t("hh_objections"), value=stars.objections, key=keys.HH_OBJECTIONS, max_chars=100)
    db = _db()

    def build() -> bytes:
        from survey.notice import notice_docx

        return notice_docx(hh.notice_list(db, user, village.code, period, objections))

    st.download_button(t("hh_notice_download"), build, file_name=f"十星级文明户公示_{village.code}_{period}.docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       key=keys.HH_NOTICE_DOWNLOAD, icon=":material/description:", on_click="ignore")
