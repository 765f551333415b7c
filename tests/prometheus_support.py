"""The operations files under ops/ as the tests read them: the alert rules, their promtool
cases, the Grafana dashboard's queries, and the metric names a PromQL expression reads."""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest
import yaml

from ecommerce_stream.settings import PROJECT_ROOT

PROMETHEUS_DIR = PROJECT_ROOT / "ops" / "prometheus"
ALERT_RULES = PROMETHEUS_DIR / "alerts.yml"
ALERT_CASES = PROMETHEUS_DIR / "alerts.test.yml"
PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
DASHBOARD = PROJECT_ROOT / "ops" / "grafana" / "dashboards" / "ecommerce-stream.json"
# What Grafana puts in place of its range variable; any range of a few scrapes will do.
GRAFANA_RANGE = "$__rate_interval"

# Series Prometheus makes itself, which no /metrics serves.
SYNTHETIC_SERIES = {"up"}
_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left"}
_KEYWORDS |= {"group_right", "offset", "bool", "inf", "nan"}


def binary(name: str) -> str:
    """A Prometheus program from Debian's package (devstack/install-system.sh)."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: `make install` installs Debian's prometheus package")
    return found


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERT_RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads: what is left once strings, label matchers, ranges,
    grouping clauses, functions and keywords are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    words = re.findall(r"[A-Za-z_:][\w:]*(?!\s*\()\b", text)
    return {word for word in words if word.lower() not in _KEYWORDS}
