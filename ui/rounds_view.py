"""Parts of the dashboard (pages/dashboard.py) about rounds: the bulletin download, the trend
charts over the rounds with the change between any two, and the title-review list. Each part is
one call into ``survey.trends``, ``survey.elimination`` or ``survey.bulletin``."""

from __future__ import annotations

from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st

from survey import auth, elimination, trends
from ui import keys, pickers
from ui.text import t


@st.cache_data(show_spinner=False, max_entries=16)
def _trends(db: str, county: str, round_id: str, version: int, scope: auth.Scope) -> trends.Trends:
    """The county's trends up to the round; ``version`` (store.data_version) invalidates them."""
    return trends.trends_data(db, county, round_id, scope)


def _table(records: list[dict], key: str, prefix: str = "dash_col_") -> None:
    if not records:
        st.caption(t("dash_none"))
        return
    st.dataframe(pd.DataFrame(records).rename(columns=lambda c: t(prefix + c)), hide_index=True, key=key)


def _review_options() -> tuple[Decimal, int]:
    """The share and rounds of the title review, as set on the review tab (defaults before)."""
    share = st.session_state.get(keys.DASH_REVIEW_SHARE, float(elimination.DEFAULT_SHARE))
    return Decimal(f"{share:.1f}"), int(st.session_state.get(keys.DASH_REVIEW_ROUNDS, elimination.DEFAULT_ROUNDS))


def bulletin_button(db: str, county: str, round_id: str, scope: auth.Scope) -> None:
    """下载测评通报: the Word bulletin of the county and round, built only when clicked (with the
    list length and the review share and rounds set on the page, so its lists are the page's)."""
    share, rounds = _review_options()
    n = st.session_state.get(keys.DASH_RANK_N, 5)  # the 红黑榜 length chosen on the page

    def build() -> bytes:
        from survey.bulletin import bulletin_docx
        from survey.ledger import bulletin_rows

        return bulletin_docx(db, round_id, county, scope, n=n, review_share=share, review_rounds=rounds,
                             ledger_rows=bulletin_rows(db, scope, county, round_id))[0]

    st.download_button(t("dash_bulletin"), build, file_name=f"测评通报_{county}_{round_id}.docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       key=keys.DASH_BULLETIN, icon=":material/description:", on_click="ignore",
                       help=t("dash_bulletin_help"))


def _line(df: pd.DataFrame, order: list[str], y: str, title: str, height: int = 180) -> alt.Chart:
    return alt.Chart(df).mark_line(point=True).encode(
        x=alt.X("round:N", sort=order, title=None),
        y=alt.Y(f"{y}:Q", title=title, scale=alt.Scale(domain=[0, 100])),
        tooltip=["round", y]).properties(height=height)


def trends_tab(db: str, county: str, round_id: str, scope: auth.Scope, version: int) -> None:
    """The county's and each township's projected share over the counting rounds up to this one,
    a village's totals, and the change between any two rounds."""
    tr = _trends(db, county, round_id, version, scope)
    order = [r.id for r in tr.rounds]
    if not order:
        st.caption(t("dash_none"))
        return
    st.caption(t("dash_trend_note", n=len(order)))
    county_df = pd.DataFrame(trends.share_records(tr.county))
    target = alt.Chart(county_df).mark_line(strokeDash=[6, 4], color="#222").encode(
        x=alt.X("round:N", sort=order), y="target:Q")
    st.markdown(f"**{t('dash_trend_county', name=tr.county_name)}**")
    st.altair_chart(_line(county_df, order, "projected", t("dash_axis")) + target, width="stretch")
    towns = pd.DataFrame(trends.township_share_records(tr.townships))
    if not towns.empty:
        st.markdown(f"**{t('dash_trend_townships')}**")
        small = alt.Chart().mark_line(point=True).encode(
            x=alt.X("round:N", sort=order, title=None, axis=alt.Axis(labels=False)),
            y=alt.Y("projected:Q", title=None, scale=alt.Scale(domain=[0, 100])),
            tooltip=["name", "round", "projected", "target"]).properties(width=110, height=70)
        mark = alt.Chart().mark_rule(strokeDash=[4, 3], color="#c0392b").encode(y="mean(target):Q")
        st.altair_chart(alt.layer(small, mark, data=towns).facet(
            facet=alt.Facet("name:N", title=None), columns=5))
    villages = {v.code: v for v in tr.history.villages}
    code = pickers.pinyin_select(t("dash_trend_village"), list(villages), lambda c: villages[c].name,
                                 keys.DASH_TREND_VILLAGE,
                                 format_func=lambda c: f"{villages[c].name}（{villages[c].township}）")
    points = pd.DataFrame(trends.village_point_records(trends.village_trend(tr.history, code))) \
        if code is not None else pd.DataFrame()  # None: the search finds no village
    if code is None:
        pass
    elif points.empty:
        st.caption(t("dash_trend_never"))
    else:
        rule = alt.Chart(pd.DataFrame({"mark": [float(tr.pass_mark)]})).mark_rule(strokeDash=[6, 4]).encode(y="mark:Q")
        dots = _line(points, order, "total", t("dash_col_total")).encode(
            color=alt.Color("vetoed:N", legend=None, scale=alt.Scale(domain=[False, True],
                                                                      range=["#2e7d32", "#c0392b"])))
        st.altair_chart(dots + rule, width="stretch")
    if len(order) > 1:
        a, b = st.columns(2)
        before = a.selectbox(t("dash_change_from"), order, index=len(order) - 2, key=keys.DASH_CHANGE_FROM)
        after = b.selectbox(t("dash_change_to"), order, index=len(order) - 1, key=keys.DASH_CHANGE_TO)
        _table(trends.change_records(trends.share_change(tr.townships, before, after)),
               keys.DASH_TABLE_CHANGE_TOWNS, "dash_chg_")
        _table(trends.village_change_records(tr.history, before, after), keys.DASH_TABLE_CHANGE_VILLAGES,
               "dash_chg_")


def review_tab(db: str, county: str, round_id: str, scope: auth.Scope, version: int,
               labels: dict[str, tuple[str, str]], en: bool) -> None:
    """摘牌复核: the titled villages ranked lowest over the last rounds, with their scores."""
    a, b = st.columns(2)
    a.number_input(t("dash_review_share"), 0.0, 100.0, float(elimination.DEFAULT_SHARE), 1.0, format="%.1f",
                   key=keys.DASH_REVIEW_SHARE)
    b.number_input(t("dash_review_rounds"), 1, 12, elimination.DEFAULT_ROUNDS, key=keys.DASH_REVIEW_ROUNDS)
    share, rounds = _review_options()
    tr = _trends(db, county, round_id, version, scope)
    review = elimination.review_list(tr.history, rounds, share, until=round_id, titles=tr.titles)
    st.caption(t("dash_review_rule"))
    st.caption(t("dash_review_summary", window="、".join(r.id for r in review.window) or "—",
                 ranked=review.ranked, share=f"{share:.1f}", quota=review.quota, listed=len(review.entries)))
    if review.unranked:
        st.caption(t("dash_review_unranked", n=len(review.unranked)))
    from ui.place_view import linked

    linked(elimination.review_records(review, labels, en), keys.DASH_TABLE_REVIEW)
