-- Competencies (PermenPANRB 38/2017): the dictionary, standards per position, assessments
-- from self, supervisor, peers and assessors, and individual development plans.

CREATE TABLE competencies (
    id                uuid PRIMARY KEY,
    -- NULL: the national dictionary; else an agency's own technical competency.
    agency_id         uuid REFERENCES agencies (id),
    code              text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    competency_group  text NOT NULL CHECK (competency_group IN ('teknis', 'manajerial', 'sosial_kultural')),
    description       text CHECK (length(description) <= 4000),
    -- [{level 1..5, description, indicators: [text]}], all five levels.
    levels            jsonb NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (agency_id IS NULL OR competency_group = 'teknis')
);
CREATE UNIQUE INDEX competencies_national_code_idx ON competencies (code) WHERE agency_id IS NULL;
CREATE UNIQUE INDEX competencies_agency_code_idx ON competencies (agency_id, code) WHERE agency_id IS NOT NULL;
CREATE INDEX competencies_agency_idx ON competencies (agency_id, id);

-- A position's standard: the required level per competency.
CREATE TABLE competency_requirements (
    position_id     uuid NOT NULL REFERENCES positions (id) ON DELETE CASCADE,
    competency_id   uuid NOT NULL REFERENCES competencies (id),
    required_level  smallint NOT NULL CHECK (required_level BETWEEN 1 AND 5),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (position_id, competency_id)
);
CREATE INDEX competency_requirements_competency_idx ON competency_requirements (competency_id);

-- The standard a position of a kind has until its own is set (editable data, national).
CREATE TABLE competency_requirement_defaults (
    position_kind   text NOT NULL CHECK (position_kind IN ('jpt_utama', 'jpt_madya', 'jpt_pratama', 'administrator',
                                                           'pengawas', 'pelaksana', 'fungsional')),
    competency_id   uuid NOT NULL REFERENCES competencies (id),
    required_level  smallint NOT NULL CHECK (required_level BETWEEN 1 AND 5),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (position_kind, competency_id)
);

-- Users an agency admin appointed to give `assessor` assessments in the agency.
CREATE TABLE competency_assessors (
    agency_id   uuid NOT NULL REFERENCES agencies (id),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, user_id)
);

-- One assessment per assessed employee, period, source and assessor; replaced while the period
-- is open.
CREATE TABLE competency_assessments (
    id                    uuid PRIMARY KEY,
    agency_id             uuid NOT NULL REFERENCES agencies (id),
    employee_id           uuid NOT NULL REFERENCES employees (id),
    period_id             uuid NOT NULL REFERENCES periods (id),
    source                text NOT NULL CHECK (source IN ('self', 'supervisor', 'peer', 'assessor')),
    assessor_user_id      uuid NOT NULL REFERENCES users (id),
    assessor_employee_id  uuid REFERENCES employees (id),
    potential             text CHECK (potential IN ('rendah', 'menengah', 'tinggi')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (employee_id, period_id, source, assessor_user_id),
    CHECK (potential IS NULL OR source = 'assessor')
);
CREATE INDEX competency_assessments_period_idx ON competency_assessments (period_id, employee_id);
CREATE INDEX competency_assessments_assessor_idx ON competency_assessments (assessor_user_id, id);

CREATE TABLE competency_ratings (
    assessment_id  uuid NOT NULL REFERENCES competency_assessments (id) ON DELETE CASCADE,
    competency_id  uuid NOT NULL REFERENCES competencies (id),
    level          smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    note           text CHECK (length(note) <= 2000),
    PRIMARY KEY (assessment_id, competency_id)
);
CREATE INDEX competency_ratings_competency_idx ON competency_ratings (competency_id, level);

-- An individual development plan (rencana pengembangan individu): one row per activity.
CREATE TABLE development_activities (
    id             uuid PRIMARY KEY,
    agency_id      uuid NOT NULL REFERENCES agencies (id),
    employee_id    uuid NOT NULL REFERENCES employees (id),
    competency_id  uuid REFERENCES competencies (id),
    kind           text NOT NULL CHECK (kind IN ('training', 'coaching', 'mentoring', 'e_learning', 'further_study')),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    mentor_id      uuid REFERENCES employees (id),
    due_on         date,
    status         text NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled')),
    evidence       jsonb NOT NULL DEFAULT '[]',
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (mentor_id IS NULL OR mentor_id <> employee_id)
);
-- The talent map and mentor matching read each employee's latest annual predikat.
CREATE INDEX final_ratings_employee_idx ON final_ratings (employee_id);

CREATE INDEX development_activities_employee_idx ON development_activities (employee_id, id);
CREATE INDEX development_activities_mentor_idx ON development_activities (mentor_id) WHERE mentor_id IS NOT NULL;
