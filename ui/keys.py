"""Every st.session_state key and widget key used by the app, in one place.

Pages import these constants; no page spells a key as a literal string.
"""

# --- shell -------------------------------------------------------------------------------------
LANG = "lang"  # "zh" | "en"
ROUND = "round_id"  # the round chosen in the sidebar
ROUND_PENDING = "round_pending"  # a round to choose in the sidebar on the next run

# --- setup page --------------------------------------------------------------------------------
SETUP_UPLOAD = "setup_upload"
SETUP_IMPORT = "setup_import_button"
SETUP_ROUND_ID = "setup_round_id"
SETUP_ROUND_NAME = "setup_round_name"
SETUP_ROUND_START = "setup_round_start"
SETUP_ROUND_END = "setup_round_end"
SETUP_ROUND_CREATE = "setup_round_create"
SETUP_ROUND_KIND = "setup_round_kind"
SETUP_ROUND_CADENCE = "setup_round_cadence"
SETUP_ROUND_COUNTS = "setup_round_counts"
SETUP_ROUND_OPENED = "setup_round_opened"  # id of the round just opened (its message)
SETUP_RESULT = "setup_last_result"
SETUP_ROUNDS_TABLE = "setup_rounds_table"
SETUP_ROUND_FORM = "setup_round_form"
SETUP_RUBRIC_TABLE = "setup_rubric_table"  # + "_<section code>"
SETUP_VETO_TABLE = "setup_veto_table"
SETUP_ODK_ROUND = "setup_odk_round"
SETUP_ODK_DOWNLOAD = "setup_odk_download"
SETUP_ODK_UPLOAD = "setup_odk_upload"
SETUP_ODK_IMPORT = "setup_odk_import"
SETUP_ODK_RESULT = "setup_odk_result"  # ("ok", fields) or ("errors", lines) of the last import

# --- survey (tablet) page ----------------------------------------------------------------------
# Kept in the URL as well, so a reload reopens the same village for the same person.
SV_SURVEYOR = "surveyor"
SV_TOWN = "town"
SV_VILLAGE = "village"
SV_VILLAGE_QUERY = SV_VILLAGE + "_q"  # the pinyin search box beside the village picker (ui.pickers)
SV_VILLAGE_LABEL = "sv_village_label"  # the chosen village's label as last sent to the browser
SV_CHECKLIST = "sv_checklist"  # the checklist component (ui/tablet.py): rendered in the browser
SV_NOTICE = "sv_notice"  # the container above it (the village's status this round)
SV_RETURNED = "sv_returned"  # in it: the office's comment on the returned submission

# --- map page ----------------------------------------------------------------------------------
MAP_BASE = "map_base"  # base layer: geo.maps.BASES
MAP_CUSTOM_URL = "map_custom_url"  # XYZ template of the custom base layer
MAP_SCOPE = "map_scope"  # township code drawn village by village ("" = all)
MAP_FOLIUM = "map_folium"  # the st_folium component
MAP_BELTS_TABLE = "map_belts_table"
MAP_DEMO_TABLE = "map_demo_table"
MAP_UNREACHED_TABLE = "map_unreached_table"

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
# the dashboard's round parts (ui/rounds_view.py): bulletin, trends, title review
DASH_BULLETIN = "dash_bulletin"  # the download button of the Word bulletin
DASH_TREND_VILLAGE = "dash_trend_village"
DASH_CHANGE_FROM = "dash_change_from"
DASH_CHANGE_TO = "dash_change_to"
DASH_TABLE_CHANGE_TOWNS = "dash_table_change_towns"
DASH_TABLE_CHANGE_VILLAGES = "dash_table_change_villages"
DASH_REVIEW_SHARE = "dash_review_share"
DASH_REVIEW_ROUNDS = "dash_review_rounds"
DASH_TABLE_REVIEW = "dash_table_review"

# --- export page -------------------------------------------------------------------------------
EXP_COUNTY = "exp_county"
EXP_ENCODING = "exp_encoding"
EXP_DL_CSV = "exp_download_csv"
EXP_DL_XLSX = "exp_download_xlsx"
EXP_DL_GEOJSON = "exp_download_geojson"
EXP_TABLE_VILLAGES = "exp_table_villages"
EXP_TABLE_TOWNSHIPS = "exp_table_townships"

