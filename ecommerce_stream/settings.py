"""The one place that reads configuration: environment variables and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of the service; names match SPEC §7 and `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: str = Field("development", description="`production` enforces secrets.")
    port: int = Field(3000, ge=1, le=65535)

    mysql_host: str = "127.0.0.1"
    mysql_port: int = 3307
    mysql_user: str = "ecommerce"
    mysql_password: SecretStr = SecretStr("ecommerce")
    mysql_database: str = "ecommerce"
    mysql_pool_size: int = Field(20, ge=1)

    kafka_brokers: str = "127.0.0.1:9092"
    kafka_client_id: str = "ecommerce-stream"
    kafka_consumer_group_id: str = "order-event-transformer"
    kafka_topic_partitions: int = Field(3, ge=1)
    kafka_replication_factor: int = Field(1, ge=1)
    # How long a consumer fetch may wait at the broker (Faust's own: 1500; see stores/kafka.py).
    kafka_fetch_max_wait_ms: int = Field(100, ge=1, le=1500)
    kafka_group_instance_id: str = Field(
        "",
        max_length=249,
        description="Static group membership (one id per worker): a worker restarted within"
        " the session timeout gets its partitions back without a rebalance. Empty: dynamic.",
    )

    clickhouse_host: str = ""
    clickhouse_user: str = "default"
    clickhouse_password: SecretStr = SecretStr("")
    clickhouse_database: str = "analytics"
    clickhouse_data_dir: Path = PROJECT_ROOT / ".stack" / "run" / "chdb"

    faust_data_dir: Path = PROJECT_ROOT / ".stack" / "run" / "faust"

    outbox_batch_size: int = Field(100, ge=1, le=10_000)
    outbox_polling_interval: float = Field(1.0, gt=0)
    outbox_wake_up: bool = Field(True, description="Relay right after each commit.")
    outbox_audit: bool = Field(
        True,
        description="Check that relayed events reached ClickHouse, relay again any that did not.",
    )
    outbox_audit_interval: float = Field(
        5.0, gt=0, description="Seconds between checks that relayed events reached ClickHouse."
    )

    sink_batch_size: int = Field(1000, ge=1)
    sink_batch_seconds: float = Field(0.05, gt=0)

    push_max_channels: int = Field(
        500,
        ge=0,
        description="Live-update channels (dashboards) one process keeps open; more are refused"
        " with 503 and poll instead.",
    )
    push_min_interval: float = Field(
        0.2,
        gt=0,
        le=10,
        description="Seconds between two messages to one dashboard: changes in between are"
        " coalesced into the next.",
    )

    fault_injection_dir: Path | None = Field(
        None,
        description="Drills only: while <dir>/clickhouse-inserts exists, ClickHouse inserts fail.",
    )

    admin_token: SecretStr = SecretStr("")
    service_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token of trusted services (load generators, back offices): may"
        " change an order's status and create orders in any status, as ADMIN_TOKEN may.",
    )
    status_changes_need_token: bool = Field(
        True,
        description="false lets anyone change an order's status or create one in any status:"
        " for a demo only (refused with ENVIRONMENT=production).",
    )
    soft_delete_retention_days: int = Field(7, ge=0)
    analytics_tz: str = "UTC"

    @field_validator("fault_injection_dir", mode="before")
    @classmethod
    def _empty_means_off(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("analytics_tz")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)  # fail at start-up rather than on every analytics query
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _production_needs_an_admin_token(self) -> Settings:
        if self.environment == "production" and not self.admin_token.get_secret_value():
            raise ValueError("ADMIN_TOKEN must be set when ENVIRONMENT=production")
        if self.environment == "production" and not self.status_changes_need_token:
            raise ValueError("STATUS_CHANGES_NEED_TOKEN=false is for demos, not production")
        return self

    @property
    def kafka_broker_urls(self) -> list[str]:
        """Faust wants `kafka://host:port` URLs, one per bootstrap broker."""
        return [f"kafka://{hostport.strip()}" for hostport in self.kafka_brokers.split(",")]

    @property
    def clickhouse_is_server(self) -> bool:
        return self.clickhouse_host.startswith(("http://", "https://"))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
