-- The duty roster and paging (issue 6): who is on duty, how to reach them, routing rules, and
-- how far each alert's paging has gone. People on duty are contacts; this adds their other
-- channels. Notifications themselves are outbox rows (0005), `next_attempt_at` holding a
-- message until quiet hours end.

CREATE TABLE duty_contacts (
    contact_id BIGINT PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    telegram_chat_id TEXT,
    zalo_user_id TEXT,
    -- 1 when the contact leads their unit: escalation reaches them last.
    leads_unit BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

CREATE TABLE duty_shifts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL: the whole province.
    unit_id BIGINT REFERENCES units (id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    primary_contact BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    backup_contact BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX duty_shifts_time ON duty_shifts (ends_at, starts_at);

CREATE TABLE duty_holidays (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    -- JSON array of unit ids that must be covered; empty: the province.
    unit_ids TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE duty_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL: a province-wide rule.
    unit_id BIGINT REFERENCES units (id) ON DELETE CASCADE,
    -- The routing rule as JSON.
    rule TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One row per alert that was routed: its presence means "already paged" (so a restart never
-- pages again), `next_check_at` drives escalation.
CREATE TABLE alert_pages (
    alert_id BIGINT PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    unit_id BIGINT,
    severity TEXT NOT NULL,
    paged_at BIGINT NOT NULL,
    -- primary | backup | leader
    reached TEXT NOT NULL,
    next_check_at BIGINT,
    acknowledged_at BIGINT,
    acknowledged_by TEXT
);
CREATE INDEX alert_pages_due ON alert_pages (next_check_at);
