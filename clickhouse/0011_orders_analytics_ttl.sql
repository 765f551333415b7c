-- Soft-deleted rows expire ${retention_days} days (SOFT_DELETE_RETENTION_DAYS) after `deleted_at`,
-- as MySQL's purge-deleted does. Applied on every start, so a changed setting reaches an existing
-- table too. Only the table's metadata changes (no rewrite of its parts): rows past the new TTL
-- go at their part's next merge.
ALTER TABLE ${database}.orders_analytics
    MODIFY TTL toDateTime(ifNull(deleted_at, toDateTime64('2106-01-01 00:00:00', 6, 'UTC')))
        + INTERVAL ${retention_days} DAY DELETE WHERE is_deleted = 1
    SETTINGS materialize_ttl_after_modify = 0
