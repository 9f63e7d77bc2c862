"""审核: a reviewer's queue of submissions (待审核) in their county: open one, approve it or return
it with a comment, approve a filtered list at once. A surveyor sees their own submissions here,
with the comments on returned ones, and corrects them."""

import streamlit as st

from core.model import STATUS_APPROVED, STATUS_PENDING, STATUS_RETURNED
from survey import auth, review
from ui import keys, nav, shell
from ui import review_view as view
from ui.text import t

user = nav.require("review")
db = shell.db()
message = st.session_state.pop(keys.RV_MESSAGE, None)
if message:
    st.success(t(message[0], **message[1]), icon=":material/check_circle:")
round_id = shell.current_round()
if round_id is None:
    st.info(t("no_round"), icon=":material/info:")
    st.stop()

if not user.reviews:
    st.title(t("rv_mine_title"), anchor=False)
    view.mine(db, user, round_id)
    st.stop()

st.title(t("rv_title"), anchor=False)
view.progress_tables(db, user, round_id)
towns = auth.townships_in(db, user.scope)
c1, c2, c3 = st.columns(3)
status = c1.selectbox(t("rv_status"), [STATUS_PENDING, STATUS_APPROVED, STATUS_RETURNED, ""],
                      key=keys.RV_STATUS, format_func=lambda s: view.status_label(s) if s else t("rv_all"))
township = c2.selectbox(t("rv_township"), ["", *towns], key=keys.RV_TOWNSHIP,
                        format_func=lambda c: f"{towns[c]}（{c}）" if c else t("rv_all"))
result = c3.selectbox(t("rv_result"), ["", "passed", "failed"], key=keys.RV_RESULT,
                      format_func=lambda r: t(f"rv_{r}") if r else t("rv_all"))
items = review.submissions(db, user, round_id, township or None, (status,) if status else (),
                           {"passed": True, "failed": False}.get(result))
more = view.more_filters(items)
items = [i for i in items if more.keeps(i)]
if not items:
    st.caption(t("rv_none"))
    st.stop()

st.caption(t("rv_count", n=len(items)))
view.table(items, keys.RV_TABLE, comments=status != STATUS_PENDING, pick=True)
if status == STATUS_PENDING:
    view.bulk(db, user, items, t("rv_filter", round=round_id, status=view.status_label(status),
                                 township=towns.get(township, t("rv_all")),
                                 result=t(f"rv_{result}") if result else t("rv_all"))
              + t("rv_filter_more", more=view.filter_text(more)))
picked = view.picker(items)
if picked:
    view.detail(db, user, picked)
