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

