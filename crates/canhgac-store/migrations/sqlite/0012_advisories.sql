-- The advisory register (issue 7): official letters, their files, one task per affected unit;
-- and the queue of retro-hunts (new indicators searched for in stored events).

CREATE TABLE advisories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issuer TEXT NOT NULL,
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    title_lc TEXT NOT NULL,
    issued_on TEXT,
    deadline BIGINT,
    tlp TEXT,
    -- canhgac_intel::advisory::Advisory as JSON: CVEs, products and versions, actions.
    details TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    matched_at BIGINT,
    UNIQUE (issuer, number)
);
CREATE INDEX advisories_created ON advisories (created_at, id);

-- Files kept with an advisory, base64 in `content` (the schema binds integers and text only).
CREATE TABLE advisory_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    advisory_id BIGINT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX advisory_attachments_advisory ON advisory_attachments (advisory_id);

-- One task per affected unit; a reader sees an advisory when one of its tasks is in scope.
CREATE TABLE advisory_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    advisory_id BIGINT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    unit_id BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    -- The affected systems and software as matching found them (JSON).
    systems TEXT NOT NULL,
    comment TEXT,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    updated_at BIGINT NOT NULL,
    updated_by TEXT,
    UNIQUE (advisory_id, unit_id)
);
CREATE INDEX advisory_tasks_unit ON advisory_tasks (unit_id);

CREATE TABLE retrohunts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- JSON array of indicator ids.
    indicator_ids TEXT NOT NULL,
    days BIGINT NOT NULL,
    state TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    lease_until BIGINT,
    finished_at BIGINT,
    events_scanned BIGINT NOT NULL DEFAULT 0,
    hits BIGINT NOT NULL DEFAULT 0,
    alerts BIGINT NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX retrohunts_state ON retrohunts (state, id);

-- The highest indicator id already queued for a retro-hunt: indicators above it are new.
-- Starts at the indicators present at upgrade, which are not hunted for again.
CREATE TABLE retrohunt_cursor (
    id BIGINT PRIMARY KEY,
    last_indicator_id BIGINT NOT NULL
);
INSERT INTO retrohunt_cursor (id, last_indicator_id) SELECT 1, COALESCE(MAX(id), 0) FROM indicators;
