-- Per day and customer, so that unique customers per day stay exact under retractions.
CREATE TABLE IF NOT EXISTS ${database}.daily_sales
(
    day         Date,
    user_id     UInt64,
    order_count Int64,
    revenue     Decimal(38, 2)
)
ENGINE = SummingMergeTree
ORDER BY (day, user_id)
