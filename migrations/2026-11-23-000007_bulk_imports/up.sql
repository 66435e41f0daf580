-- Bulk imports: the answers remembered per Idempotency-Key, so a retried upload replays the
-- first answer instead of importing twice.

CREATE TABLE idempotency_keys (
    actor_id     uuid NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    -- SHA-256 of what was asked: method, path, query and body.
    fingerprint  bytea NOT NULL,
    status       smallint NOT NULL,
    answer       jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- The fields that differ between two versions of a record, as {field: {"old": …, "new": …}}:
-- the shape of audit_events.changes written by the API (kinerja-store audit::changes), for
-- events written in bulk by SQL. A creation diffs against NULL.
CREATE FUNCTION audit_changes(old jsonb, new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(k, jsonb_build_object('old', coalesce(old -> k, 'null'), 'new', coalesce(new -> k, 'null'))), '{}')
    FROM (SELECT jsonb_object_keys(coalesce(old, '{}')) UNION SELECT jsonb_object_keys(coalesce(new, '{}'))) AS keys (k)
    WHERE k NOT IN ('created_at', 'updated_at')
      AND coalesce(old -> k, 'null') IS DISTINCT FROM coalesce(new -> k, 'null')
$$;
