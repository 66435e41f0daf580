-- Periodic evaluation of a plan (realisations with evidence, the rating and its predikat) and
-- continuous feedback (umpan balik berkelanjutan).

CREATE TABLE evaluations (
    id                uuid PRIMARY KEY,
    plan_id           uuid NOT NULL REFERENCES performance_plans (id),
    agency_id         uuid NOT NULL REFERENCES agencies (id),
    period_label      text NOT NULL CHECK (period_label ~ '^[0-9]{4}(-[0-9]{2}|-Q[1-4]|-S[12])?$'),
    self_note         text CHECK (length(self_note) <= 4000),
    result_rating     text CHECK (result_rating IN ('di_atas_ekspektasi', 'sesuai_ekspektasi', 'di_bawah_ekspektasi')),
    behaviour_rating  text CHECK (behaviour_rating IN ('di_atas_ekspektasi', 'sesuai_ekspektasi', 'di_bawah_ekspektasi')),
    predikat          text CHECK (predikat IN ('sangat_baik', 'baik', 'cukup', 'butuh_perbaikan', 'kurang', 'sangat_kurang', 'buruk')),
    explanation       jsonb,
    feedback          jsonb,
    rated_by          uuid REFERENCES employees (id),
    rated_at          timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (plan_id, period_label)
);
CREATE INDEX evaluations_agency_idx ON evaluations (agency_id, id);

CREATE TABLE realizations (
    id             uuid PRIMARY KEY,
    evaluation_id  uuid NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    indicator_id   uuid NOT NULL REFERENCES plan_indicators (id),
    value          double precision,
    text           text CHECK (length(text) <= 4000),
    evidence       jsonb NOT NULL DEFAULT '[]',
    UNIQUE (evaluation_id, indicator_id)
);

CREATE TABLE feedback (
    id               uuid PRIMARY KEY,
    agency_id        uuid NOT NULL REFERENCES agencies (id),
    employee_id      uuid NOT NULL REFERENCES employees (id),
    period_id        uuid NOT NULL REFERENCES periods (id),
    author_id        uuid NOT NULL REFERENCES employees (id),
    author_relation  text NOT NULL CHECK (author_relation IN ('rater', 'peer', 'subordinate')),
    value            text CHECK (value IN ('berorientasi_pelayanan', 'akuntabel', 'kompeten', 'harmonis',
                                           'loyal', 'adaptif', 'kolaboratif')),
    text             text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (author_id <> employee_id)
);
CREATE INDEX feedback_employee_idx ON feedback (employee_id, id);
