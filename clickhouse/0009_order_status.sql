-- Per day and status: a status change retracts the order from its old status.
CREATE TABLE IF NOT EXISTS ${database}.order_status
(
    day          Date,
    status       LowCardinality(String),
    order_count  Int64,
    total_amount Decimal(38, 2)
)
ENGINE = SummingMergeTree
ORDER BY (day, status)
