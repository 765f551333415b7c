-- One row per order version (SPEC §5). ReplacingMergeTree keeps the highest `version` of each
-- order and, with `is_deleted`, lets FINAL drop orders whose newest version is a soft delete.
-- Soft-deleted rows expire 7 days after `deleted_at`, as MySQL's purge-deleted does.
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
TTL toDateTime(ifNull(deleted_at, toDateTime64('2106-01-01 00:00:00', 6, 'UTC'))) + INTERVAL 7 DAY
    DELETE WHERE is_deleted = 1
