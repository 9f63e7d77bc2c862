"""The dashboard's headline (pages/dashboard.py): the county's share of civilized villages now
and projected against its target, and beside it the share of civilized townships against the
township target (县级及以上文明村和乡镇占比)."""

from __future__ import annotations

import streamlit as st

from survey import targets
from survey.csvio import fmt1
from ui.text import t


def headline(d: targets.Dashboard) -> None:
    """Four figures: villages now, projected, their target; townships with their own target."""
    c = d.county
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("dash_now"), f"{fmt1(c.share_now)}%")
    m2.metric(t("dash_projected"), f"{fmt1(c.share_projected)}%",
              delta=f"{fmt1(c.share_projected - c.share_now)}", delta_color="normal")
    m3.metric(t("dash_target"), f"{fmt1(c.target)}%",
              delta=t("dash_reached") if c.reached else t("dash_needed", n=c.needed),
              delta_color="normal" if c.reached else "inverse", delta_arrow="off")
    ts = d.township_share
    if ts is not None:
        m4.metric(t("dash_townships_share"), f"{fmt1(ts.share)}%",
                  delta=t("dash_townships_reached", target=fmt1(ts.target)) if ts.reached
                  else t("dash_townships_needed", target=fmt1(ts.target), n=ts.needed),
                  delta_color="normal" if ts.reached else "inverse", delta_arrow="off",
                  help=t("dash_townships_help", civilized=ts.civilized, n=ts.townships, level=d.civilized_from))
    st.caption(t("dash_counts_from", level=d.civilized_from))
