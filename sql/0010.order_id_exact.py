"""Order ids compare exactly: under the tables' collation (utf8mb4_unicode_ci, PAD SPACE) an
upper-case id, or one with trailing spaces, found the order, and a change made through such a
spelling reached the events under that spelling. Every column holding an order id now uses a
binary NO PAD collation, which MariaDB and MySQL name differently (ascii_bin would still ignore
trailing spaces), and orders.id only takes the canonical lowercase UUID."""

from typing import Any

from yoyo import step

__depends__ = {"0002.orders", "0003.outbox", "0004.idempotency", "0005.admin_audit"}

# (table, column, type) of every column that holds an order id.
ORDER_ID_COLUMNS = [
    ("orders", "id", "CHAR(36)"),
    ("order_items", "order_id", "CHAR(36)"),
    ("idempotency_keys", "order_id", "CHAR(36)"),
    ("admin_audit", "order_id", "CHAR(36)"),
    ("outbox", "aggregate_id", "VARCHAR(64)"),
]
# A referencing column cannot change collation under its foreign key: dropped and made again.
FOREIGN_KEYS = [
    ("order_items", "fk_order_items_order", "order_id"),
    ("idempotency_keys", "fk_idempotency_order", "order_id"),
]
CANONICAL_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def exact_order_ids(connection: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("SELECT VERSION()")
    (version,) = cursor.fetchone()
    collation = "utf8mb4_nopad_bin" if "MariaDB" in version else "utf8mb4_0900_bin"
    for table, name, _ in FOREIGN_KEYS:
        cursor.execute(f"ALTER TABLE {table} DROP FOREIGN KEY {name}")
    for table, column, kind in ORDER_ID_COLUMNS:
        cursor.execute(
            f"ALTER TABLE {table} MODIFY {column} {kind}"
            f" CHARACTER SET utf8mb4 COLLATE {collation} NOT NULL"
        )
    for table, name, column in FOREIGN_KEYS:
        cursor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column})"
            " REFERENCES orders (id) ON DELETE CASCADE"
        )
    cursor.execute(
        f"ALTER TABLE orders ADD CONSTRAINT ck_orders_id CHECK (id REGEXP '{CANONICAL_UUID}')"
    )


step(exact_order_ids)
