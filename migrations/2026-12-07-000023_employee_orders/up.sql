-- Employee lists sorted by name or by last change (`sort=`, `updated_since=`), keyset-paged:
-- each order ends in the id, and the agency comes first as every agency's list is its own.
CREATE INDEX employees_agency_name_idx ON employees (agency_id, name, id);
CREATE INDEX employees_agency_updated_idx ON employees (agency_id, updated_at, id);
