-- Acting officials (Plt/Plh, docs/rules.md "The rating chain and acting officials"): while a delegation runs, the acting
-- employee approves, rates and decides as the official would; each such act names both.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE acting_officials (
    id               uuid PRIMARY KEY,
    agency_id        uuid NOT NULL REFERENCES agencies (id),
    acting_id        uuid NOT NULL REFERENCES employees (id),
    -- Whom the acting employee stands in for: one employee, or whoever holds a position.
    for_employee_id  uuid REFERENCES employees (id),
    for_position_id  uuid REFERENCES positions (id),
    kind             text NOT NULL CHECK (kind IN ('plt', 'plh')),
    starts_on        date NOT NULL,
    ends_on          date NOT NULL,
    reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(for_employee_id, for_position_id) = 1),
    CHECK (acting_id IS DISTINCT FROM for_employee_id),
    CHECK (ends_on >= starts_on),
    -- One stand-in at a time for an official or a position.
    CONSTRAINT acting_officials_employee_overlap EXCLUDE USING gist
        (for_employee_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&) WHERE (for_employee_id IS NOT NULL),
    CONSTRAINT acting_officials_position_overlap EXCLUDE USING gist
        (for_position_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&) WHERE (for_position_id IS NOT NULL)
);
CREATE INDEX acting_officials_acting_idx ON acting_officials (acting_id, ends_on);
CREATE INDEX acting_officials_agency_idx ON acting_officials (agency_id, id);

-- An act done in someone's stead names them: "by X acting for Y".
ALTER TABLE audit_events ADD COLUMN acting_for uuid;
