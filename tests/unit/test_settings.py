"""Settings from the environment: defaults, broker URLs, the ClickHouse mode."""

import pytest
from pydantic import ValidationError

from ecommerce_stream.settings import ALL_ROLES, Role, Settings


@pytest.fixture(autouse=True)
def _no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test the settings' own defaults, not the profile that `make test` exports."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_defaults_follow_the_spec() -> None:
    settings = Settings(_env_file=None)
    assert settings.port == 3000
    assert settings.kafka_consumer_group_id == "order-event-transformer"
    assert settings.outbox_batch_size == 100
    assert settings.soft_delete_retention_days == 7
    assert settings.analytics_tz == "UTC"


def test_brokers_become_faust_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BROKERS", "a:9092, b:9094")
    assert Settings(_env_file=None).kafka_broker_urls == ["kafka://a:9092", "kafka://b:9094"]


@pytest.mark.parametrize(
    ("host", "is_server"),
    [("", False), ("http://clickhouse:8123", True), ("https://ch.example:8443", True)],
)
def test_clickhouse_mode(monkeypatch: pytest.MonkeyPatch, host: str, is_server: bool) -> None:
    monkeypatch.setenv("CLICKHOUSE_HOST", host)
    assert Settings(_env_file=None).clickhouse_is_server is is_server


def test_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANALYTICS_TZ", "Mars/Olympus")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_secrets_do_not_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_TOKEN", "s3cr3t-token")
    assert "s3cr3t-token" not in repr(Settings(_env_file=None))


def test_production_refuses_to_start_without_an_admin_token_or_with_open_status_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="ADMIN_TOKEN"):
        Settings(_env_file=None)
    monkeypatch.setenv("ADMIN_TOKEN", "a-long-random-token")
    assert Settings(_env_file=None).environment == "production"
    monkeypatch.setenv("STATUS_CHANGES_NEED_TOKEN", "false")
    with pytest.raises(ValidationError, match="STATUS_CHANGES_NEED_TOKEN"):
        Settings(_env_file=None)


def test_an_empty_fault_injection_dir_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAULT_INJECTION_DIR", "")
    assert Settings(_env_file=None).fault_injection_dir is None


@pytest.mark.parametrize("roles", ["api,cache", "", " , ", "everything"])
def test_an_unknown_or_empty_role_is_refused(monkeypatch: pytest.MonkeyPatch, roles: str) -> None:
    monkeypatch.setenv("ROLES", roles)
    with pytest.raises(ValidationError, match="ROLES takes `all` or some of api, relay"):
        Settings(_env_file=None)


def test_an_api_process_on_the_embedded_chdb_needs_a_stream_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROLES", "api")
    with pytest.raises(ValidationError, match="set STREAM_URL to a worker that runs the sink"):
        Settings(_env_file=None)
    monkeypatch.setenv("STREAM_URL", "http://stream:3000")
    assert Settings(_env_file=None).stream_url == "http://stream:3000"


@pytest.mark.parametrize("roles", ["api,sink", "all", "relay,transform,sink"])
def test_a_process_that_owns_chdb_or_serves_no_api_needs_no_stream_url(
    monkeypatch: pytest.MonkeyPatch, roles: str
) -> None:
    monkeypatch.setenv("ROLES", roles)
    assert Settings(_env_file=None).stream_url == ""


def test_an_api_process_reads_a_clickhouse_server_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLES", "api")
    monkeypatch.setenv("CLICKHOUSE_HOST", "http://clickhouse:8123")
    settings = Settings(_env_file=None)
    assert settings.reads_clickhouse and not settings.stream_url


@pytest.mark.parametrize(
    ("roles", "role_set"),
    [
        ("all", ALL_ROLES),
        ("api,all", ALL_ROLES),
        (" Relay , SINK,", {Role.RELAY, Role.SINK}),
        ("transform", {Role.TRANSFORM}),
        ("api,relay,transform,sink", ALL_ROLES),
    ],
)
def test_role_set(monkeypatch: pytest.MonkeyPatch, roles: str, role_set: set[Role]) -> None:
    monkeypatch.setenv("ROLES", roles)
    assert Settings(_env_file=None).role_set == role_set


