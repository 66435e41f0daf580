DROP FUNCTION audit_changes(jsonb, jsonb);
DROP TABLE idempotency_keys;
