-- Performance periods and plans (SKP): results (RHK) cascaded across people, their
-- indicators, and the BerAKHLAK behaviour expectations (PermenPANRB 6/2022).

CREATE TABLE periods (
    id          uuid PRIMARY KEY,
    agency_id   uuid NOT NULL REFERENCES agencies (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    starts_on   date NOT NULL,
    ends_on     date NOT NULL,
    cadence     text NOT NULL CHECK (cadence IN ('monthly', 'quarterly', 'semiannual', 'annual')),
    rule_set    text NOT NULL CHECK (rule_set IN ('permenpanrb-6-2022', 'pp-30-2019', 'pp-46-2011')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on),
    CHECK (ends_on - starts_on <= 366)
);
CREATE INDEX periods_agency_idx ON periods (agency_id, id);

CREATE TABLE performance_plans (
    id                     uuid PRIMARY KEY,
    agency_id              uuid NOT NULL REFERENCES agencies (id),
    employee_id            uuid NOT NULL REFERENCES employees (id),
    period_id              uuid NOT NULL REFERENCES periods (id),
    revision               integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    approach               text NOT NULL CHECK (approach IN ('kuantitatif', 'kualitatif')),
    status                 text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved')),
    rater_id               uuid REFERENCES employees (id),
    rater_supervisor_id    uuid REFERENCES employees (id),
    rater_override_reason  text,
    return_reason          text,
    annex                  jsonb NOT NULL DEFAULT '{}',
    superseded_by          uuid REFERENCES performance_plans (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
-- One current plan per employee and period; earlier revisions stay, superseded.
CREATE UNIQUE INDEX performance_plans_current_idx ON performance_plans (employee_id, period_id)
    WHERE superseded_by IS NULL;
CREATE INDEX performance_plans_agency_idx ON performance_plans (agency_id, id);
CREATE INDEX performance_plans_period_idx ON performance_plans (period_id, id);
CREATE INDEX performance_plans_rater_idx ON performance_plans (rater_id, id);

CREATE TABLE plan_results (
    id                uuid PRIMARY KEY,
    plan_id           uuid NOT NULL REFERENCES performance_plans (id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('utama', 'tambahan')),
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    parent_result_id  uuid REFERENCES plan_results (id),
    perspective       text CHECK (perspective IN ('penerima_layanan', 'proses_bisnis', 'penguatan_internal', 'anggaran')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plan_results_plan_idx ON plan_results (plan_id, id);
CREATE INDEX plan_results_parent_idx ON plan_results (parent_result_id);

CREATE TABLE plan_indicators (
    id            uuid PRIMARY KEY,
    result_id     uuid NOT NULL REFERENCES plan_results (id) ON DELETE CASCADE,
    plan_id       uuid NOT NULL REFERENCES performance_plans (id) ON DELETE CASCADE,
    description   text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    aspect        text NOT NULL CHECK (aspect IN ('kuantitas', 'kualitas', 'waktu', 'biaya')),
    target_value  double precision,
    target_unit   text,
    target_text   text,
    CHECK (target_value IS NOT NULL OR target_text IS NOT NULL)
);
CREATE INDEX plan_indicators_plan_idx ON plan_indicators (plan_id, result_id);

CREATE TABLE behaviour_expectations (
    plan_id      uuid NOT NULL REFERENCES performance_plans (id) ON DELETE CASCADE,
    value        text NOT NULL CHECK (value IN ('berorientasi_pelayanan', 'akuntabel', 'kompeten', 'harmonis',
                                                'loyal', 'adaptif', 'kolaboratif')),
    expectation  text CHECK (length(expectation) <= 2000),
    PRIMARY KEY (plan_id, value)
);
