CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.product_sales_mv
TO ${database}.product_sales
AS SELECT
    arrayJoin(product_ids) AS product_id,
    sum(sign) AS order_count
FROM ${database}.order_changes
WHERE sign != 0
GROUP BY product_id
