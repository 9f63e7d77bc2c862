"""整改复查: re-check fixed entries on the spot (a surveyor on the tablet, or the county office),
village by village: before and after side by side, a photo, passed (closed, 已销号) or not
(open again with a new deadline)."""


from survey import ledger
from ui import ledger_view as view
from ui import nav, shell

user = nav.require("recheck")
waiting = view.work_list("rc", lambda: ledger.to_recheck(shell.db(), user))
village = view.recheck_village(waiting)
for entry in (e for e in waiting if e.village_code == village):
    view.recheck_card(user, entry)
