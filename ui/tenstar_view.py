"""Beside the rubric's ten-star section on the tablet: what the village's household register says
(participation, ten-star rate, tiers, whether results were posted) and the households to
spot-check against their plaques, so the surveyor verifies instead of guessing. One call from the
tablet page, whatever draws the section: :func:`beside`.
"""

from __future__ import annotations

import streamlit as st

from core.errors import SurveyError
from survey import households as hh
from survey.auth import User
from survey.stars import SECTION, load_stars
from ui import keys, shell
from ui.text import lang, md, plain, said, t


@st.cache_data(show_spinner=False, max_entries=32)
def _read(db: str, version: int, user: User, village: str, round_id: str):
    stars = load_stars()
    figures = hh.village_figures(db, user, village)
    return stars, figures, hh.spot_sample(db, user, village, round_id, figures.period)


def aside(user: User, village: str, round_id: str) -> dict[str, list[str]]:
    """The register's figures as plain lines for the checklist's ten-star section (section code
    -> lines; nothing when the figures cannot be read or there is no register)."""
    try:
        stars, f, sample = _read(str(shell.db()), shell.version(), user, village, round_id)
    except SurveyError:  # the panel above the checklist says why
        return {}
    if not f.households:
        return {SECTION: [plain("ts_no_register")]}
    lines = [plain("ts_aside", households=f.households,
                   participation=plain("ts_participation_value", rate=f.participation, rated=f.rated,
                                       households=f.households),
                   ten_star=plain("ts_ten_star_value", rate=f.ten_star_rate, ten=f.ten_star, rated=f.rated)
                   if f.rated else plain("ts_none"),
                   posted=plain("ts_posted_yes", n=f.noticed) if f.posted else plain("ts_posted_no"))]
    if sample:
        lines.append(plain("ts_aside_spot", n=len(sample), item=stars.spot_item))
    return {SECTION: lines}


def beside(user: User, section: str, village: str, round_id: str) -> None:
    """The register's figures for ``village``, shown only beside the ten-star section."""
    if section != SECTION:
        return
    try:
        stars, f, sample = _read(str(shell.db()), shell.version(), user, village, round_id)
    except SurveyError as exc:  # e.g. the county's star set has a mistake: the survey goes on
        st.warning(t("ts_unavailable", error=said(exc)), icon=":material/warning:")
        return
    en = lang() == "en"
    with st.container(border=True, key=keys.TS_PANEL):
        st.markdown(f"**{t('ts_title', period=stars.period_label(f.period))}**")
        if not f.households:
            st.caption(t("ts_no_register"))
            return
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(t("ts_households"), md(f.households))
        c2.metric(t("ts_participation"), t("ts_participation_value", rate=f.participation, rated=f.rated,
                                               households=f.households))
        c2.caption(t("ts_threshold_met" if f.participation_met else "ts_threshold_missed", threshold=f.threshold))
        c3.metric(t("ts_ten_star"), t("ts_ten_star_value", rate=f.ten_star_rate, ten=f.ten_star, rated=f.rated)
                  if f.rated else t("ts_none"))
        if f.target is not None:
            c3.caption(t("ts_target", target=f.target))
        c4.metric(t("ts_posted"), t("ts_posted_yes", n=f.noticed) if f.posted else t("ts_posted_no"))
        tiers = "、".join(f"{tier.name_en if en and tier.name_en else tier.name} {n}" for tier, n in f.tiers)
        st.caption(t("ts_tiers", tiers=tiers, disqualified=f.disqualified))
        if not sample:
            st.caption(t("ts_spot_none"))
            return
        st.caption(t("ts_spot", n=len(sample), item=stars.spot_item))
        st.dataframe([{plain("hh_col_number"): h.number, plain("hh_col_head"): h.head,
                       plain("hh_col_group"): h.group or "", plain("hh_col_stars"): h.rating.count,
                       plain("hh_col_tier"): (h.rating.tier.name if h.rating.tier else "")}
                      for h in sample if h.rating], hide_index=True, key=keys.TS_SPOT_TABLE)

