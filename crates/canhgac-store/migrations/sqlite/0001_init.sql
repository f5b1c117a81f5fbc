-- canhgac schema v1 (SQLite). Ids are INTEGER PRIMARY KEY (64-bit), timestamps unix microseconds,
-- dates TEXT YYYY-MM-DD, lists JSON TEXT, flags 0/1. `name_lc` holds the Unicode lower-case name
-- for text search (SQLite's LOWER folds ASCII only).

CREATE TABLE units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES units (id),
    path TEXT NOT NULL,
    address TEXT,
    valid_from TEXT,
    valid_to TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX units_code ON units (code);
CREATE INDEX units_name ON units (name, id);
CREATE INDEX units_parent ON units (parent_id);
CREATE INDEX units_path ON units (path);

CREATE TABLE systems (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    kind TEXT NOT NULL,
    owner_unit_id BIGINT NOT NULL REFERENCES units (id),
    operator_unit_id BIGINT REFERENCES units (id),
    security_level BIGINT,
    level_decision_number TEXT,
    level_decision_date TEXT,
    information_class TEXT,
    purpose TEXT,
    services TEXT NOT NULL DEFAULT '[]',
    security_controls TEXT NOT NULL DEFAULT '[]',
    isp TEXT,
    security_provider TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX systems_code ON systems (code);
CREATE INDEX systems_name ON systems (name, id);
CREATE INDEX systems_owner ON systems (owner_unit_id);
CREATE INDEX systems_operator ON systems (operator_unit_id);
CREATE INDEX systems_kind ON systems (kind);

CREATE TABLE assets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id BIGINT NOT NULL REFERENCES systems (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    name TEXT,
    -- Lower-cased "value name", what the listing's text search matches.
    search_lc TEXT NOT NULL,
    os TEXT,
    os_version TEXT,
    software TEXT NOT NULL DEFAULT '[]',
    note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX assets_key ON assets (system_id, kind, value);
-- Covers the listing's order and its text search, so searching 50,000 assets reads one index.
CREATE INDEX assets_value ON assets (value, id, search_lc);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    position TEXT,
    responsibility TEXT,
    phone TEXT,
    email TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_key ON contacts (unit_id, name);
CREATE INDEX contacts_name ON contacts (name, id);

CREATE TABLE authorities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    address TEXT,
    phones TEXT NOT NULL DEFAULT '[]',
    emails TEXT NOT NULL DEFAULT '[]',
    valid_from TEXT,
    valid_to TEXT,
    note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- NULL valid_from counts as one value, so a code has at most one open-start record.
CREATE UNIQUE INDEX authorities_key ON authorities (code, COALESCE(valid_from, ''));
CREATE INDEX authorities_name ON authorities (name, id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);

CREATE TABLE user_units (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    PRIMARY KEY (user_id, unit_id)
);
CREATE INDEX user_units_unit ON user_units (unit_id);

CREATE TABLE sessions (
    secret_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX api_tokens_secret ON api_tokens (secret_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- No foreign key on actor_user_id: the log outlives deleted users.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_user_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id, id);
CREATE INDEX audit_actor ON audit_log (actor, id);
