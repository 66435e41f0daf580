ALTER TABLE audit_events DROP COLUMN acting_for;
DROP TABLE acting_officials;
