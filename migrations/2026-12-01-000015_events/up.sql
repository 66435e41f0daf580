-- The transactional outbox (kinerja_domain::events): an event is written in the transaction of
-- the act it reports. Readers page by (tx, id) and read only below the oldest transaction still
-- running, so an event committed late with a smaller id is never skipped.
CREATE TABLE events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stable across retries and replays (the audit event's id).
    event_id     uuid NOT NULL UNIQUE,
    event_type   text NOT NULL,
    agency_id    uuid NOT NULL REFERENCES agencies (id),
    subject_id   uuid,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    data         jsonb NOT NULL,
    -- The writing transaction's id (xid8 as a number): events are read in its order.
    tx           bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint)
);
CREATE INDEX events_order_idx ON events (tx, id);
CREATE INDEX events_agency_order_idx ON events (agency_id, tx, id);
