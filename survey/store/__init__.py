"""The store: every SQL statement of the project lives in this package, one module per concept.

Callers use the names listed here (``from survey import store; store.villages(db)``); the modules
are :mod:`~survey.store.db` (connection, transactions, migrations, shared helpers) and one per
concept: registry, rounds, submissions, drafts, photos, roads, targets, meta, audit, users,
review, sessions, ledger, households (the household register and its ten-star ratings), vetoes
(the office's veto records), settings (the county's other rules), titles (township titles, the
history of awards and removals). Only ``survey`` modules import the store; pages and ``ui``
never do.
"""

from __future__ import annotations

from survey.store import trends as trends
from survey.store.audit import append_audit, audit_rows
from survey.store.boundaries import StoredBoundary, boundaries, replace_boundaries
from survey.store.db import BUSY_TIMEOUT_MS, SCHEMA_VERSION, backup, connect, data_version, migrate, restore
from survey.store.drafts import (
    change_draft,
    close_draft,
    delete_draft,
    load_draft,
    reopen_draft,
    save_draft,
    submitted_count,
)
from survey.store.handoff import insert_handoff, take_handoff
from survey.store.households import (
                                 change_ratings,
                                 figure_counts,
                                 household_rows,
                                 import_households,
                                 rating_periods,
                                 rating_rows,
                                 remove_household,
                                 save_household,
)
from survey.store.ledger import (
                                 NewEntry,
                                 entry_photos,
                                 finding_rows,
                                 insert_entry,
                                 ledger_counts,
                                 ledger_entries,
                                 ledger_photo_jpeg,
                                 move_entry,
)
from survey.store.meta import get_meta, set_meta, stats
from survey.store.photos import (
                                 NewPhoto,
                                 PhotoInfo,
                                 add_photo,
                                 delete_photo,
                                 draft_photos,
                                 photo_jpeg,
                                 submission_photos,
)
from survey.store.progress import progress_rows
from survey.store.registry import ImportSummary, counties, import_registry, townships, village, villages
from survey.store.results import (
                                 item_losses,
                                 round_progress,
                                 round_results,
                                 round_totals,
                                 stored_ids,
                                 submission,
                                 submission_contents,
                                 submission_exists,
)
from survey.store.review import decide, review_rows
from survey.store.roads import (
                                 OverrideRow,
                                 StoredRoad,
                                 belt_override_rows,
                                 belt_overrides,
                                 replace_roads,
                                 roads,
                                 set_belt_override,
                                 set_road_buffer,
)
from survey.store.rounds import create_round, get_round, rounds, rubric_documents
from survey.store.sessions import delete_session, insert_session, session_row, touch_session
from survey.store.settings import reset_setting, set_setting, setting_rows
from survey.store.submissions import SOURCES, clean_batches, save_submissions
from survey.store.targets import get_target, set_target, targets
from survey.store.titles import add_title_event, import_townships, title_events, township_rows
from survey.store.users import insert_user, login_begin, login_end, logout, update_user, user_count, user_row, user_rows
from survey.store.vetoes import add_veto_records, reject_veto_report, veto_reports, veto_rows, withdraw_veto_record

__all__ = [
                                 "BUSY_TIMEOUT_MS",
                                 "SCHEMA_VERSION",
                                 "SOURCES",
                                 "ImportSummary",
                                 "NewEntry",
                                 "NewPhoto",
                                 "OverrideRow",
                                 "PhotoInfo",
                                 "StoredBoundary",
                                 "StoredRoad",
                                 "add_photo",
                                 "add_title_event",
                                 "add_veto_records",
                                 "append_audit",
                                 "audit_rows",
                                 "backup",
                                 "belt_override_rows",
                                 "belt_overrides",
                                 "boundaries",
                                 "change_draft",
                                 "change_ratings",
                                 "clean_batches",
                                 "close_draft",
                                 "connect",
                                 "counties",
                                 "create_round",
                                 "data_version",
                                 "decide",
                                 "delete_draft",
                                 "delete_photo",
                                 "delete_session",
                                 "draft_photos",
                                 "entry_photos",
                                 "figure_counts",
                                 "finding_rows",
                                 "get_meta",
                                 "get_round",
                                 "get_target",
                                 "household_rows",
                                 "import_households",
                                 "import_registry",
                                 "import_townships",
                                 "insert_entry",
                                 "insert_handoff",
                                 "insert_session",
                                 "insert_user",
                                 "item_losses",
                                 "ledger_counts",
                                 "ledger_entries",
                                 "ledger_photo_jpeg",
                                 "load_draft",
                                 "login_begin",
                                 "login_end",
                                 "logout",
                                 "migrate",
                                 "move_entry",
                                 "photo_jpeg",
                                 "progress_rows",
                                 "rating_periods",
                                 "rating_rows",
                                 "reject_veto_report",
                                 "remove_household",
                                 "reopen_draft",
                                 "replace_boundaries",
                                 "replace_roads",
                                 "reset_setting",
                                 "restore",
                                 "review_rows",
                                 "roads",
                                 "round_progress",
                                 "round_results",
                                 "round_totals",
                                 "rounds",
                                 "rubric_documents",
                                 "save_draft",
                                 "save_household",
                                 "save_submissions",
                                 "session_row",
                                 "set_belt_override",
                                 "set_meta",
                                 "set_road_buffer",
                                 "set_setting",
                                 "set_target",
                                 "setting_rows",
                                 "stats",
                                 "stored_ids",
                                 "submission",
                                 "submission_contents",
                                 "submission_exists",
                                 "submission_photos",
                                 "submitted_count",
                                 "take_handoff",
                                 "targets",
                                 "title_events",
                                 "touch_session",
                                 "township_rows",
                                 "townships",
                                 "update_user",
                                 "user_count",
                                 "user_row",
                                 "user_rows",
                                 "veto_reports",
                                 "veto_rows",
                                 "village",
                                 "villages",
                                 "withdraw_veto_record",
]
