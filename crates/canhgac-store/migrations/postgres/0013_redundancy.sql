-- Redundancy of a system (directive clause 3): what takes over when it fails and when that was
-- last tested. One row per protected system; the backup may be another system or a description.
CREATE TABLE system_redundancy (
    system_id BIGINT PRIMARY KEY REFERENCES systems(id) ON DELETE CASCADE,
    backup_system_id BIGINT REFERENCES systems(id) ON DELETE SET NULL,
    backup_description TEXT NOT NULL DEFAULT '',
    last_failover_test TEXT,
    updated_at BIGINT NOT NULL
);
