"""The schema: migrations applied in order (``PRAGMA user_version`` = how many ran).

Never edit a released migration: append a new one."""

#: Schema migrations, applied in order; version N is the state after MIGRATIONS[N-1].
#: Never edit a released migration: append a new one.
MIGRATIONS: list[str] = [
    # 1: registry, rounds, submissions, drafts, roads, targets
    """
    CREATE TABLE counties (code TEXT PRIMARY KEY, name TEXT);
    CREATE TABLE townships (
        code TEXT PRIMARY KEY, county_code TEXT NOT NULL, name TEXT NOT NULL);
    CREATE TABLE villages (
        code TEXT PRIMARY KEY, township_code TEXT NOT NULL, county_code TEXT NOT NULL,
        name TEXT NOT NULL, lon REAL, lat REAL, title TEXT NOT NULL DEFAULT '无',
        title_year INTEGER, households INTEGER, demo INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL);
    CREATE INDEX villages_township ON villages(township_code);
    CREATE INDEX villages_county ON villages(county_code);
    CREATE TABLE rounds (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, start_date TEXT, end_date TEXT,
        created_at TEXT NOT NULL);
    CREATE TABLE submissions (
        id TEXT PRIMARY KEY, village_code TEXT NOT NULL REFERENCES villages(code),
        round_id TEXT NOT NULL REFERENCES rounds(id), date TEXT NOT NULL, surveyor TEXT NOT NULL,
        lon REAL, lat REAL, gps_accuracy_m REAL,
        answers TEXT NOT NULL, veto TEXT NOT NULL, notes TEXT NOT NULL, content TEXT NOT NULL,
        sections TEXT NOT NULL, total TEXT NOT NULL, total_num REAL NOT NULL,
        passed INTEGER NOT NULL, findings INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending', received_at TEXT NOT NULL);
    CREATE INDEX submissions_round_village ON submissions(round_id, village_code);
    CREATE TABLE submission_items (
        submission_id TEXT NOT NULL REFERENCES submissions(id), item_code TEXT NOT NULL,
        value TEXT NOT NULL, points TEXT NOT NULL, lost TEXT NOT NULL, lost_num REAL NOT NULL,
        finding INTEGER NOT NULL, PRIMARY KEY (submission_id, item_code)) WITHOUT ROWID;
    CREATE TABLE drafts (
        round_id TEXT NOT NULL, village_code TEXT NOT NULL, surveyor TEXT NOT NULL,
        payload TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (round_id, village_code, surveyor)) WITHOUT ROWID;
    CREATE TABLE roads (
        name TEXT PRIMARY KEY, geometry TEXT NOT NULL, buffer_m REAL NOT NULL,
        updated_at TEXT NOT NULL);
    CREATE TABLE belt_overrides (
        road_name TEXT NOT NULL, village_code TEXT NOT NULL, include INTEGER NOT NULL,
        set_by TEXT, set_at TEXT NOT NULL, PRIMARY KEY (road_name, village_code)) WITHOUT ROWID;
    CREATE TABLE targets (
        county_code TEXT NOT NULL, township_code TEXT NOT NULL DEFAULT '',
        percent TEXT NOT NULL, set_by TEXT, set_at TEXT NOT NULL,
        PRIMARY KEY (county_code, township_code)) WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    INSERT INTO meta VALUES ('data_version', '0');
    """,
    # 2: photos, the evidence of the tablet page: a draft's photos are those of its (round,
    # village, surveyor) with no submission yet; submitting links them to the submission id.
    """
    CREATE TABLE photos (
        id TEXT PRIMARY KEY, round_id TEXT NOT NULL, village_code TEXT NOT NULL,
        surveyor TEXT NOT NULL, item_code TEXT NOT NULL, sha256 TEXT NOT NULL,
        jpeg BLOB NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
        created_at TEXT NOT NULL, submission_id TEXT REFERENCES submissions(id));
    CREATE UNIQUE INDEX photos_draft ON photos(round_id, village_code, surveyor, item_code, sha256)
        WHERE submission_id IS NULL;
    CREATE INDEX photos_submission ON photos(submission_id);
    """,
    # 3: accounts, review decisions and versions of submissions, the append-only audit log
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY, display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('surveyor', 'reviewer', 'admin')),
        county_code TEXT NOT NULL, townships TEXT NOT NULL DEFAULT '[]',
        password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
        failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE UNIQUE INDEX users_display_name ON users(display_name);
    ALTER TABLE submissions ADD COLUMN supersedes TEXT REFERENCES submissions(id);
    ALTER TABLE submissions ADD COLUMN reviewed_by TEXT;
    ALTER TABLE submissions ADD COLUMN reviewed_at TEXT;
    ALTER TABLE submissions ADD COLUMN review_comment TEXT;
    CREATE INDEX submissions_supersedes ON submissions(supersedes);
    CREATE INDEX submissions_status ON submissions(status, round_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
        action TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT, village_code TEXT,
        before TEXT, after TEXT);
    CREATE INDEX audit_village ON audit(village_code);
    CREATE INDEX audit_entity ON audit(entity, entity_id);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
    # 4: web sign-in sessions that survive a reload: only the SHA-256 of each token is stored
    """
    CREATE TABLE sessions (
        token_sha256 TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users(name),
        created_at TEXT NOT NULL, last_seen TEXT NOT NULL, expires_at TEXT NOT NULL) WITHOUT ROWID;
    CREATE INDEX sessions_user ON sessions(user_name);
    """,
    # 5: large imports are written in short transactions as an unpublished batch, then shown at
    # once: the rows live in submission_rows; readers see the published ones through the view
    # "submissions" (batch IS NULL). A batch left by a crash is deleted by the next import.
    """
    ALTER TABLE submissions RENAME TO submission_rows;
    ALTER TABLE submission_rows ADD COLUMN batch TEXT;
    CREATE INDEX submission_rows_batch ON submission_rows(batch) WHERE batch IS NOT NULL;
    CREATE VIEW submissions AS SELECT * FROM submission_rows WHERE batch IS NULL;
    CREATE TABLE import_batches (
        id TEXT PRIMARY KEY, started_at TEXT NOT NULL, heartbeat TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'published', 'failed')), rows INTEGER NOT NULL,
        rounds TEXT NOT NULL DEFAULT '[]');
    """,
    # 6: where each submission came from: tablet, odk (Central), kobo, jsonl (import-submissions).
    # Rows stored before: a tablet submission closed its draft (audited as draft.close); the
    # others came from JSON Lines. (The view is made again to show the new column.)
    """
    ALTER TABLE submission_rows ADD COLUMN source TEXT NOT NULL DEFAULT 'tablet';
    UPDATE submission_rows SET source = 'jsonl' WHERE id NOT IN (
        SELECT entity_id FROM audit WHERE action = 'draft.close' AND entity_id IS NOT NULL);
    DROP VIEW submissions;
    CREATE VIEW submissions AS SELECT * FROM submission_rows WHERE batch IS NULL;
    """,
    # 7: the township liaison (乡镇联络员) joins the roles: the users table is made again with the
    # new CHECK (SQLite cannot change a constraint in place).
    """-- rebuild
    CREATE TABLE users_new (
        name TEXT PRIMARY KEY, display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('surveyor', 'reviewer', 'admin', 'liaison')),
        county_code TEXT NOT NULL, townships TEXT NOT NULL DEFAULT '[]',
        password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
        failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    INSERT INTO users_new (name, display_name, role, county_code, townships, password_hash, disabled,
                           failed_logins, locked_until, created_at, updated_at)
        SELECT name, display_name, role, county_code, townships, password_hash, disabled,
               failed_logins, locked_until, created_at, updated_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
    CREATE UNIQUE INDEX users_display_name ON users(display_name);
    """,
    # 8: one-time codes with which a browser collects its session as an HttpOnly cookie
    # (survey.auth.start_handoff): the SHA-256 of the code, the token sealed with the code.
    """
    CREATE TABLE session_handoffs (
        code_sha256 TEXT PRIMARY KEY, user_name TEXT NOT NULL, session_sha256 TEXT NOT NULL,
        sealed TEXT NOT NULL, expires_at TEXT NOT NULL) WITHOUT ROWID;
    """,
    # 9: rounds of several kinds, each scored with the rubric pinned when it opened: the rubric's
    # files are kept per version (its content hash); every submission records the version that
    # scored it.
    """
    ALTER TABLE rounds ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular'
        CHECK (kind IN ('regular', 'unannounced', 'mock', 'recheck'));
    ALTER TABLE rounds ADD COLUMN cadence TEXT NOT NULL DEFAULT '';
    ALTER TABLE rounds ADD COLUMN counts INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE rounds ADD COLUMN rubric_version TEXT REFERENCES rubric_versions(version);
    CREATE TABLE rubric_versions (
        version TEXT PRIMARY KEY, documents TEXT NOT NULL, created_at TEXT NOT NULL);
    ALTER TABLE submission_rows ADD COLUMN rubric_version TEXT;
    DROP VIEW submissions;
    CREATE VIEW submissions AS SELECT * FROM submission_rows WHERE batch IS NULL;
    """,
    # 10: HTTP Digest for ODK Collect (survey.openrosa): per account, H(name:realm:password) for each
    # Digest algorithm as JSON, written whenever the password is set or checked (Digest cannot be
    # checked against the argon2 hash). NULL until then.
    """
    ALTER TABLE users ADD COLUMN digest_ha1 TEXT;
    """,
    # 11: the fix-it ledger (整改台账): one entry per finding of an approved submission (village,
    # round, item: at most one, so approving twice or a newer version adds none) or opened by hand
    # (round and item may be empty); status open -> fixed -> closed, or fixed -> open when a
    # re-check fails. ``recurs`` links a finding to the earlier entry of the same village and
    # item. Photos taken for the ledger (before, by hand; after a fix; at a re-check) live beside
    # it; an approval's "before" photos are the submission's own (photos by submission and item).
    """
    CREATE TABLE ledger_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        village_code TEXT NOT NULL REFERENCES villages(code),
        round_id TEXT REFERENCES rounds(id), item_code TEXT,
        submission_id TEXT REFERENCES submission_rows(id),
        source TEXT NOT NULL CHECK (source IN ('approval', 'manual')),
        problem TEXT NOT NULL, found_on TEXT NOT NULL, deadline TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'fixed', 'closed')),
        failed_rechecks INTEGER NOT NULL DEFAULT 0,
        recurs INTEGER REFERENCES ledger_entries(id),
        fix_text TEXT, fixed_by TEXT, fixed_at TEXT,
        recheck_note TEXT, rechecked_by TEXT, rechecked_at TEXT,
        closed_on TEXT, opened_by TEXT NOT NULL, opened_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE UNIQUE INDEX ledger_finding ON ledger_entries(village_code, round_id, item_code)
        WHERE round_id IS NOT NULL AND item_code IS NOT NULL;
    CREATE INDEX ledger_village_item ON ledger_entries(village_code, item_code);
    CREATE INDEX ledger_round ON ledger_entries(round_id);
    CREATE TABLE ledger_photos (
        id TEXT PRIMARY KEY, entry_id INTEGER NOT NULL REFERENCES ledger_entries(id),
        kind TEXT NOT NULL CHECK (kind IN ('before', 'after', 'recheck')),
        sha256 TEXT NOT NULL, jpeg BLOB NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
        taken_by TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE INDEX ledger_photos_entry ON ledger_photos(entry_id);
    """,
    # 12: ten-star households (十星级文明户): each village's household register (head and members
    # are personal data) and the ratings of its households per period. A household taken off the
    # register keeps its row (removed = 1) and its ratings.
    """
    CREATE TABLE households (
        village_code TEXT NOT NULL REFERENCES villages(code), number TEXT NOT NULL,
        head TEXT NOT NULL, village_group TEXT, members INTEGER,
        removed INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
        PRIMARY KEY (village_code, number)) WITHOUT ROWID;
    CREATE TABLE household_ratings (
        village_code TEXT NOT NULL, household TEXT NOT NULL, period TEXT NOT NULL,
        stars TEXT NOT NULL, star_count INTEGER NOT NULL, disqualifier TEXT,
        state TEXT NOT NULL CHECK (state IN ('claimed', 'discussed', 'reviewed', 'notice', 'awarded')),
        notice_start TEXT, notice_end TEXT, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (village_code, period, household),
        FOREIGN KEY (village_code, household) REFERENCES households(village_code, number)) WITHOUT ROWID;
    -- the village figures of a period read these two, never the rows (survey.store.figure_counts)
    CREATE INDEX household_ratings_figures ON household_ratings(
        period, village_code, state, star_count, disqualifier, notice_start, notice_end);
    CREATE INDEX households_removed ON households(village_code, number) WHERE removed = 1;
    """,
    # 13 (issue 19 items 10-11): township boundaries (GeoJSON text,
    # EPSG:4326) keyed by the 9-digit township code, drawn on the maps instead of the areas
    # derived from village points; why a village was added to or removed from a belt by hand.
    """
    CREATE TABLE township_boundaries (
        code TEXT PRIMARY KEY, name TEXT, geometry TEXT NOT NULL, updated_at TEXT NOT NULL);
    ALTER TABLE belt_overrides ADD COLUMN reason TEXT;
    """,
    # 14 (issue 20): a round's counting totals read from the index alone (store.round_totals: the
    # previous round beside the dashboard's), never from the wide rows.
    """
    CREATE INDEX submission_rows_counting
        ON submission_rows(round_id, village_code, status, batch, passed, total);
    """,
    # 15 (officer): what a county officer would correct.
    # - A submission's vetoes: ``reported`` by the surveyor (suspected until the office confirms
    #   them), ``veto_own`` counted from the submission itself (the ticks of rows stored before
    #   this migration, which counted then: kept), ``reaches`` (total >= pass mark as scored;
    #   unknown for an old vetoed row, which stays vetoed by its own ticks), ``veto``/``passed``
    #   what applies: own + the office's veto records in force on its date (kept up to date by
    #   every change of a record, in the same transaction). ``unmet``: grade item -> the texts
    #   of its criteria not met (a reader gets them without the rubric).
    # - veto_records: facts kept by the office (a village, or a township: all its villages).
    # - townships carry their civilized-township title; title_events is the history of awards
    #   and removals (授予 / 摘牌) from which the registry's titles are derived; the titles
    #   held before this migration become "record" events (their baseline).
    # - settings: the county's other rules overridden per database ('') or county.
    """
    ALTER TABLE submission_rows ADD COLUMN reported TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE submission_rows ADD COLUMN veto_own TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE submission_rows ADD COLUMN reaches INTEGER;
    ALTER TABLE submission_rows ADD COLUMN unmet TEXT NOT NULL DEFAULT '{}';
    UPDATE submission_rows SET veto_own = veto, reaches = CASE WHEN veto = '[]' THEN passed END;
    CREATE INDEX submission_rows_reported ON submission_rows(village_code) WHERE reported != '[]';
    DROP VIEW submissions;
    CREATE VIEW submissions AS SELECT * FROM submission_rows WHERE batch IS NULL;
    CREATE TABLE veto_records (
        id TEXT PRIMARY KEY, code TEXT NOT NULL, county_code TEXT NOT NULL, item TEXT NOT NULL,
        date TEXT NOT NULL, source TEXT NOT NULL, document TEXT,
        status TEXT NOT NULL CHECK (status IN ('confirmed', 'withdrawn', 'rejected')),
        report TEXT, entered_by TEXT NOT NULL, entered_at TEXT NOT NULL,
        decided_by TEXT, decided_at TEXT, reason TEXT);
    CREATE INDEX veto_records_code ON veto_records(code);
    CREATE INDEX veto_records_county ON veto_records(county_code, date);
    CREATE UNIQUE INDEX veto_records_report ON veto_records(report, item) WHERE report IS NOT NULL;
    ALTER TABLE townships ADD COLUMN title TEXT NOT NULL DEFAULT '无';
    ALTER TABLE townships ADD COLUMN title_year INTEGER;
    CREATE TABLE title_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('award', 'remove', 'record')),
        level TEXT NOT NULL, date TEXT NOT NULL, year INTEGER, document TEXT, source TEXT,
        entered_by TEXT NOT NULL, entered_at TEXT NOT NULL);
    CREATE INDEX title_events_code ON title_events(code, date);
    INSERT INTO title_events (code, action, level, date, year, document, source, entered_by, entered_at)
        SELECT code, 'record', title, COALESCE(title_year || '-01-01', date('now')), title_year, NULL,
               'registry', 'migration', strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
        FROM villages WHERE title != '无';
    CREATE TABLE settings (
        scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, set_by TEXT NOT NULL,
        set_at TEXT NOT NULL, actor TEXT NOT NULL, PRIMARY KEY (scope, key)) WITHOUT ROWID;
    """,
]
