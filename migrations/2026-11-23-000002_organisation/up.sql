-- The organisation registry (units, positions, employees' places and supervisors) and the
-- append-only audit trail.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE units (
    id          uuid PRIMARY KEY,
    agency_id   uuid NOT NULL REFERENCES agencies (id),
    parent_id   uuid REFERENCES units (id),
    code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_id, code),
    CHECK (parent_id <> id)
);
CREATE INDEX units_agency_idx ON units (agency_id, id);
CREATE INDEX units_parent_idx ON units (parent_id, id);

CREATE TABLE positions (
    id          uuid PRIMARY KEY,
    agency_id   uuid NOT NULL REFERENCES agencies (id),
    unit_id     uuid REFERENCES units (id),
    code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('jpt_utama', 'jpt_madya', 'jpt_pratama', 'administrator',
                                              'pengawas', 'pelaksana', 'fungsional')),
    level       text CHECK (level IN ('ahli_pertama', 'ahli_muda', 'ahli_madya', 'ahli_utama',
                                      'pemula', 'terampil', 'mahir', 'penyelia')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_id, code),
    CHECK ((kind = 'fungsional') = (level IS NOT NULL))
);
CREATE INDEX positions_agency_idx ON positions (agency_id, id);
CREATE INDEX positions_unit_idx ON positions (unit_id, id);

ALTER TABLE employees
    ADD COLUMN unit_id          uuid REFERENCES units (id),
    ADD COLUMN position_id      uuid REFERENCES positions (id),
    ADD COLUMN supervisor_id    uuid REFERENCES employees (id),
    ADD COLUMN employment_type  text NOT NULL DEFAULT 'pns' CHECK (employment_type IN ('pns', 'pppk')),
    ADD COLUMN grade            text,
    ADD COLUMN email            text CHECK (email IS NULL OR length(email) <= 254),
    ADD CONSTRAINT employees_not_own_supervisor CHECK (supervisor_id <> id);
ALTER TABLE employees ALTER COLUMN employment_type DROP DEFAULT;
CREATE INDEX employees_unit_idx ON employees (unit_id, id);
CREATE INDEX employees_supervisor_idx ON employees (supervisor_id, id);
CREATE INDEX employees_position_idx ON employees (position_id);
-- Search: NIP prefix (LIKE 'q%' in any collation) and name fragments (ILIKE '%q%').
CREATE INDEX employees_nip_prefix_idx ON employees (nip text_pattern_ops);
CREATE INDEX employees_name_trgm_idx ON employees USING gin (name gin_trgm_ops);

-- Who changed what, when, from what to what. Written in the same transaction as the change.
CREATE TABLE audit_events (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'client', 'system', 'anonymous')),
    actor_id    uuid,
    agency_id   uuid,
    entity      text NOT NULL,
    entity_id   uuid,
    action      text NOT NULL,
    changes     jsonb NOT NULL DEFAULT '{}',
    request_id  text
);
CREATE INDEX audit_events_entity_idx ON audit_events (entity, entity_id, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_agency_idx ON audit_events (agency_id, id);

CREATE FUNCTION audit_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_are_append_only();
