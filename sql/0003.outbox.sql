-- Transactional outbox: written in the same transaction as the order change it describes.
-- depends: 0002.orders
CREATE TABLE IF NOT EXISTS outbox (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id        CHAR(36)     NOT NULL,
    aggregate_type  VARCHAR(32)  NOT NULL,
    aggregate_id    VARCHAR(64)  NOT NULL,
    event_type      VARCHAR(32)  NOT NULL,
    payload         JSON         NOT NULL,
    created_at      DATETIME(6)  NOT NULL,
    processed       BOOLEAN      NOT NULL DEFAULT FALSE,
    processed_at    DATETIME(6)  NULL,
    attempts        INT UNSIGNED NOT NULL DEFAULT 0,
    last_error      TEXT         NULL,
    -- Backoff after a failed publish: the relay skips a row until this moment.
    available_at    DATETIME(6)  NOT NULL,
    UNIQUE KEY uq_outbox_event_id (event_id),
    -- The relay's scan: unprocessed rows in id order, without touching processed ones.
    KEY ix_outbox_pending (processed, id),
    KEY ix_outbox_processed_at (processed_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
