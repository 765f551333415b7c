-- One row per order version (SPEC §5). ReplacingMergeTree keeps the highest `version` of each
-- order and, with `is_deleted`, lets FINAL drop orders whose newest version is a soft delete.
-- Soft-deleted rows expire SOFT_DELETE_RETENTION_DAYS after `deleted_at`, as MySQL's purge-deleted
-- does: the TTL is set by 0011_orders_analytics_ttl.sql, on every start.
CREATE TABLE IF NOT EXISTS ${database}.orders_analytics
(
    order_id       String,
    user_id        UInt64,
    user_name      String,
    status         LowCardinality(String),
    total_amount   Decimal(12, 2),
    item_count     UInt32,
    product_ids    Array(UInt32),
    created_at     DateTime64(6, 'UTC'),
    updated_at     DateTime64(6, 'UTC'),
    event_type     LowCardinality(String),
    is_deleted     UInt8,
    deleted_at     Nullable(DateTime64(6, 'UTC')),
    version        UInt64,
    payment_method Nullable(String),
    payment_status Nullable(String),
    ingested_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY order_id