@pytest.mark.parametrize(
    ("roles", "in_stream_group", "app_id"),
    [
        ("all", True, "shop"),
        ("relay,sink", True, "shop"),
        ("api,transform", True, "shop"),
        ("sink", True, "shop"),
        ("api", False, "shop-api"),
    ],
)
def test_only_processes_with_a_stream_role_join_the_stream_group(
    monkeypatch: pytest.MonkeyPatch, roles: str, in_stream_group: bool, app_id: str
) -> None:
    monkeypatch.setenv("ROLES", roles)
    monkeypatch.setenv("STREAM_URL", "http://stream:3000")
    monkeypatch.setenv("KAFKA_CONSUMER_GROUP_ID", "shop")
    settings = Settings(_env_file=None)
    assert settings.joins_stream_group is in_stream_group
    assert settings.faust_app_id == app_id


# Each bounded setting: values just outside its bounds (refused) and at them (accepted).
BOUNDS = [
    ("PORT", ["0", "65536", "-1"], ["1", "65535"]),
    ("MYSQL_PORT", ["0", "65536"], ["1", "65535"]),
    ("MYSQL_POOL_SIZE", ["0"], ["1"]),
    ("KAFKA_TOPIC_PARTITIONS", ["0"], ["1"]),
    ("KAFKA_REPLICATION_FACTOR", ["0"], ["1"]),
    ("KAFKA_FETCH_MAX_WAIT_MS", ["0", "1501"], ["1", "1500"]),
    ("OUTBOX_BATCH_SIZE", ["0", "10001"], ["1", "10000"]),
    ("SINK_BATCH_SIZE", ["0"], ["1"]),
    ("OUTBOX_POLLING_INTERVAL", ["0", "-0.5"], ["0.001"]),
    ("OUTBOX_AUDIT_INTERVAL", ["0"], ["0.001"]),
    ("SINK_BATCH_SECONDS", ["0"], ["0.001"]),
    ("SOFT_DELETE_RETENTION_DAYS", ["-1"], ["0"]),
]


@pytest.mark.parametrize(("name", "refused", "accepted"), BOUNDS, ids=[b[0] for b in BOUNDS])
def test_settings_are_checked_at_their_bounds(
    monkeypatch: pytest.MonkeyPatch, name: str, refused: list[str], accepted: list[str]
) -> None:
    for value in refused:
        monkeypatch.setenv(name, value)
        with pytest.raises(ValidationError, match=name.lower()):
            Settings(_env_file=None)
    for value in accepted:
        monkeypatch.setenv(name, value)
        assert getattr(Settings(_env_file=None), name.lower()) == float(value)


@pytest.mark.parametrize(
    ("roles", "stands"),
    [
        ("all", True),
        ("relay,transform,sink", True),
        ("relay,sink", True),
        ("transform,sink", False),
        ("sink", False),
        ("api", True),
    ],
)
def test_only_relay_processes_stand_for_the_stream_groups_leader(
    monkeypatch: pytest.MonkeyPatch, roles: str, stands: bool
) -> None:
    # An API-only process leads a group of its own, where it does nothing as leader.
    monkeypatch.setenv("ROLES", roles)
    monkeypatch.setenv("STREAM_URL", "http://stream:3000")
    assert Settings(_env_file=None).stands_for_leader is stands


def test_a_relay_without_clickhouse_needs_the_audit_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # The audit reads the ledger; with chDB only the sink's process can.
    monkeypatch.setenv("ROLES", "relay")
    with pytest.raises(ValidationError, match="outbox audit of the relay role reads"):
        Settings(_env_file=None)
    monkeypatch.setenv("OUTBOX_AUDIT", "false")
    assert not Settings(_env_file=None).reads_clickhouse
    monkeypatch.setenv("OUTBOX_AUDIT", "true")
    monkeypatch.setenv("CLICKHOUSE_HOST", "http://clickhouse:8123")
    assert Settings(_env_file=None).reads_clickhouse
