-- Scans on the server (issue 4): runs the worker claims with a lease, what each run found out
-- about which findings, and schedules per information system.
--
-- A run is scoped by `unit_id` (the owner unit of the system scanned, or of the assets explicit
-- targets fall under), fixed when the run is requested.

CREATE TABLE scan_schedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id BIGINT NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
    profile TEXT NOT NULL,
    -- daily | weekly
    frequency TEXT NOT NULL,
    -- ISO weekday 1 (Monday) to 7 (Sunday) for weekly schedules.
    weekday BIGINT,
    -- Minutes after midnight, Asia/Ho_Chi_Minh.
    minute_of_day BIGINT NOT NULL,
    enabled BIGINT NOT NULL,
    next_run_at BIGINT NOT NULL,
    last_scan_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX scan_schedules_system ON scan_schedules (system_id);
CREATE INDEX scan_schedules_due ON scan_schedules (enabled, next_run_at);

CREATE TABLE scan_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL,
    -- JSON array of the targets as written.
    targets TEXT NOT NULL,
    system_id BIGINT REFERENCES systems (id) ON DELETE SET NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    requested_by TEXT NOT NULL,
    schedule_id BIGINT REFERENCES scan_schedules (id) ON DELETE SET NULL,
    -- queued | running | done | failed | cancelled
    status TEXT NOT NULL,
    -- Thousandths done.
    progress_permille BIGINT NOT NULL DEFAULT 0,
    phase TEXT,
    -- Running: until when the worker holds the run; a lapsed lease means it died.
    lease_until BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    hosts BIGINT NOT NULL DEFAULT 0,
    open_ports BIGINT NOT NULL DEFAULT 0,
    issues BIGINT NOT NULL DEFAULT 0,
    findings_created BIGINT NOT NULL DEFAULT 0,
    findings_updated BIGINT NOT NULL DEFAULT 0,
    findings_reopened BIGINT NOT NULL DEFAULT 0,
    findings_fixed BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    -- Compact JSON: services per host and web titles, capped in size.
    report TEXT
);
CREATE INDEX scan_runs_status ON scan_runs (status, id);
CREATE INDEX scan_runs_unit ON scan_runs (unit_id, id);
CREATE INDEX scan_runs_system ON scan_runs (system_id, id);

-- What a run did to which finding: new (created or reopened), open (seen again), fixed.
CREATE TABLE scan_run_findings (
    scan_id BIGINT NOT NULL REFERENCES scan_runs (id) ON DELETE CASCADE,
    finding_id BIGINT NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    change TEXT NOT NULL,
    PRIMARY KEY (scan_id, finding_id)
);
