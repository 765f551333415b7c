-- Settings the aggregates were built with (the bucketing time zone): a change rebuilds them.
CREATE TABLE IF NOT EXISTS ${database}.schema_settings
(
    name       String,
    value      String,
    changed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(changed_at)
ORDER BY name
