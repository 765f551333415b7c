"""Applies the MySQL schema in `sql/` with yoyo-migrations, which records what ran."""

from __future__ import annotations

from urllib.parse import quote

from yoyo import get_backend, read_migrations

from ecommerce_stream.settings import PROJECT_ROOT, Settings

SQL_DIR = PROJECT_ROOT / "sql"


def apply_mysql_migrations(settings: Settings) -> list[str]:
    """Apply what has not run yet, under yoyo's lock; returns the ids applied now."""
    password = quote(settings.mysql_password.get_secret_value(), safe="")
    backend = get_backend(
        f"mysql://{quote(settings.mysql_user, safe='')}:{password}@{settings.mysql_host}:"
        f"{settings.mysql_port}/{settings.mysql_database}"
    )
    migrations = read_migrations(str(SQL_DIR))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [migration.id for migration in pending]
