-- A career as it stood: when an annual rating is issued or a competency assessment recorded,
-- what it was judged against is kept — the employee's position, unit and grade then, the
-- period's rule set and the position's competency standard — so GET /employees/{id}/history
-- does not change when today's position or standard does. Names are copied, not referenced:
-- a unit renamed or removed later leaves the history as it was.
CREATE TABLE career_snapshots (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id     uuid NOT NULL REFERENCES agencies (id),
    employee_id   uuid NOT NULL REFERENCES employees (id),
    period_id     uuid NOT NULL REFERENCES periods (id),
    -- The act judged: an annual rating (act_id: its plan) or an assessment (act_id: its id).
    act           text NOT NULL CHECK (act IN ('final_rating', 'assessment')),
    act_id        uuid NOT NULL,
    position_id   uuid,
    position_code text,
    position_name text,
    unit_id       uuid,
    unit_name     text,
    grade         text,
    rule_set      text NOT NULL,
    -- The position's standard then: [{competency_id, required_level}].
    standard      jsonb NOT NULL,
    taken_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (act, act_id)
);
CREATE INDEX career_snapshots_employee_idx ON career_snapshots (employee_id, period_id);
