-- Every sum the analytics endpoints read except a customer's first and last order, in one
-- table: a `grain` says what a row is summed by, and the key columns a grain does not use hold
-- their type's zero (1970-01-01, '', 0). One table rather than one per grain because every
-- table a view feeds costs each sink insert a part, and later merges (docs/benchmarks.md).
CREATE TABLE IF NOT EXISTS ${database}.sales_rollups
(
    grain       Enum8('customer_day' = 1, 'hour' = 2, 'status_day' = 3, 'customer' = 4,
                      'product' = 5),
    day         Date,
    hour        DateTime('${tz}'),
    status      LowCardinality(String),
    user_id     UInt64,
    product_id  UInt32,
    order_count Int64,
    amount      Decimal(38, 2)
)
ENGINE = SummingMergeTree
ORDER BY (grain, day, hour, status, user_id, product_id)
