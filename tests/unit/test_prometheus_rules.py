"""The alert rules (ops/prometheus/alerts.yml) under `promtool test rules`: every case of
alerts.test.yml passes, and every alert has a case where it fires and one where it stays quiet;
every alert says what to do and has its section in docs/operations.md."""

from __future__ import annotations

import re
import subprocess

import yaml

from ecommerce_stream.health.pipeline import AUDIT_ALARM_WINDOW
from ecommerce_stream.settings import PROJECT_ROOT
from tests.prometheus_support import ALERT_CASES, PROMETHEUS_DIR, alert_rules, binary

OPERATIONS_DOC = PROJECT_ROOT / "docs" / "operations.md"


def test_promtool_passes_every_case() -> None:
    result = subprocess.run(
        [binary("promtool"), "test", "rules", ALERT_CASES.name],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _cases() -> list[tuple[str, bool]]:
    """(alert, fires) of every query of ALERTS in alerts.test.yml."""
    cases = []
    for group in yaml.safe_load(ALERT_CASES.read_text())["tests"]:
        for case in group["promql_expr_test"]:
            (alert,) = re.findall(r'alertname="(\w+)"', case["expr"])
            cases.append((alert, bool(case["exp_samples"])))
    return cases


def test_every_alert_has_a_case_that_fires_and_one_that_stays_quiet() -> None:
    cases = _cases()
    alerts = {rule["alert"] for rule in alert_rules()}
    assert {alert for alert, fires in cases if fires} == alerts
    assert {alert for alert, fires in cases if not fires} == alerts


def test_every_alert_says_what_to_do_and_has_a_section_in_the_operations_doc() -> None:
    headings = {
        re.sub(r"[^\w-]", "", line.lstrip("#").strip().lower().replace(" ", "-"))
        for line in OPERATIONS_DOC.read_text().splitlines()
        if line.startswith("#")
    }
    for rule in alert_rules():
        annotations = rule["annotations"]
        assert ":" in annotations["summary"], f"{rule['alert']}: what is wrong: what to do"
        assert rule["labels"]["severity"] in {"critical", "warning"}
        document, anchor = annotations["runbook"].split("#")
        assert document == "docs/operations.md"
        assert anchor == rule["alert"].lower() and anchor in headings, rule["alert"]


def test_the_relayed_again_alert_lasts_as_long_as_the_health_alarm() -> None:
    (rule,) = [rule for rule in alert_rules() if rule["alert"] == "EcommerceEventsRelayedAgain"]
    hours = AUDIT_ALARM_WINDOW.total_seconds() / 3600
    assert f"[{hours:g}h]" in rule["expr"]
