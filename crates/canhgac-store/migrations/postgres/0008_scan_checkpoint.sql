-- A running scan saves what it has finished (hosts done, their services and issues) as JSON, so a
-- run taken over after a server stopped continues from there instead of starting again.
ALTER TABLE scan_runs ADD COLUMN checkpoint TEXT;
