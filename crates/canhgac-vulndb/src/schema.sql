-- The portable vulnerability database. One file; every statement is idempotent so opening an
-- existing file is harmless. Text dates are kept as the sources write them (ISO 8601), which
-- sort in time order.

PRAGMA user_version = 1;

CREATE TABLE IF NOT EXISTS cve (
    id             TEXT PRIMARY KEY,
    published      TEXT,
    modified       TEXT NOT NULL DEFAULT '',
    summary        TEXT NOT NULL DEFAULT '',
    cvss3_score    REAL,
    cvss3_vector   TEXT,
    cvss4_score    REAL,
    cvss4_vector   TEXT,
    severity       TEXT,          -- NVD baseSeverity of the best metric, lower-case
    cwes           TEXT NOT NULL DEFAULT ''   -- comma-separated CWE ids
) WITHOUT ROWID;

-- One row per cpeMatch of an NVD configuration. vendor/product/version are the criteria's
-- attributes, unescaped and lower-cased, for lookup ('*' any, '-' not applicable).
CREATE TABLE IF NOT EXISTS cpe_match (
    cve_id                   TEXT NOT NULL,
    configuration            INTEGER NOT NULL,
    node                     INTEGER NOT NULL,
    operator                 TEXT NOT NULL DEFAULT 'OR',
    negate                   INTEGER NOT NULL DEFAULT 0,
    vulnerable               INTEGER NOT NULL,
    criteria                 TEXT NOT NULL,
    part                     TEXT NOT NULL,
    vendor                   TEXT NOT NULL,
    product                  TEXT NOT NULL,
    version                  TEXT NOT NULL,
    cpe_update               TEXT NOT NULL,
    version_start_including  TEXT,
    version_start_excluding  TEXT,
    version_end_including    TEXT,
    version_end_excluding    TEXT
);
CREATE INDEX IF NOT EXISTS cpe_match_product ON cpe_match (product, vendor);
CREATE INDEX IF NOT EXISTS cpe_match_cve ON cpe_match (cve_id);

CREATE TABLE IF NOT EXISTS osv (
    id            TEXT PRIMARY KEY,
    modified      TEXT NOT NULL DEFAULT '',
    published     TEXT,
    summary       TEXT NOT NULL DEFAULT '',
    severity_type TEXT,           -- e.g. CVSS_V3
    severity      TEXT,           -- the vector (or score) as OSV gives it
    cvss_score    REAL            -- base score worked out from a CVSS v3 vector
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS osv_alias (
    osv_id  TEXT NOT NULL,
    alias   TEXT NOT NULL,
    PRIMARY KEY (osv_id, alias)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS osv_alias_alias ON osv_alias (alias);

-- One affected interval of a package: introduced (inclusive, '0' = from the start) up to fixed
-- (exclusive) or last_affected (inclusive), or open when both are NULL.
CREATE TABLE IF NOT EXISTS osv_range (
    osv_id         TEXT NOT NULL,
    ecosystem      TEXT NOT NULL,
    package        TEXT NOT NULL,
    range_type     TEXT NOT NULL,  -- ECOSYSTEM, SEMVER or GIT
    introduced     TEXT NOT NULL,
    fixed          TEXT,
    last_affected  TEXT
);
CREATE INDEX IF NOT EXISTS osv_range_package ON osv_range (package, ecosystem);
CREATE INDEX IF NOT EXISTS osv_range_osv ON osv_range (osv_id);

-- Versions an OSV record lists one by one.
CREATE TABLE IF NOT EXISTS osv_version (
    osv_id     TEXT NOT NULL,
    ecosystem  TEXT NOT NULL,
    package    TEXT NOT NULL,
    version    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS osv_version_package ON osv_version (package, ecosystem);
CREATE INDEX IF NOT EXISTS osv_version_osv ON osv_version (osv_id);

CREATE TABLE IF NOT EXISTS kev (
    cve_id                         TEXT PRIMARY KEY,
    vendor_project                 TEXT NOT NULL,
    product                        TEXT NOT NULL,
    vulnerability_name             TEXT NOT NULL,
    date_added                     TEXT NOT NULL,
    short_description              TEXT NOT NULL DEFAULT '',
    required_action                TEXT NOT NULL,
    due_date                       TEXT NOT NULL,
    known_ransomware_campaign_use  TEXT NOT NULL DEFAULT 'Unknown',
    notes                          TEXT NOT NULL DEFAULT '',
    cwes                           TEXT NOT NULL DEFAULT '',
    catalog_released               TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS import_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT NOT NULL,   -- kev, nvd, osv
    file         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    records      INTEGER NOT NULL,  -- records in the file
    written      INTEGER NOT NULL,  -- inserted or replaced (newer than what was stored)
    skipped      INTEGER NOT NULL,  -- not newer than what was stored
    imported_at  TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL
);
