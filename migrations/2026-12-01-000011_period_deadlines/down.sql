ALTER TABLE periods
    DROP COLUMN rating_due,
    DROP COLUMN evaluation_due,
    DROP COLUMN planning_due,
    DROP COLUMN status_reason,
    DROP COLUMN status;
