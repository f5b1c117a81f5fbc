-- What feeds say about an indicator beyond its value: confidence (0-100), the TLP marking, when
-- the source first and last saw it, and the advisory it came with. Imports of the same kind and
-- value merge these (earliest first seen, latest last seen, highest confidence).
ALTER TABLE indicators ADD COLUMN confidence BIGINT;
ALTER TABLE indicators ADD COLUMN tlp TEXT;
ALTER TABLE indicators ADD COLUMN first_seen BIGINT;
ALTER TABLE indicators ADD COLUMN last_seen BIGINT;
ALTER TABLE indicators ADD COLUMN advisory TEXT;
