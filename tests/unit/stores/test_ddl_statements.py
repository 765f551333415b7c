"""A DDL file's statements: one per `;` line end, comments kept with the statement below them."""

from __future__ import annotations

from ecommerce_stream.stores.clickhouse import DDL_DIR, sql_statements


def test_a_file_without_semicolons_is_one_statement() -> None:
    assert sql_statements("-- why\nCREATE TABLE t (a UInt8)\nENGINE = Memory\n") == [
        "-- why\nCREATE TABLE t (a UInt8)\nENGINE = Memory"
    ]


def test_statements_end_at_a_semicolon_that_ends_a_line() -> None:
    text = "DROP VIEW IF EXISTS a;\nSELECT 'x;y';  \n-- last\nDROP TABLE b;\n"

    assert sql_statements(text) == [
        "DROP VIEW IF EXISTS a",
        "SELECT 'x;y'",
        "-- last\nDROP TABLE b",
    ]


def test_every_project_ddl_file_has_a_statement_in_each_part() -> None:
    for path in [*DDL_DIR.glob("*.sql"), *DDL_DIR.glob("*/*.sql")]:
        for statement in sql_statements(path.read_text()):
            code = [line for line in statement.splitlines() if not line.startswith("--")]
            assert "".join(code).strip(), f"{path.name} has a part with no statement"
