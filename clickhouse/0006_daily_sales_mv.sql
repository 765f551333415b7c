CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.daily_sales_mv
TO ${database}.daily_sales
AS SELECT
    toDate(created_at, '${tz}') AS day,
    user_id,
    sum(sign) AS order_count,
    sum(sign * total_amount) AS revenue
FROM ${database}.order_changes
WHERE sign != 0
GROUP BY day, user_id
