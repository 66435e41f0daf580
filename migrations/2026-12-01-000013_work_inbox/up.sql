-- The work inbox (GET /me/tasks) reads, per kind of task, only the rows waiting on one person:
-- one partial index per kind, keyed by that person.
-- Plans waiting on their rating official: submitted (approve) or approved (rate).
CREATE INDEX performance_plans_waiting_on_rater_idx ON performance_plans (rater_id)
    WHERE superseded_by IS NULL AND status IN ('submitted', 'approved');
-- Rated plans, by the rating official's supervisor, who decides objections to them.
CREATE INDEX performance_plans_rated_by_supervisor_idx ON performance_plans (rater_supervisor_id)
    WHERE superseded_by IS NULL AND status = 'rated';
-- Realisations not yet rated, by plan.
CREATE INDEX evaluations_unrated_idx ON evaluations (plan_id) WHERE rated_at IS NULL;
-- Objections still open, by plan.
CREATE INDEX objections_open_idx ON objections (plan_id) WHERE status = 'open';
-- An employee's assessments in a period, by source (a self-assessment awaiting the supervisor's).
CREATE INDEX competency_assessments_employee_idx ON competency_assessments (employee_id, period_id, source);
