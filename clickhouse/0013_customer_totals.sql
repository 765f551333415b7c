-- One row per customer: the store-wide customer count without scanning every order.
CREATE TABLE IF NOT EXISTS ${database}.customer_totals
(
    user_id     UInt64,
    order_count Int64,
    total_spent Decimal(38, 2)
)
ENGINE = SummingMergeTree
ORDER BY user_id
