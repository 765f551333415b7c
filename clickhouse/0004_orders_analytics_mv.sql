-- The state rows of the ledger (sign >= 0) are the order versions.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.orders_analytics_mv
TO ${database}.orders_analytics
AS SELECT
    order_id, user_id, user_name, status, total_amount, item_count, product_ids, created_at,
    updated_at, event_type, is_deleted, deleted_at, version, payment_method, payment_status,
    applied_at AS ingested_at
FROM ${database}.order_changes
WHERE sign >= 0
