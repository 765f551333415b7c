CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.user_analytics_mv
TO ${database}.user_analytics
AS SELECT
    user_id,
    created_at,
    order_id,
    sum(sign) AS live,
    sum(sign * total_amount) AS total_spent
FROM ${database}.order_changes
WHERE sign != 0
GROUP BY user_id, created_at, order_id
