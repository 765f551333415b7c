"""The one place that reads configuration: environment variables and `.env`."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, StringConstraints, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# A TCP port: 0 would mean "any free port", which nothing here can use.
Port = Annotated[int, Field(ge=1, le=65535)]


class Role(StrEnum):
    """What a worker process does; `ROLES` chooses (docs/operations.md shows the layouts)."""

    API = "api"  # the HTTP API and pages: orders, admin, catalog, analytics, health
    RELAY = "relay"  # the outbox relay, its audit and cleanup (the group's leader only)
    TRANSFORM = "transform"  # order.events -> orders_analytics
    SINK = "sink"  # orders_analytics -> ClickHouse; with chDB, the owner of its directory


ALL_ROLES = frozenset(Role)
FAUST_FETCH_MAX_WAIT_MS = 1500
# Roles that consume or lead in the stream consumer group; a process with none of them stays
# out of it, so that it can never be the group's leader (whose relay it would not run).
STREAM_ROLES = frozenset({Role.RELAY, Role.TRANSFORM, Role.SINK})


# What names an admin (X-Admin-Id, ADMIN_TOKEN_HASHES): printable ASCII without leading or
# trailing blanks; 100 is the width of orders.deleted_by.
ADMIN_ID_PATTERN = r"^[!-~](?:[ -~]*[!-~])?$"
AdminName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=ADMIN_ID_PATTERN)
]
# The SHA-256 of an admin's bearer token, in lowercase hex (`ecommerce-stream admin-token`).
TokenHash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class Settings(BaseSettings):
    """Every knob of the service; names match SPEC §7 and `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: str = Field("development", description="`production` enforces secrets.")
    roles: str = Field(
        "all",
        description="Comma-separated roles this process runs (api, relay, transform, sink),"
        " or `all`: one process that does everything.",
    )
    stream_url: str = Field(
        "",
        description="Base URL of a worker running the sink (http://host:port). An API process"
        " without ClickHouse of its own (embedded chDB elsewhere) forwards analytics reads"
        " there and takes the pipeline figures of its health report from there.",
    )
    nice: int = Field(
        0,
        ge=0,
        le=19,
        description="How much this process yields the CPU to others (Unix nice, 0-19). A stream"
        " worker sharing its machine with an API process runs at 10 (make run, the benchmark):"
        " its work can wait a few milliseconds, a customer's order should not.",
    )
    port: Port = 3000

    mysql_host: str = "127.0.0.1"
    mysql_port: Port = 3307
    mysql_user: str = "ecommerce"
    mysql_password: SecretStr = SecretStr("ecommerce")
    mysql_database: str = "ecommerce"
    mysql_pool_size: int = Field(20, ge=1)

    kafka_brokers: str = "127.0.0.1:9092"
    kafka_client_id: str = "ecommerce-stream"
    kafka_consumer_group_id: str = "order-event-transformer"
    kafka_topic_partitions: int = Field(3, ge=1)
    kafka_replication_factor: int = Field(1, ge=1)
    # How long a stream worker's consumer fetch may wait at the broker (Faust's own: 1500; see
    # stores/kafka.py). An API process consumes nothing, and keeps Faust's.
    kafka_fetch_max_wait_ms: int = Field(500, ge=1, le=1500)
    kafka_producer_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds Kafka has to acknowledge a record Faust's producer sends (a"
        " transformer row, a changelog entry) before the send fails and is retried by the app"
        " (Faust's own default: 20 minutes).",
    )
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

    sink_batch_size: int = Field(1000, ge=1, description="Most rows in one ClickHouse insert.")
    sink_batch_seconds: float = Field(
        0.08,
        gt=0,
        description="Least time between the starts of two ClickHouse inserts: rows that arrive"
        " sooner go in together with the next one (analytics/sink.py).",
    )

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
    admin_token_hashes: dict[AdminName, list[TokenHash]] = Field(
        default_factory=dict,
        description="Named admins, as JSON: each name with the SHA-256 of each of its bearer"
        " tokens (several allow a rotation). Such a token acts as its admin alone.",
    )
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

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        names = {name.strip().lower() for name in value.split(",") if name.strip()}
        unknown = names - {role.value for role in Role} - {"all"}
        if unknown or not names:
            known = ", ".join(role.value for role in Role)
            raise ValueError(f"ROLES takes `all` or some of {known}; got {value!r}")
        return ",".join(sorted(names))

    @model_validator(mode="after")
    def _the_audit_reads_the_ledger(self) -> Settings:
        if Role.RELAY in self.role_set and self.outbox_audit and not self.reads_clickhouse:
            raise ValueError(
                "the outbox audit of the relay role reads the ClickHouse ledger: with the"
                " embedded chDB run the relay in the process that runs the sink, or set"
                " CLICKHOUSE_HOST to a server (OUTBOX_AUDIT=false turns the audit off)"
            )
        return self

    @model_validator(mode="after")
    def _analytics_reads_have_a_clickhouse(self) -> Settings:
        if Role.API in self.role_set and not self.reads_clickhouse and not self.stream_url:
            raise ValueError(
                "an API process without the sink role has no embedded chDB of its own: set"
                " STREAM_URL to a worker that runs the sink, or CLICKHOUSE_HOST to a server"
            )
        return self

    @field_validator("admin_token_hashes")
    @classmethod
    def _one_admin_per_token(cls, admins: dict[str, list[str]]) -> dict[str, list[str]]:
        hashes = [digest for digests in admins.values() for digest in digests]
        if len(set(hashes)) < len(hashes):
            raise ValueError("a token hash is listed twice: a token acts for one admin only")
        if any(not digests for digests in admins.values()):
            raise ValueError("every admin needs at least one token hash")
        return admins

    @model_validator(mode="after")
    def _production_needs_an_admin_token(self) -> Settings:
        has_admins = self.admin_token.get_secret_value() or self.admin_token_hashes
        if self.environment == "production" and not has_admins:
            raise ValueError(
                "ADMIN_TOKEN or ADMIN_TOKEN_HASHES must be set when ENVIRONMENT=production"
            )
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

    @property
    def role_set(self) -> frozenset[Role]:
        names = self.roles.split(",")
        return ALL_ROLES if "all" in names else frozenset(Role(name) for name in names)

    @property
    def reads_clickhouse(self) -> bool:
        """Whether this process queries ClickHouse itself: a server anyone may read, or the
        embedded chDB, which belongs to the process that runs the sink."""
        return self.clickhouse_is_server or Role.SINK in self.role_set

    @property
    def joins_stream_group(self) -> bool:
        return bool(self.role_set & STREAM_ROLES)

    @property
    def consumer_fetch_max_wait_ms(self) -> int:
        """A stream worker's fetch waits briefly (stores/kafka.py says why); an API process
        reads nothing in its group, and waits as long as Faust lets it."""
        return self.kafka_fetch_max_wait_ms if self.joins_stream_group else FAUST_FETCH_MAX_WAIT_MS

    @property
    def stands_for_leader(self) -> bool:
        """Whether the process takes part in its group's leader election. In the stream group
        only relay processes do: the leader relays, so a member without the relay role must
        never be elected (Faust elects among the members that read its leader topic)."""
        return Role.RELAY in self.role_set or not self.joins_stream_group

    @property
    def faust_app_id(self) -> str:
        """The stream consumer group, or, for API-only processes, a group of their own (Faust
        always joins one): they must never lead the stream group."""
        group = self.kafka_consumer_group_id
        return group if self.joins_stream_group else f"{group}-api"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