# --- accounts, login, review, users ------------------------------------------------------------
AUTH_USER = "auth_user"  # login name of the signed-in user (the account is re-read every run)
AUTH_SEEN = "auth_seen"  # epoch seconds of the last run: idle sessions end
AUTH_NOTICE = "auth_notice"  # text key shown on the login page (expired, signed out)
AUTH_SESSION = "auth_session"  # SHA-256 of the session cookie's token (see survey.auth)
AUTH_TOUCHED = "auth_touched"  # epoch seconds the session's last-seen time was last written
AUTH_TRIED = "auth_tried"  # True once this browser session's cookie has been tried
AUTH_COOKIE = "auth_cookie"  # pending cookie request: (request id, (one-time code, account); None deletes it)
LOGIN_FORM = "login_form"
LOGIN_NAME = "login_name"
LOGIN_PASSWORD = "login_password"
LOGIN_SUBMIT = "login_submit"
LOGIN_ERROR = "login_error"  # the error of the last failed sign-in, shown until the next try
LOGIN_DONE = "login_done"  # set by the login callback: the page reruns once into the signed-in app
LOGIN_DEMO_TABLE = "login_demo_table"
LOGOUT = "logout_button"
RV_STATUS = "rv_status"
RV_TOWNSHIP = "rv_township"
RV_RESULT = "rv_result"
RV_TABLE = "rv_table"  # + "_<hash of the listed ids>" where a row click opens it
RV_SELECTED = "rv_selected"  # id of the submission opened
RV_SELECTED_QUERY = RV_SELECTED + "_q"  # the pinyin search box beside its picker (ui.pickers)
RV_APPROVE = "rv_approve"
RV_RETURN_FORM = "rv_return_form"
RV_COMMENT = "rv_comment"
RV_BULK_CONFIRM = "rv_bulk_confirm"
RV_BULK = "rv_bulk"
RV_MESSAGE = "rv_message"  # (text key, fields) shown after a decision
RV_ANSWERS = "rv_answers_table"
RV_VERSIONS = "rv_versions_table"
RV_HISTORY = "rv_history_table"
RV_CORRECT = "rv_correct"  # + "_<submission id>"
RV_GPS = "rv_gps"  # filter: GPS flag
RV_SURVEYOR = "rv_surveyor"  # filter: surveyor
RV_SOURCE = "rv_source"  # filter: source
RV_DATES = "rv_dates"  # filter: survey dates (a range)
RV_PROGRESS = "rv_progress_table"  # progress per surveyor
RV_PROGRESS_TOWNS = "rv_progress_towns_table"  # progress per township
US_TABLE = "us_table"
US_FORM = "us_form"
US_NAME = "us_name"
US_DISPLAY = "us_display"
US_ROLE = "us_role"
US_COUNTY = "us_county"
US_TOWNSHIPS = "us_townships"
US_PASSWORD = "us_password"
US_PICK = "us_pick"
US_TOGGLE = "us_toggle"
US_NEW_PASSWORD = "us_new_password"
US_SET_PASSWORD = "us_set_password"
US_AUDIT = "us_audit_table"
US_SCOPE_FORM = "us_scope_form"  # + "_<account>"
US_SCOPE_ROLE = "us_scope_role"  # + "_<account>"
US_SCOPE_COUNTY = "us_scope_county"  # + "_<account>"
US_SCOPE_TOWNSHIPS = "us_scope_townships"  # + "_<account>"
US_MESSAGE = "us_message"

