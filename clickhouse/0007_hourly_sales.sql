CREATE TABLE IF NOT EXISTS ${database}.hourly_sales
(
    hour        DateTime('${tz}'),
    order_count Int64,
    revenue     Decimal(38, 2)
)
ENGINE = SummingMergeTree
ORDER BY hour
