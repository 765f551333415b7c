-- Each signed ledger row adds to one row per grain (one per product for `product`):
--   customer_day  (day, user_id)    daily orders, revenue and unique customers, exact under
--                                   retractions
--   hour          (hour)            hourly orders and revenue
--   status_day    (day, status)     a status change retracts the order from its old status
--   customer      (user_id)         a customer's totals, and the store's customer count
--   product       (product_id)      live orders per product, the store's product count
-- `amount` is the sign-weighted order total (unused by `product`).
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.sales_rollups_mv
TO ${database}.sales_rollups
AS SELECT
    tupleElement(key, 1) AS grain,
    tupleElement(key, 2) AS day,
    tupleElement(key, 3) AS hour,
    tupleElement(key, 4) AS status,
    tupleElement(key, 5) AS user_id,
    tupleElement(key, 6) AS product_id,
    sum(sign) AS order_count,
    sum(sign * total_amount) AS amount
FROM (
    SELECT
        sign,
        total_amount,
        arrayJoin(arrayConcat(
            [
                ('customer_day', toDate(created_at, '${tz}'), toDateTime(0, '${tz}'), '',
                 user_id, toUInt32(0)),
                ('hour', toDate(0), toStartOfHour(created_at, '${tz}'), '', toUInt64(0),
                 toUInt32(0)),
                ('status_day', toDate(created_at, '${tz}'), toDateTime(0, '${tz}'),
                 toString(status), toUInt64(0), toUInt32(0)),
                ('customer', toDate(0), toDateTime(0, '${tz}'), '', user_id, toUInt32(0))
            ],
            arrayMap(
                product -> ('product', toDate(0), toDateTime(0, '${tz}'), '', toUInt64(0), product),
                product_ids
            )
        )) AS key
    FROM ${database}.order_changes
    WHERE sign != 0
)
GROUP BY grain, day, hour, status, user_id, product_id
