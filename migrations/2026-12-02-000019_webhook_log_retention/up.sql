-- Settled deliveries (delivered or given up) are kept for a while, then pruned by the deliverer
-- (kinerja_domain::webhooks::DELIVERY_LOG_KEPT); this index finds the old ones.
CREATE INDEX webhook_deliveries_settled_idx ON webhook_deliveries (created_at) WHERE state <> 'pending';
