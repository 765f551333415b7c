"""Settings from the environment: defaults, broker URLs, the ClickHouse mode."""

import pytest
from pydantic import ValidationError

from ecommerce_stream.settings import Settings


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
