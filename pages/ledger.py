"""整改台账: the county office's fix-it ledger. Counts by state and township (overdue and
recurring first), filters, a village's entries with before/after photos side by side, the
ledger as XLSX/CSV, the notice (督办单) per township, and an entry opened by hand. The rules
live in survey/ledger.py."""

import streamlit as st

from ui import keys, nav, shell
from ui import ledger_view as view
from ui.text import t

user = nav.require("ledger")
st.title(t("lg_title"), anchor=False)
st.caption(t("lg_help"))
view.message()
county, _name = shell.pick_county(user.scope, keys.LG_COUNTY)
chosen = view.filters(user, county)
data = view.county_ledger(user, county, chosen)
if data is None:
    st.stop()
view.metrics(data.counts)
view.downloads(user, county, chosen)
if data.entries:
    view.townships(data)
    view.entries_table(data.entries)
    view.village(user, data.entries)
else:
    st.info(t("lg_none"), icon=":material/info:")
view.open_form(user, county)
