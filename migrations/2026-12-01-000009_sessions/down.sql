ALTER TABLE login_failures RENAME COLUMN last_failed_at TO window_started_at;
ALTER TABLE users DROP COLUMN session_version;