# --- officer: veto records, village page (titles), county settings -------------------------------
VETO_COUNTY = "veto_county"
VETO_MESSAGE = "veto_message"  # the message of the last action, shown after the rerun
VETO_TABLE = "veto_table"
VETO_WITHDRAW_FORM = "veto_withdraw_form"
VETO_WITHDRAW_PICK = "veto_withdraw_pick"
VETO_WITHDRAW_REASON = "veto_withdraw_reason"
VETO_WITHDRAW = "veto_withdraw"
VETO_REPORTS = "veto_reports"
VETO_DECIDE_FORM = "veto_decide_form"
VETO_REPORT_PICK = "veto_report_pick"
VETO_REPORT_DATE = "veto_report_date"
VETO_REPORT_SOURCE = "veto_report_source"
VETO_REPORT_DOCUMENT = "veto_report_document"
VETO_REPORT_REASON = "veto_report_reason"
VETO_CONFIRM = "veto_confirm"
VETO_REJECT = "veto_reject"
VETO_NEW_TOWN = "veto_new_town"
VETO_NEW_FORM = "veto_new_form"
VETO_NEW_PLACE = "veto_new_place"
VETO_NEW_ITEM = "veto_new_item"
VETO_NEW_DATE = "veto_new_date"
VETO_NEW_SOURCE = "veto_new_source"
VETO_NEW_DOCUMENT = "veto_new_document"
VETO_NEW_SAVE = "veto_new_save"
VETO_UPLOAD = "veto_upload"
VETO_IMPORT = "veto_import"
PLACE_CODE = "place_code"  # the village or township shown (also ?code= in the URL)
PLACE_TOWN = "place_town"
PLACE_VILLAGE = "place_village"
PLACE_MESSAGE = "place_message"
PLACE_HISTORY = "place_history"
PLACE_FORM = "place_form"
PLACE_ACTION = "place_action"
PLACE_LEVEL = "place_level"
PLACE_DATE = "place_date"
PLACE_DOCUMENT = "place_document"
PLACE_SOURCE = "place_source"
PLACE_SAVE = "place_save"
PLACE_VETOES = "place_vetoes"
SET_SCOPE = "set_scope"
SET_MESSAGE = "set_message"
SET_TABLE = "set_table"
SET_FORM = "set_form"
SET_KEY = "set_key"
SET_VALUE = "set_value"
SET_BY = "set_by"
SET_SAVE = "set_save"
SET_RESET = "set_reset"
SET_FACTORS = "set_factors"

