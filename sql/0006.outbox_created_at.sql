-- Freshness (GET /api/health, /metrics) looks up the oldest change newer than a moment.
-- Plain CREATE INDEX: MySQL 8 has no IF NOT EXISTS here, and yoyo applies a migration once.
-- depends: 0003.outbox
CREATE INDEX ix_outbox_created_at ON outbox (created_at);
