-- The versions of lists read and replaced whole, which have no row of their own to carry an
-- ETag or to lock: a position kind's default competency standard (national), an agency's
-- competency assessors.
CREATE TABLE competency_default_versions (
    position_kind text PRIMARY KEY,
    version timestamptz NOT NULL
);

CREATE TABLE competency_assessor_versions (
    agency_id uuid PRIMARY KEY REFERENCES agencies (id) ON DELETE CASCADE,
    version timestamptz NOT NULL
);
