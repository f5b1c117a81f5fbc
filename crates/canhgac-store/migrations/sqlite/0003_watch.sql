-- Watch (issue 5): monitors of assets, their raw checks (pruned early) and hourly rollups (kept
-- long), outages, defacement baselines, maintenance windows and remote probes.
--
-- A monitor's unit is not stored: it is the owner unit of its asset's system, joined at query
-- time, so moving an asset to another system or a system to another owner moves its monitors'
-- scope with it.

CREATE TABLE monitors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id BIGINT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    -- Lower-cased "name target", what the listing's text search matches.
    search_lc TEXT NOT NULL,
    settings TEXT NOT NULL,
    interval_secs BIGINT NOT NULL,
    timeout_secs BIGINT NOT NULL,
    retries BIGINT NOT NULL,
    enabled BIGINT NOT NULL,
    is_public BIGINT NOT NULL,
    probes TEXT NOT NULL,
    status TEXT NOT NULL,
    status_since BIGINT,
    last_check_at BIGINT,
    last_latency_ms BIGINT,
    last_message TEXT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    automatic BIGINT NOT NULL DEFAULT 0,
    -- Kind and target an automatic monitor was created with; kept when a user edits it, so the
    -- automatic pass does not add the original back.
    auto_kind TEXT,
    auto_target TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Names tell monitors of one asset apart (inventory files key monitors by them).
CREATE UNIQUE INDEX monitors_asset_name ON monitors (asset_id, name);
CREATE INDEX monitors_name ON monitors (name, id);

-- Plain rowid ids (no AUTOINCREMENT bookkeeping): this is the table written on every check.
CREATE TABLE monitor_checks (
    id INTEGER PRIMARY KEY,
    monitor_id BIGINT NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    probe TEXT NOT NULL,
    at BIGINT NOT NULL,
    ok BIGINT NOT NULL,
    latency_ms BIGINT,
    message TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX monitor_checks_monitor ON monitor_checks (monitor_id, at);
-- Pruning deletes by age across monitors.
CREATE INDEX monitor_checks_at ON monitor_checks (at);

CREATE TABLE monitor_rollups (
    monitor_id BIGINT NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    probe TEXT NOT NULL,
    -- Start of the hour (UTC), unix microseconds.
    hour BIGINT NOT NULL,
    checks BIGINT NOT NULL,
    ups BIGINT NOT NULL,
    latency_sum_ms BIGINT NOT NULL,
    latency_count BIGINT NOT NULL,
    latency_max_ms BIGINT NOT NULL,
    PRIMARY KEY (monitor_id, probe, hour)
);
CREATE INDEX monitor_rollups_hour ON monitor_rollups (hour);

CREATE TABLE monitor_outages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id BIGINT NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    reason TEXT NOT NULL
);
CREATE INDEX monitor_outages_monitor ON monitor_outages (monitor_id, started_at);

CREATE TABLE defacement_baselines (
    monitor_id BIGINT PRIMARY KEY REFERENCES monitors (id) ON DELETE CASCADE,
    baseline TEXT NOT NULL,
    baseline_at BIGINT NOT NULL,
    approved_by TEXT,
    candidate TEXT,
    candidate_at BIGINT
);

CREATE TABLE maintenance_windows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id BIGINT NOT NULL REFERENCES monitors (id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX maintenance_windows_monitor ON maintenance_windows (monitor_id, ends_at);
CREATE INDEX maintenance_windows_ends ON maintenance_windows (ends_at);

CREATE TABLE probes (
    name TEXT PRIMARY KEY,
    last_seen BIGINT NOT NULL,
    address TEXT
);

-- Monitors a user deleted, by what they checked: the automatic pass does not add them back.
CREATE TABLE deleted_monitors (
    asset_id BIGINT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (asset_id, kind, target)
);

-- Bumped by every monitor and maintenance-window change, so the scheduler's stamp moves on
-- deletes too.
CREATE TABLE watch_changes (
    id BIGINT PRIMARY KEY,
    counter BIGINT NOT NULL
);
INSERT INTO watch_changes (id, counter) VALUES (1, 0);
