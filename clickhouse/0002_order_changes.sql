-- The ledger: every applied order version as signed rows. A new version writes -1 for the
-- previous live state (its retraction) and +1 for the new live state; a deleted state is a
-- sign 0 row. Summing sign-weighted values over it gives exactly the live orders (README.md).
-- It is the source of every materialized view below, and the sink's memory of what it applied.
CREATE TABLE IF NOT EXISTS ${database}.order_changes
(
    order_id       String,
    version        UInt64,
    sign           Int8,
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
    payment_method Nullable(String),
    payment_status Nullable(String),
    applied_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (order_id, version, sign)
