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

# --- export page -------------------------------------------------------------------------------
