-- Access tokens carry the user's session version; changing roles, agency, employee link,
-- password or the active flag, and logging out, bump it, so tokens issued before stop working.
ALTER TABLE users ADD COLUMN session_version integer NOT NULL DEFAULT 1;

-- Login throttling backs off from the last failure (no fixed window any more).
ALTER TABLE login_failures RENAME COLUMN window_started_at TO last_failed_at;
