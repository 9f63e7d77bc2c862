"""十星级文明户: each village's household register and the yearly rating of its households, for
the township liaison (on a phone or tablet) and the county office. The office sees progress per
village; a village's register is imported from its Excel/CSV list or edited household by
household; a household's stars are tapped in; the village's procedure moves every household
waiting for a step at once; the public notice is a Word document to print and post."""

import streamlit as st

from ui import households_view as view
from ui import keys, nav, shell
from ui.text import t

user = nav.require("households")
st.title(t("hh_title"), anchor=False)
view.message()
stars = view.star_set()
county, _ = shell.pick_county(user.scope, keys.HH_COUNTY)
period = view.pick_period(user, stars, county)
rows = view.progress(user, stars, county, period)

village = view.pick_village(rows)
if village is None:
    st.stop()
figures = next(p.figures for p in rows if p.village.code == village.code)
st.header(t("hh_village_head", village=village.name, township=village.township,
            period=stars.period_label(period)), anchor=False)
view.import_register(user, village)
found = view.register(user, village.code, period)
view.register_table(stars, found)
household = view.pick_household(found)
if household is not None:
    view.edit_household(user, village, household or None)
if household:
    view.rating(user, stars, village, household, period)
view.procedure(user, stars, village, period, figures)
view.notice(user, stars, village, period, figures)
