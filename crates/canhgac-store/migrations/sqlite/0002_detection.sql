-- Detection (issue 3): alerts from every detector, indicators, per-rule tuning, suppressions.
-- Events themselves live in the event log (canhgac-eventlog), not here.

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    rule_key TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    -- 0 informational .. 4 critical, for "at least" filters and ordering.
    severity_rank BIGINT NOT NULL,
    tags TEXT NOT NULL,
    unit_id BIGINT REFERENCES units (id) ON DELETE SET NULL,
    host TEXT,
    -- Folding keys without NULLs, so one index finds the open alert a hit folds into.
    fold_unit BIGINT NOT NULL,
    fold_host TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    count BIGINT NOT NULL,
    status TEXT NOT NULL,
    comment TEXT,
    evidence TEXT NOT NULL,
    search_lc TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX alerts_recent ON alerts (last_seen, id);
CREATE INDEX alerts_unit ON alerts (unit_id, last_seen);
-- The console header and dashboard count open alerts by severity on every page.
CREATE INDEX alerts_open_severity ON alerts (status, severity);
CREATE INDEX alerts_open_fold ON alerts (source, rule_key, fold_unit, fold_host, last_seen)
    WHERE status IN ('new', 'acknowledged');

CREATE TABLE indicators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    tags TEXT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    search_lc TEXT NOT NULL
);
CREATE UNIQUE INDEX indicators_key ON indicators (kind, value);

CREATE TABLE rule_overrides (
    rule_key TEXT NOT NULL,
    unit_id BIGINT REFERENCES units (id) ON DELETE CASCADE,
    fold_unit BIGINT NOT NULL,
    enabled BIGINT NOT NULL,
    severity TEXT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX rule_overrides_key ON rule_overrides (rule_key, fold_unit);

CREATE TABLE suppressions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_key TEXT,
    unit_id BIGINT REFERENCES units (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    comment TEXT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