# --- the fix-it ledger (ui/ledger_view.py): ledger, fixes and recheck pages ----------------------
LG_COUNTY = "lg_county"
LG_ROUND = "lg_round"
LG_TOWNSHIP = "lg_township"
LG_STATUS = "lg_status"
LG_SECTION = "lg_section"
LG_ITEM = "lg_item"
LG_TABLE_TOWNSHIPS = "lg_table_townships"
LG_TABLE = "lg_table"
LG_DL_XLSX = "lg_download_xlsx"
LG_DL_CSV = "lg_download_csv"
LG_NOTICE_TOWN = "lg_notice_town"
LG_NOTICE = "lg_notice"
LG_VILLAGE = "lg_village"
LG_ENTRY = "lg_entry"  # + "_<entry id>" (an entry's container)
LG_OPEN_FORM = "lg_open_form"
LG_OPEN_VILLAGE = "lg_open_village"
LG_OPEN_TEXT = "lg_open_text"
LG_OPEN_DEADLINE = "lg_open_deadline"
LG_OPEN_PHOTO = "lg_open_photo"
LG_OPEN_SUBMIT = "lg_open_submit"
LG_MESSAGE = "lg_message"  # (text key, fields) shown after a write
FX_FORM = "fx_form"  # + "_<entry id>"
FX_TEXT = "fx_text"  # + "_<entry id>"
FX_PHOTO = "fx_photo"  # + "_<entry id>"
FX_SUBMIT = "fx_submit"  # + "_<entry id>"
RC_VILLAGE = "rc_village"
RC_FORM = "rc_form"  # + "_<entry id>"
RC_PHOTO = "rc_photo"  # + "_<entry id>"
RC_NOTE = "rc_note"  # + "_<entry id>"
RC_DEADLINE = "rc_deadline"  # + "_<entry id>"
RC_PASS = "rc_pass"  # + "_<entry id>"
RC_FAIL = "rc_fail"  # + "_<entry id>"
# --- ten-star households page (pages/households.py, ui/households_view.py) ---------------------
HH_COUNTY = "hh_county"
HH_PERIOD = "hh_period"
HH_TOWN = "hh_town"  # kept in the URL with the village, so a reload reopens the same village
HH_VILLAGE = "hh_village"
HH_PROGRESS_TABLE = "hh_progress_table"
HH_REGISTER_TABLE = "hh_register_table"
HH_UPLOAD = "hh_upload"
HH_IMPORT = "hh_import"
HH_IMPORT_RESULT = "hh_import_result"  # ("ok", fields) or ("errors", lines) of the last import
HH_HOUSEHOLD = "hh_household"  # the household number chosen ("" = a new one)
HH_NEXT = "hh_next"  # the household to choose on the next run (set by an action)
HH_FORM = "hh_form"  # + "_<household number>"
HH_NUMBER = "hh_number"  # + "_<household number>"
HH_HEAD = "hh_head"  # + "_<household number>"
HH_GROUP = "hh_group"  # + "_<household number>"
HH_MEMBERS = "hh_members"  # + "_<household number>"
HH_REMOVE_CONFIRM = "hh_remove_confirm"  # + "_<household number>"
HH_REMOVE = "hh_remove"  # + "_<household number>"
HH_STARS = "hh_stars"  # + "_<period>_<household number>"
HH_DISQUALIFIER = "hh_disqualifier"  # + "_<period>_<household number>"
HH_SEED = "hh_seed"  # + "_<period>_<household number>": the stored rating the widgets show
HH_RATE = "hh_rate"
HH_BACK = "hh_back"
HH_MOVE = "hh_move"  # + "_<state>"
HH_NOTICE_START = "hh_notice_start"
HH_NOTICE_END = "hh_notice_end"
HH_OBJECTIONS = "hh_objections"
HH_NOTICE_DOWNLOAD = "hh_notice_download"
HH_MESSAGE = "hh_message"  # ("success"|"error", text) shown after an action
# the tablet's panel beside the ten-star section (ui/tenstar_view.py)
TS_PANEL = "ts_panel"
TS_SPOT_TABLE = "ts_spot_table"

# --- ui-maps (issue 19: items 9, 10, 11, 14, 18) ---------------------------------------------------
MAP_SCOPE_QUERY = MAP_SCOPE + "_q"  # the pinyin search box beside the township picker (ui.pickers)
MAP_BACK = "map_back"  # "back to the map" on a village's page (map?village=CODE)
MAP_VILLAGE_TABLE = "map_village_table"  # the village's submissions of the round
MAP_VILLAGE_HISTORY = "map_village_history"  # the village's audit trail (no submission yet)
BELTS_UPLOAD = "belts_upload"
BELTS_UPLOAD_BUFFER = "belts_upload_buffer"
BELTS_IMPORT = "belts_import"
BELTS_RESULT = "belts_result"  # the last import's outcome
BELTS_ROAD = "belts_road"  # the road whose buffer is edited
BELTS_BUFFER = "belts_buffer"
BELTS_SET_BUFFER = "belts_set_buffer"
BELTS_MEMBER_ROAD = "belts_member_road"
BELTS_TOWN = "belts_town"  # township of the village picker (pinyin search: BELTS_TOWN + "_q")
BELTS_VILLAGE = "belts_village"  # village picker (pinyin search: BELTS_VILLAGE + "_q")
BELTS_ACTION = "belts_action"  # include / exclude / clear
BELTS_REASON = "belts_reason"
BELTS_APPLY = "belts_apply"
BELTS_OVERRIDES_TABLE = "belts_overrides_table"
BELTS_TABLE = "belts_table"
BELTS_RADIUS = "belts_radius"
BELTS_SET_RADIUS = "belts_set_radius"
BELTS_NOTICE = "belts_notice"  # the last write's success message, shown after the rerun
SETUP_BOUNDARY_UPLOAD = "setup_boundary_upload"
SETUP_BOUNDARY_IMPORT = "setup_boundary_import"
SETUP_BOUNDARY_RESULT = "setup_boundary_result"
VIEWPORT = "viewport"  # the browser window's size, {"width", "height"} (ui.style.probe)
