-- An audit event is stamped when it is written, not when its transaction began: a transaction
-- that records several acts, or waits on a lock before it writes, orders them as they happened.
ALTER TABLE audit_events ALTER COLUMN at SET DEFAULT clock_timestamp();
