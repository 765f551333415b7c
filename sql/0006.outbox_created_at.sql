-- Freshness (GET /api/health, /metrics) looks up the oldest change newer than a moment.
-- depends: 0003.outbox
CREATE INDEX IF NOT EXISTS ix_outbox_created_at ON outbox (created_at);
