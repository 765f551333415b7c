"""How rebuild-analytics names MySQL to ClickHouse: its `mysql()` calls carry the password, so
whatever quotes them (a ClickHouse error does) is redacted before it is shown."""

from __future__ import annotations

from ecommerce_stream.analytics.schema import MySQLSource

SOURCE = MySQLSource("db.internal:3306", "shop", "reader", "s3cr3t-'pass")


def test_the_table_function_carries_the_password_quoted() -> None:
    assert SOURCE.table("orders") == (
        "mysql('db.internal:3306', 'shop', 'orders', 'reader', 's3cr3t-\\'pass')"
    )


def test_an_error_quoting_the_query_is_shown_without_the_password() -> None:
    error = f"Code: 62. Syntax error in SELECT count() FROM {SOURCE.table('orders')}"
    shown = SOURCE.redact(error)
    assert "s3cr3t" not in shown
    assert shown.startswith("Code: 62. Syntax error") and "'reader'" in shown


def test_no_password_redacts_nothing() -> None:
    without = MySQLSource("db:3306", "shop", "reader", "")
    assert without.redact("anything 'quoted'") == "anything 'quoted'"
