-- Idempotency-Key of POST /api/orders: a retry returns the first order instead of a new one.
-- depends: 0002.orders
CREATE TABLE IF NOT EXISTS idempotency_keys (
    idempotency_key VARCHAR(255) NOT NULL PRIMARY KEY,
    request_hash    CHAR(64)     NOT NULL,
    order_id        CHAR(36)     NOT NULL,
    created_at      DATETIME(6)  NOT NULL,
    CONSTRAINT fk_idempotency_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
