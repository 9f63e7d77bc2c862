"""整改上报: the township liaison's page (乡镇联络员, on a phone or tablet). The open entries of its
townships' villages, overdue first; for each, what was done and photos after the fix, then
"mark fixed". Closing is the county's re-check, never this page's."""

import streamlit as st

from survey import ledger
from ui import ledger_view as view
from ui import nav, shell
from ui.text import t

user = nav.require("fixes")
work = view.work_list("fx", lambda: ledger.worklist(shell.db(), user))
st.caption(t("fx_count", n=len(work), overdue=sum(e.overdue for e in work)))
for entry in work:
    view.fix_card(user, entry)
