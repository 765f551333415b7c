-- The outbox audit's bookmark (ecommerce_stream/outbox/audit.py): every outbox row processed
-- up to (checked_at, checked_id) was found in ClickHouse, or relayed again. One row, id 1,
-- starting now: rows processed from here on are audited.
-- depends: 0003.outbox
CREATE TABLE IF NOT EXISTS outbox_audit (
    id         TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    checked_at DATETIME(6)      NOT NULL,
    checked_id BIGINT UNSIGNED  NOT NULL
);
INSERT IGNORE INTO outbox_audit (id, checked_at, checked_id) VALUES (1, UTC_TIMESTAMP(6), 0);
