-- Applied by the embedded engine only (chDB on a local disk), after the files above, on every
-- start; only parts written from then on change. Every sink insert makes a small part in the
-- ledger and in each table a view feeds (docs/benchmarks.md, "The sink's inserts"):
-- * Parts under 10 MiB (PACKED_PART_MAX_BYTES) are one file each (Packed storage) instead of
--   about ten: ext4 spent more CPU allocating and freeing their inodes than the engine spent
--   on the rows. Parts that merging grows past it are written in full, as before.
-- * merge_selector_base 10 (ClickHouse's default is 5): the default merged every few new parts into the table's biggest part, rewriting all of it
--   about once a second per table, which took 40 % of a core at 50 orders/s on a store of
--   20,000 orders. Now small parts merge among themselves first; a table keeps a few more.
ALTER TABLE ${database}.order_changes MODIFY SETTING
    min_bytes_for_full_part_storage = ${packed_part_max_bytes}, merge_selector_base = 10;
ALTER TABLE ${database}.orders_analytics MODIFY SETTING
    min_bytes_for_full_part_storage = ${packed_part_max_bytes}, merge_selector_base = 10;
ALTER TABLE ${database}.sales_rollups MODIFY SETTING
    min_bytes_for_full_part_storage = ${packed_part_max_bytes}, merge_selector_base = 10;
ALTER TABLE ${database}.user_analytics MODIFY SETTING
    min_bytes_for_full_part_storage = ${packed_part_max_bytes}, merge_selector_base = 10;
ALTER TABLE ${database}.schema_settings MODIFY SETTING
    min_bytes_for_full_part_storage = ${packed_part_max_bytes};
