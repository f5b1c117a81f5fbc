-- Incidents (sự cố, issue 6) with their timeline, tasks and links to alerts and findings, and the
-- archive of official reports (Mẫu 03/04/05 of Circular 20/2017) with their numbers.
--
-- The incident's form fields live in `details` (JSON of the model's IncidentInput); the columns
-- beside it are what listings filter and sort on. Report numbers run per year per issuing code:
-- `report_counters` hands them out (an upsert that increments, inside the transaction that
-- archives the report, so a failed report leaves no gap), and the unique index forbids doubles.

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    title TEXT NOT NULL,
    title_lc TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    detected_at BIGINT NOT NULL,
    personal_data_breach BIGINT NOT NULL,
    system_name TEXT NOT NULL,
    details TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX incidents_unit ON incidents (unit_id);
CREATE INDEX incidents_detected ON incidents (detected_at, id);

CREATE TABLE incident_alerts (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    alert_id BIGINT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, alert_id)
);
CREATE INDEX incident_alerts_alert ON incident_alerts (alert_id);

CREATE TABLE incident_findings (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    finding_id BIGINT NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, finding_id)
);
CREATE INDEX incident_findings_finding ON incident_findings (finding_id);

CREATE TABLE incident_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX incident_notes_incident ON incident_notes (incident_id, at);

CREATE TABLE incident_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    assignee TEXT,
    done_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id);

CREATE TABLE report_counters (
    code TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_sequence BIGINT NOT NULL,
    PRIMARY KEY (code, year)
);

CREATE TABLE incident_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    form TEXT NOT NULL,
    incident_id BIGINT REFERENCES incidents (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    code TEXT NOT NULL,
    year BIGINT NOT NULL,
    sequence BIGINT NOT NULL,
    number TEXT NOT NULL,
    -- yyyy-mm-dd
    issued_on TEXT NOT NULL,
    -- JSON array of email addresses
    recipients TEXT NOT NULL,
    period TEXT,
    file_name TEXT NOT NULL,
    docx BLOB NOT NULL,
    -- generated | sent | failed
    state TEXT NOT NULL,
    last_error TEXT,
    sent_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX incident_reports_number ON incident_reports (code, year, sequence);
CREATE INDEX incident_reports_incident ON incident_reports (incident_id);
CREATE INDEX incident_reports_unit ON incident_reports (unit_id, created_at);
