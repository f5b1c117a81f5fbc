-- Awareness bulletins (issue 8) and the notification outbox (shared with the respond capability).
--
-- Every message to a person is first an outbox row; a sender claims due rows, delivers them and
-- marks them sent, or queues them again with a later `next_attempt_at`. `dedup_key` is unique,
-- so the same bulletin (or alert) is never queued twice for the same person.

CREATE TABLE bulletins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- JSON array of the unit ids chosen (bulletin_units has them with their sub-units).
    chosen_units TEXT NOT NULL,
    include_subunits BIGINT NOT NULL,
    remind_every_days BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bulletins_created ON bulletins (created_at, id);

-- Every unit a bulletin is addressed to; a reader sees the bulletin when one of them is in scope.
CREATE TABLE bulletin_units (
    bulletin_id BIGINT NOT NULL REFERENCES bulletins (id) ON DELETE CASCADE,
    unit_id BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    PRIMARY KEY (bulletin_id, unit_id)
);
CREATE INDEX bulletin_units_unit ON bulletin_units (unit_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    recipient_name TEXT,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    dedup_key TEXT NOT NULL,
    -- queued | sending | sent | failed
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Queued: when the next attempt is due; sending: when the sender's lease ends.
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    unit_id BIGINT REFERENCES units (id) ON DELETE SET NULL,
    bulletin_id BIGINT REFERENCES bulletins (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE UNIQUE INDEX outbox_dedup ON outbox (dedup_key);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at, id);
CREATE INDEX outbox_bulletin ON outbox (bulletin_id);

CREATE TABLE bulletin_recipients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bulletin_id BIGINT NOT NULL REFERENCES bulletins (id) ON DELETE CASCADE,
    unit_id BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    -- Lower-cased address: one person gets one copy even when listed in two units.
    email_lc TEXT NOT NULL,
    confirmed_at BIGINT,
    reminders_sent BIGINT NOT NULL DEFAULT 0,
    last_reminded_at BIGINT,
    -- The latest message to them (the bulletin, then each reminder).
    last_outbox_id BIGINT REFERENCES outbox (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX bulletin_recipients_email ON bulletin_recipients (bulletin_id, email_lc);
CREATE INDEX bulletin_recipients_unit ON bulletin_recipients (unit_id);

-- Confirmation links by the SHA-256 of their random token: the bulletin and each reminder carry
-- a fresh token, and every link ever sent keeps working.
CREATE TABLE bulletin_links (
    token_hash TEXT PRIMARY KEY,
    recipient_id BIGINT NOT NULL REFERENCES bulletin_recipients (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX bulletin_links_recipient ON bulletin_links (recipient_id);
