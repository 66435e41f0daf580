-- A period's deadlines and whether it is still open (PermenPANRB 6/2022: plans at the start of
-- the year, periodic evaluations after each sub-period, the annual rating after the year).
-- A deadline left NULL (or a sub-period missing from evaluation_due) takes the practice
-- default computed in the domain (kinerja_domain::deadlines).
ALTER TABLE periods
    ADD COLUMN status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    ADD COLUMN status_reason text,
    ADD COLUMN planning_due date,
    ADD COLUMN evaluation_due jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(evaluation_due) = 'object'),
    ADD COLUMN rating_due date;
