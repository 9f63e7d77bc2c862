"""Every st.session_state key and widget key used by the app, in one place.

Pages import these constants; no page spells a key as a literal string.
"""

# --- shell -------------------------------------------------------------------------------------
LANG = "lang"  # "zh" | "en"
ROUND = "round_id"  # the round chosen in the sidebar

# --- setup page --------------------------------------------------------------------------------
SETUP_UPLOAD = "setup_upload"
SETUP_IMPORT = "setup_import_button"
SETUP_ROUND_ID = "setup_round_id"
SETUP_ROUND_NAME = "setup_round_name"
SETUP_ROUND_START = "setup_round_start"
SETUP_ROUND_END = "setup_round_end"
SETUP_ROUND_CREATE = "setup_round_create"
SETUP_RESULT = "setup_last_result"
SETUP_ROUNDS_TABLE = "setup_rounds_table"
SETUP_ROUND_FORM = "setup_round_form"
SETUP_RUBRIC_TABLE = "setup_rubric_table"  # + "_<section code>"
SETUP_VETO_TABLE = "setup_veto_table"

# --- survey (tablet) page ----------------------------------------------------------------------

# --- map page ----------------------------------------------------------------------------------

# --- dashboard page ----------------------------------------------------------------------------
DASH_COUNTY = "dash_county"
DASH_RANK_SCOPE = "dash_rank_scope"
DASH_TOWNSHIP = "dash_township"
DASH_SET_FORM = "dash_set_form"
DASH_SET_SCOPE = "dash_set_scope"
DASH_SET_PERCENT = "dash_set_percent"
DASH_SET_BY = "dash_set_by"
DASH_SET_SAVE = "dash_set_save"
DASH_SAVED = "dash_saved"  # message shown after a target was saved
DASH_RANK_N = "dash_rank_n"
DASH_TABLE_TOWNSHIPS = "dash_table_townships"
DASH_TABLE_BELOW = "dash_table_below"
DASH_TABLE_PLAN = "dash_table_plan"
DASH_TABLE_FAILED = "dash_table_failed"
DASH_TABLE_RISK = "dash_table_risk"
DASH_TABLE_BEST = "dash_table_best"
DASH_TABLE_WORST = "dash_table_worst"
DASH_TABLE_DRILL = "dash_table_drill"
DASH_TABLE_SETTINGS = "dash_table_settings"

# --- export page -------------------------------------------------------------------------------
