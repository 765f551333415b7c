-- Who changed what through /admin (and what `purge-deleted` removed): one row per change,
-- written in the transaction of the change. No foreign key: the trail outlives a purged order.
-- depends: 0002.orders
CREATE TABLE IF NOT EXISTS admin_audit (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    admin_id       VARCHAR(100) NOT NULL,
    action         VARCHAR(16)  NOT NULL,
    order_id       CHAR(36)     NOT NULL,
    -- The order's version after the change (for PURGE: the last version it had).
    order_version  INT UNSIGNED NOT NULL,
    created_at     DATETIME(6)  NOT NULL,
    KEY ix_admin_audit_order (order_id),
    KEY ix_admin_audit_admin (admin_id, created_at),
    CONSTRAINT ck_admin_audit_action CHECK (action IN ('DELETE', 'RESTORE', 'PURGE'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
