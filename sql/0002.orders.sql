-- Orders and their lines; `version` counts every change and orders events downstream.
-- depends: 0001.catalog
CREATE TABLE IF NOT EXISTS orders (
    id               CHAR(36)      NOT NULL PRIMARY KEY,
    user_id          INT UNSIGNED  NOT NULL,
    status           VARCHAR(16)   NOT NULL,
    total_amount     DECIMAL(12,2) NOT NULL,
    shipping_address VARCHAR(500)  NOT NULL,
    version          INT UNSIGNED  NOT NULL DEFAULT 1,
    created_at       DATETIME(6)   NOT NULL,
    updated_at       DATETIME(6)   NOT NULL,
    deleted_at       DATETIME(6)   NULL,
    deleted_by       VARCHAR(100)  NULL,
    KEY ix_orders_user_created (user_id, created_at),
    KEY ix_orders_deleted_at (deleted_at),
    CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT ck_orders_status CHECK (status IN ('PENDING', 'CONFIRMED', 'PROCESSING',
        'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED', 'FAILED', 'COMPLETED')),
    CONSTRAINT ck_orders_total CHECK (total_amount >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS order_items (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id    CHAR(36)        NOT NULL,
    product_id  INT UNSIGNED    NOT NULL,
    quantity    INT UNSIGNED    NOT NULL,
    price       DECIMAL(12,2)   NOT NULL,
    KEY ix_order_items_order (order_id),
    CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT fk_order_items_product FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT ck_order_items_quantity CHECK (quantity BETWEEN 1 AND 1000),
    CONSTRAINT ck_order_items_price CHECK (price >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
