-- The annual (final) rating and what follows it: the organisation's own predikat, the
-- distribution curve's calibration (SE MenPANRB 3/2023) and objections (keberatan,
-- PP 30/2019 art. 59).

-- Days an employee has to object after the annual rating (PP 30/2019: 14).
ALTER TABLE agencies
    ADD COLUMN objection_window_days integer NOT NULL DEFAULT 14 CHECK (objection_window_days BETWEEN 1 AND 90);

ALTER TABLE performance_plans DROP CONSTRAINT performance_plans_status_check;
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_status_check
    CHECK (status IN ('draft', 'submitted', 'approved', 'rated'));

-- The organisation's own predikat per unit and period; the agency's is its top unit's.
CREATE TABLE organisation_ratings (
    unit_id     uuid NOT NULL REFERENCES units (id),
    period_id   uuid NOT NULL REFERENCES periods (id),
    agency_id   uuid NOT NULL REFERENCES agencies (id),
    predikat    text NOT NULL CHECK (predikat IN ('istimewa', 'baik', 'butuh_perbaikan', 'kurang', 'sangat_kurang')),
    note        text CHECK (length(note) <= 4000),
    rated_by    uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, period_id)
);
CREATE INDEX organisation_ratings_period_idx ON organisation_ratings (period_id);

-- One annual rating per plan. `rated_predikat` is the rating official's, kept as issued;
-- `predikat` is the one in force after a calibration or an upheld objection.
CREATE TABLE final_ratings (
    plan_id                    uuid PRIMARY KEY REFERENCES performance_plans (id),
    agency_id                  uuid NOT NULL REFERENCES agencies (id),
    period_id                  uuid NOT NULL REFERENCES periods (id),
    employee_id                uuid NOT NULL REFERENCES employees (id),
    -- The employee's unit when rated: the curve counts people where they were.
    unit_id                    uuid REFERENCES units (id),
    result_rating              text CHECK (result_rating IN ('di_atas_ekspektasi', 'sesuai_ekspektasi', 'di_bawah_ekspektasi')),
    behaviour_rating           text CHECK (behaviour_rating IN ('di_atas_ekspektasi', 'sesuai_ekspektasi', 'di_bawah_ekspektasi')),
    rated_predikat             text NOT NULL,
    predikat                   text NOT NULL,
    explanation                jsonb NOT NULL,
    note                       text CHECK (length(note) <= 4000),
    rated_by                   uuid NOT NULL REFERENCES employees (id),
    rated_at                   timestamptz NOT NULL,
    -- The latest calibration: {predikat_before, predikat, justification, by, at}; every one is
    -- also in the audit trail.
    calibration                jsonb,
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    CHECK (rated_predikat IN ('sangat_baik', 'baik', 'cukup', 'butuh_perbaikan', 'kurang', 'sangat_kurang', 'buruk')),
    CHECK (predikat IN ('sangat_baik', 'baik', 'cukup', 'butuh_perbaikan', 'kurang', 'sangat_kurang', 'buruk'))
);
CREATE INDEX final_ratings_period_unit_idx ON final_ratings (period_id, unit_id);
CREATE INDEX final_ratings_agency_period_idx ON final_ratings (agency_id, period_id, plan_id);

-- One objection per plan: the decision is final. `decider_id` is the rating official's
-- supervisor (atasan pejabat penilai) when it was filed.
CREATE TABLE objections (
    id                            uuid PRIMARY KEY,
    plan_id                       uuid NOT NULL UNIQUE REFERENCES final_ratings (plan_id),
    agency_id                     uuid NOT NULL REFERENCES agencies (id),
    employee_id                   uuid NOT NULL REFERENCES employees (id),
    decider_id                    uuid REFERENCES employees (id),
    reason                        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 4000),
    status                        text NOT NULL CHECK (status IN ('open', 'decided')),
    employee_explanation          text CHECK (length(employee_explanation) <= 4000),
    rating_official_explanation   text CHECK (length(rating_official_explanation) <= 4000),
    outcome                       text CHECK (outcome IN ('upheld', 'rejected')),
    decided_predikat              text,
    decision_note                 text CHECK (length(decision_note) <= 4000),
    decided_by                    uuid REFERENCES employees (id),
    filed_at                      timestamptz NOT NULL,
    decided_at                    timestamptz,
    updated_at                    timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'decided') = (outcome IS NOT NULL)),
    CHECK ((outcome = 'upheld') = (decided_predikat IS NOT NULL))
);
CREATE INDEX objections_agency_idx ON objections (agency_id, id);
CREATE INDEX objections_decider_idx ON objections (decider_id, id);
CREATE INDEX objections_employee_idx ON objections (employee_id, id);
