-- Per customer and order: counts and sums, and (rows with live > 0) first and last order times.
CREATE TABLE IF NOT EXISTS ${database}.user_analytics
(
    user_id     UInt64,
    created_at  DateTime64(6, 'UTC'),
    order_id    String,
    live        Int64,
    total_spent Decimal(38, 2)
)
ENGINE = SummingMergeTree
ORDER BY (user_id, created_at, order_id)
