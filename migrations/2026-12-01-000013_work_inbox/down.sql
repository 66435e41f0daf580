DROP FUNCTION work_inbox(uuid[], uuid, date, uuid);
DROP INDEX competency_assessments_employee_idx;
DROP INDEX objections_open_idx;
DROP INDEX evaluations_unrated_idx;
DROP INDEX performance_plans_rated_by_supervisor_idx;
DROP INDEX performance_plans_waiting_on_rater_idx;
