CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.customer_totals_mv
TO ${database}.customer_totals
AS SELECT
    user_id,
    sum(sign) AS order_count,
    sum(sign * total_amount) AS total_spent
FROM ${database}.order_changes
WHERE sign != 0
GROUP BY user_id
