"""docker-compose.yml cannot run here, so this keeps it honest: the app service sets every
setting the code reads, and hosts, ports, credentials and topics agree across services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from ecommerce_stream.settings import PROJECT_ROOT, Settings
from ecommerce_stream.topics import ORDER_EVENTS, ORDER_EVENTS_DLQ, ORDERS_ANALYTICS

SETTING_NAMES = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    return document


@pytest.fixture(scope="module")
def app_env(compose: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in compose["services"]["app"]["environment"].items()}


def test_app_sets_every_setting_and_nothing_unknown(app_env: dict[str, str]) -> None:
    assert set(app_env) == SETTING_NAMES


def test_env_example_lists_every_setting() -> None:
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert names == SETTING_NAMES


def test_app_settings_validate(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in app_env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.environment == "production"
    assert settings.clickhouse_is_server
    assert settings.kafka_replication_factor == 3
    assert settings.admin_token.get_secret_value()


def test_mysql_host_and_credentials_agree(compose: dict[str, Any], app_env: dict[str, str]) -> None:
    mysql = compose["services"][app_env["MYSQL_HOST"]]
    assert mysql["image"].startswith("mysql:8")
    assert mysql["environment"]["MYSQL_DATABASE"] == app_env["MYSQL_DATABASE"]
    assert mysql["environment"]["MYSQL_USER"] == app_env["MYSQL_USER"]
    assert mysql["environment"]["MYSQL_PASSWORD"] == app_env["MYSQL_PASSWORD"]
    assert app_env["MYSQL_PORT"] == "3306"


def test_kafka_brokers_are_the_three_kraft_nodes(
    compose: dict[str, Any], app_env: dict[str, str]
) -> None:
    brokers = app_env["KAFKA_BROKERS"].split(",")
    assert len(brokers) == 3
    for broker in brokers:
        host, port = broker.split(":")
        service = compose["services"][host]
        assert service["environment"]["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{broker}"
        assert f"PLAINTEXT://:{port}" in service["environment"]["KAFKA_LISTENERS"]
        assert service["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert service["environment"]["KAFKA_MIN_INSYNC_REPLICAS"] == 2
        assert service["environment"]["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3


def test_topics_created_are_the_pipeline_topics(compose: dict[str, Any]) -> None:
    script = compose["services"]["kafka-topics"]["command"][0]
    assert f"for topic in {ORDER_EVENTS} {ORDERS_ANALYTICS} {ORDER_EVENTS_DLQ}; do" in script
    assert "--replication-factor 3" in script
    assert "min.insync.replicas=2" in script


def test_clickhouse_server_agrees(compose: dict[str, Any], app_env: dict[str, str]) -> None:
    url = urlparse(app_env["CLICKHOUSE_HOST"])
    clickhouse = compose["services"][url.hostname or ""]
    assert f"{url.port}:{url.port}" in clickhouse["ports"]
    assert clickhouse["environment"]["CLICKHOUSE_PASSWORD"] == app_env["CLICKHOUSE_PASSWORD"]


def test_app_port_is_published(compose: dict[str, Any], app_env: dict[str, str]) -> None:
    published = [mapping.split(":")[-1] for mapping in compose["services"]["app"]["ports"]]
    assert app_env["PORT"] in published
