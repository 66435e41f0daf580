-- Webhooks (Standard Webhooks): an agency's endpoints, and one delivery per event and endpoint,
-- written by the outbox in the transaction of the act (kinerja_store::outbox), so a change
-- rolled back is never sent. Deliverers claim due deliveries with FOR UPDATE SKIP LOCKED and
-- a lease (next_attempt_at moved past the send's timeout), so several servers never send one
-- delivery at the same moment, and one that dies mid-send is retried by another.
CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,
    agency_id       uuid NOT NULL REFERENCES agencies (id),
    url             text NOT NULL,
    description     text NOT NULL DEFAULT '',
    -- Empty: every event type.
    event_types     text[] NOT NULL DEFAULT '{}',
    -- The signing key, base64 (shown as whsec_… once, at creation).
    secret          text NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    -- Since when every delivery has failed (none: the last one succeeded).
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_agency_idx ON webhook_endpoints (agency_id, id);

CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    agency_id       uuid NOT NULL REFERENCES agencies (id),
    event_id        uuid NOT NULL REFERENCES events (event_id),
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    -- When it is due; while a deliverer sends it, the end of that deliverer's lease.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    -- The receiver's HTTP status, or why there was none.
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (endpoint_id, id DESC);
