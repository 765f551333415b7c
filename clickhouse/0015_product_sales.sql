-- Live orders per product: the store-wide distinct product count.
CREATE TABLE IF NOT EXISTS ${database}.product_sales
(
    product_id  UInt32,
    order_count Int64
)
ENGINE = SummingMergeTree
ORDER BY product_id
