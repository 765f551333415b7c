CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.hourly_sales_mv
TO ${database}.hourly_sales
AS SELECT
    toStartOfHour(created_at, '${tz}') AS hour,
    sum(sign) AS order_count,
    sum(sign * total_amount) AS revenue
FROM ${database}.order_changes
WHERE sign != 0
GROUP BY hour
