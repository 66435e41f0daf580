DROP TABLE objections;
DROP TABLE final_ratings;
DROP TABLE organisation_ratings;
UPDATE performance_plans SET status = 'approved' WHERE status = 'rated';
ALTER TABLE performance_plans DROP CONSTRAINT performance_plans_status_check;
ALTER TABLE performance_plans ADD CONSTRAINT performance_plans_status_check
    CHECK (status IN ('draft', 'submitted', 'approved'));
ALTER TABLE agencies DROP COLUMN objection_window_days;
