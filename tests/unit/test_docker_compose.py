"""docker-compose.yml cannot run here, so this keeps it honest: the app's services set every
setting the code reads, their roles make up the whole pipeline, and hosts, ports, credentials
and topics agree across services; Prometheus scrapes every app process and loads the alert
rules, Grafana is given Prometheus and the dashboard (the files under ops/ they are mounted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from ecommerce_stream.settings import ALL_ROLES, PROJECT_ROOT, Role, Settings
from ecommerce_stream.topics import ORDER_EVENTS, ORDER_EVENTS_DLQ, ORDERS_ANALYTICS

SETTING_NAMES = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    return document


APP_SERVICES = ("api", "stream")


def _env_of(compose: dict[str, Any], service: str) -> dict[str, str]:
    return {key: str(value) for key, value in compose["services"][service]["environment"].items()}


@pytest.fixture(scope="module")
def app_env(compose: dict[str, Any]) -> dict[str, str]:
    return _env_of(compose, "api")


def _settings_of(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_sets_every_setting_and_nothing_unknown(compose: dict[str, Any], service: str) -> None:
    assert set(_env_of(compose, service)) == SETTING_NAMES


def test_the_services_roles_make_up_the_pipeline_and_scale(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = _settings_of(_env_of(compose, "api"), monkeypatch)
    stream = _settings_of(_env_of(compose, "stream"), monkeypatch)
    assert api.role_set == {Role.API}
    assert stream.role_set == ALL_ROLES - {Role.API}
    assert not api.joins_stream_group and stream.joins_stream_group
    # Several of each: only possible with a ClickHouse server every process reads.
    for service in APP_SERVICES:
        assert compose["services"][service]["deploy"]["replicas"] > 1
    assert api.reads_clickhouse and stream.reads_clickhouse
    stream_url = urlparse(api.stream_url)
    assert stream_url.hostname == "stream" and stream_url.port == stream.port


def test_env_example_lists_every_setting() -> None:
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert names == SETTING_NAMES


def test_app_settings_validate(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings_of(app_env, monkeypatch)
    assert settings.environment == "production"
    assert settings.clickhouse_is_server
    assert settings.kafka_replication_factor == 3
    assert settings.admin_token.get_secret_value()


def test_mysql_host_and_credentials_agree(compose: dict[str, Any], app_env: dict[str, str]) -> None:
    mysql = compose["services"][app_env["MYSQL_HOST"]]
    # The engine the tests run (devstack/mariadb.sh installs Debian's 10.11).
    assert mysql["image"] == "mariadb:10.11"
    assert mysql["environment"]["MARIADB_DATABASE"] == app_env["MYSQL_DATABASE"]
    assert mysql["environment"]["MARIADB_USER"] == app_env["MYSQL_USER"]
    assert mysql["environment"]["MARIADB_PASSWORD"] == app_env["MYSQL_PASSWORD"]
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
    published = [mapping.split(":")[-1] for mapping in compose["services"]["api"]["ports"]]
    assert app_env["PORT"] in published


def _mounted(service: dict[str, Any], container_path: str) -> Path:
    """The folder of the checkout a service sees at `container_path` (a bind mount of ours)."""
    for volume in service["volumes"]:
        source, target, *_ = volume.split(":")
        if source.startswith("./") and container_path.startswith(target):
            return PROJECT_ROOT / source / Path(container_path).relative_to(target)
    raise AssertionError(f"nothing of the checkout is mounted at {container_path}")


def _command_option(service: dict[str, Any], name: str) -> str:
    (value,) = [arg.split("=", 1)[1] for arg in service["command"] if arg.startswith(f"{name}=")]
    return str(value)


def test_prometheus_scrapes_the_app_and_loads_the_alert_rules(
    compose: dict[str, Any], app_env: dict[str, str]
) -> None:
    prometheus = compose["services"]["prometheus"]
    config_path = _mounted(prometheus, _command_option(prometheus, "--config.file"))
    config = yaml.safe_load(config_path.read_text())
    # Every replica of each app service, by DNS, on the port the app serves.
    scraped = {
        name: (lookup["type"], lookup["port"])
        for job in config["scrape_configs"]
        for lookup in job["dns_sd_configs"]
        for name in lookup["names"]
    }
    assert scraped == {service: ("A", int(app_env["PORT"])) for service in APP_SERVICES}
    # The alert rules select the app by this prefix (ops/prometheus/alerts.yml).
    assert all(job["job_name"].startswith("ecommerce-stream") for job in config["scrape_configs"])
    for rule_file in config["rule_files"]:
        assert (config_path.parent / rule_file).is_file(), rule_file
    assert config["rule_files"], "the alert rules must be loaded"


def test_grafana_provisions_prometheus_and_the_dashboard(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    provisioning = _mounted(grafana, "/etc/grafana/provisioning")
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    url = urlparse(source["url"])
    assert url.hostname in compose["services"]
    assert f"{url.port}:{url.port}" in compose["services"][url.hostname or ""]["ports"]
    providers = yaml.safe_load((provisioning / "dashboards" / "ecommerce-stream.yml").read_text())
    (provider,) = providers["providers"]
    dashboards = list(_mounted(grafana, provider["options"]["path"]).glob("*.json"))
    assert [path.name for path in dashboards] == ["ecommerce-stream.json"]
    panels = json.loads(dashboards[0].read_text())["panels"]
    queried = [panel for panel in panels if panel["type"] != "row"]
    assert queried
    for panel in queried:
        assert panel["datasource"]["uid"] == source["uid"], panel["title"]
        assert all(target["datasource"]["uid"] == source["uid"] for target in panel["targets"])
