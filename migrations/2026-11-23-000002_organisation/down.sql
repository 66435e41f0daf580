DROP TABLE audit_events;
DROP FUNCTION audit_events_are_append_only();
DROP INDEX employees_name_trgm_idx;
DROP INDEX employees_nip_prefix_idx;
ALTER TABLE employees
    DROP COLUMN email,
    DROP COLUMN grade,
    DROP COLUMN employment_type,
    DROP COLUMN supervisor_id,
    DROP COLUMN position_id,
    DROP COLUMN unit_id;
DROP TABLE positions;
DROP TABLE units;
DROP EXTENSION IF EXISTS pg_trgm;
