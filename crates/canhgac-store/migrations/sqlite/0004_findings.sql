-- Findings (DESIGN.md §4): weaknesses found by looking — scans, password audits, file sweeps,
-- breach lists — with a lifecycle open → fixed → reopened, or accepted / false positive with a
-- reason. Every producer writes the same table, so per-unit views and reports read one place.

CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    -- Merge key: (source, merge_unit, key); merge_unit is unit_id or 0, so it is never NULL.
    key TEXT NOT NULL,
    merge_unit BIGINT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    -- 0 informational .. 4 critical, for "at least" filters and ordering.
    severity_rank BIGINT NOT NULL,
    unit_id BIGINT REFERENCES units (id) ON DELETE SET NULL,
    system_id BIGINT REFERENCES systems (id) ON DELETE SET NULL,
    asset_id BIGINT REFERENCES assets (id) ON DELETE SET NULL,
    host TEXT,
    subject TEXT NOT NULL,
    evidence TEXT NOT NULL,
    remediation TEXT,
    status TEXT NOT NULL,
    status_reason TEXT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    sightings BIGINT NOT NULL,
    status_changed_at BIGINT NOT NULL,
    search_lc TEXT NOT NULL
);
CREATE UNIQUE INDEX findings_key ON findings (source, merge_unit, key);
CREATE INDEX findings_recent ON findings (last_seen, id);
CREATE INDEX findings_unit ON findings (unit_id, status, category);
CREATE INDEX findings_open ON findings (status, severity_rank);
