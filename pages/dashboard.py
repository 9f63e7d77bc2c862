"""Share target dashboard: the county's current and projected share against target, townships
furthest below target, flags with drill-down, gap planner, 红黑榜, and setting the target."""

from __future__ import annotations

from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st

from core.errors import SurveyError
from survey import auth, targets
from survey.csvio import fmt1
from ui import keys, ledger_view, nav, pickers, place_view, rounds_view, share_view, shell
from ui.text import lang, md, plain, t, when

DB = str(shell.db())


@st.cache_data(show_spinner=False, max_entries=16)
def _data(db: str, round_id: str, county: str, n: int, version: int,
          scope: auth.Scope) -> targets.Dashboard:
    """The composed dashboard; ``version`` (store.data_version) invalidates it on any write."""
    return targets.dashboard_data(db, round_id, county, n, scope)


def _table(records: list[dict], key: str) -> None:
    """Records with neutral column ids (survey.targets *_records) under translated headers;
    an empty list shows "none"."""
    if not records:
        st.caption(t("dash_none"))
        return
    wrap = {}  # long text (the items that lost most) wraps in taller rows instead of being cut off
    if "losses" in records[0]:
        wrap = {"row_height": 72, "column_config": {t("dash_col_losses"): st.column_config.TextColumn(width="large")}}
    st.dataframe(pd.DataFrame(records).rename(columns=lambda c: t("dash_col_" + c)), hide_index=True, key=key, **wrap)

user = nav.require("dashboard")
st.title(t("dash_title"))
county, county_name = shell.pick_county(user.scope, keys.DASH_COUNTY)
round_id = shell.require_round().id
n = st.session_state.get(keys.DASH_RANK_N, 5)
d = _data(DB, round_id, county, n, shell.version(), user.scope)
en = lang() == "en"


def _villages(results: list, key: str, township: str | None = None) -> None:
    """A table of villages (optionally of one township) with result and change."""
    _table(targets.village_records(results, d.changes, d.labels, township, en), key)


st.caption(t("dash_round", id=d.round.id, name=d.round.name)
           + ("　" + t("dash_previous", id=d.previous.id) if d.previous else ""))
c = d.county
share_view.headline(d)
rounds_view.bulletin_button(DB, county, round_id, user.scope)

st.subheader(t("dash_chart"))
chart = pd.DataFrame(targets.chart_records(d.townships))
if not chart.empty:
    y = alt.Y("name:N", sort=chart["name"].tolist(), title=None)  # furthest below target on top
    base = alt.Chart(chart).encode(y=y)
    bars = base.mark_bar().encode(
        x=alt.X("projected:Q", title=t("dash_axis"), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("reached:N", legend=None,
                        scale=alt.Scale(domain=[False, True], range=["#c0392b", "#2e7d32"])),
        tooltip=["name", "code", "projected", "target", "needed"])
    ticks = base.mark_tick(color="#222", thickness=2).encode(x="target:Q")
    rule = alt.Chart(pd.DataFrame({"target": [float(c.target)]})).mark_rule(strokeDash=[6, 4])
    rule = rule.encode(x="target:Q")
    st.altair_chart(bars + ticks + rule, width="stretch")

st.subheader(t("dash_townships"))
_table(ledger_view.with_counts(DB, user, county, targets.township_records(d.townships)), keys.DASH_TABLE_TOWNSHIPS)

tabs = st.tabs([t("dash_tab_below"), t("dash_tab_failed"), t("dash_tab_risk"), t("dash_tab_rank"),
                t("dash_tab_drill"), t("dash_tab_trends"), t("dash_tab_review"), t("dash_tab_target")])
with tabs[0]:
    if not d.below:
        st.success(t("dash_all_reached"), icon=":material/check_circle:")
    _table(targets.township_records(d.below), keys.DASH_TABLE_BELOW)
    st.markdown(f"**{t('dash_plan')}**")
    _table(targets.plan_records(d.plans, d.labels, en), keys.DASH_TABLE_PLAN)
    for p in d.plans:
        if p.uncovered:
            st.caption(t("dash_plan_uncovered", name=p.row.name, n=p.uncovered, m=p.unassessed))
        if p.vetoed:
            st.caption(t("dash_plan_vetoed", name=p.row.name,
                         villages="、".join(x.result.village.name for x in p.vetoed)))
with tabs[1]:
    _villages(d.failed, keys.DASH_TABLE_FAILED)
with tabs[2]:
    place_view.linked(targets.village_records(d.at_risk, d.changes, d.labels, None, en), keys.DASH_TABLE_RISK)
with tabs[3]:
    a, b = st.columns([3, 1])
    scope = a.selectbox(t("dash_rank_scope"), list(d.ranks), key=keys.DASH_RANK_SCOPE,
                        format_func=lambda s: d.ranks[s].name or s)
    b.number_input(t("dash_rank_n"), 1, 50, 5, key=keys.DASH_RANK_N)
    st.caption(t("dash_rank_note"))
    if scope:
        left, right = st.columns(2)
        with left:
            st.markdown(f"**{t('dash_best', n=n)}**")
            _table(targets.rank_records(d.ranks[scope].best, d.changes, d.labels, en), keys.DASH_TABLE_BEST)
        with right:
            st.markdown(f"**{t('dash_worst', n=n)}**")
            _table(targets.rank_records(d.ranks[scope].worst, d.changes, d.labels, en), keys.DASH_TABLE_WORST)
with tabs[4]:
    names = {r.code: r.name for r in d.townships}
    town = pickers.pinyin_select(t("dash_township_pick"), list(names), lambda c: names.get(c) or c,
                                 keys.DASH_TOWNSHIP)
    _villages(d.results, keys.DASH_TABLE_DRILL, town)
with tabs[5]:
    rounds_view.trends_tab(DB, county, round_id, user.scope, shell.version())
with tabs[6]:
    rounds_view.review_tab(DB, county, round_id, user.scope, shell.version(), d.labels, en)
with tabs[7]:
    if msg := st.session_state.pop(keys.DASH_SAVED, None):
        st.success(md(msg), icon=":material/check_circle:")
    scopes = {"": plain("dash_whole_county", name=county_name), **names}
    with st.form(keys.DASH_SET_FORM):
        scope = st.selectbox(t("dash_set_scope"), list(scopes), key=keys.DASH_SET_SCOPE,
                             format_func=lambda s: scopes[s])
        percent = st.number_input(t("dash_set_percent"), 0.0, 100.0, float(c.target), 0.1,
                                  format="%.1f", key=keys.DASH_SET_PERCENT)
        by = st.text_input(t("dash_set_by"), key=keys.DASH_SET_BY)
        if st.form_submit_button(t("dash_set_save"), key=keys.DASH_SET_SAVE, icon=":material/save:"):
            value = Decimal(f"{percent:.1f}")
            try:
                targets.set_target(DB, user, county, value, by, scope or None)
            except SurveyError as exc:
                st.error(md(exc), icon=":material/error:")
            else:
                st.session_state[keys.DASH_SAVED] = t("dash_set_saved", scope=scopes[scope], percent=fmt1(value))
                st.rerun()
    st.caption(t("dash_settings", default=fmt1(d.default_target)))
    _table([{"scope": s.name, "percent": fmt1(s.percent), "by": s.by, "at": when(s.at)} for s in d.settings],
           keys.DASH_TABLE_SETTINGS)
