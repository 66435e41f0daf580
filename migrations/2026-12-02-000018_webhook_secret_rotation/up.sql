-- Rotating a webhook's secret: for a while after, each delivery is signed with the new secret and
-- the one it replaced (Standard Webhooks: several signatures, space-separated), so a receiver
-- can switch to the new one without refusing a single delivery.
ALTER TABLE webhook_endpoints
    ADD COLUMN previous_secret text,
    ADD COLUMN previous_secret_expires_at timestamptz;
