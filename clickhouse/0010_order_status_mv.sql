CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.order_status_mv
TO ${database}.order_status
AS SELECT
    toDate(created_at, '${tz}') AS day,
    status,
    sum(sign) AS order_count,
    sum(sign * total_amount) AS total_amount
FROM ${database}.order_changes
WHERE sign != 0
GROUP BY day, status
