"""示范带管理: the office manages its demonstration belts here, not only on the command line:
roads imported (administrators), a road's buffer, villages added to or removed from a belt by
hand with who and why (audited), the demonstration villages' radiation radius."""

from __future__ import annotations

import streamlit as st

from survey import mapdata
from ui import belts_view, nav, shell
from ui.text import t

user = nav.require("belts")
st.title(t("belts_title"))
db = shell.db()
belts_view.notice()
data = mapdata.for_user(mapdata.county_map_data(db, None), user)
belts_view.roads(db, user, data)
belts_view.members(db, user, data)
belts_view.radius(db, user)
