"""The shipped alert rules and Grafana dashboard (ops/) name only metrics the code exports,
and pass `promtool check rules` / `promtool test rules` when promtool is installed."""

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from infinite_scribe.agents.metrics import AgentMetrics
from infinite_scribe.api.metrics import ApiMetrics
from infinite_scribe.relay.metrics import RelayMetrics
from tests.support.paths import REPO

OPS = REPO / "ops"
RULES = OPS / "prometheus" / "alerts.yml"
DASHBOARD = OPS / "grafana" / "infinite-scribe.json"
#: Our series all start with one of these; anything else in an expression is PromQL.
METRIC = re.compile(r"\b(?:api|relay|agent)_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


class _Pool:
    """Just enough of an asyncpg pool for the pool collector to report its series."""

    def get_size(self) -> int:
        return 2

    def get_idle_size(self) -> int:
        return 1

    def get_max_size(self) -> int:
        return 20


def exported() -> set[str]:
    """Every sample name the API, the relay and the agent worker can expose."""
    api = ApiMetrics()
    api.pool = _Pool()
    registries: list[CollectorRegistry] = [
        api.registry,
        RelayMetrics().registry,
        AgentMetrics().registry,
    ]
    names: set[str] = set()
    for registry in registries:
        for family in registry.collect():
            names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def rule_expressions() -> list[str]:
    rules = yaml.safe_load(RULES.read_text())
    expressions = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert {"alert", "expr", "labels", "annotations"} <= rule.keys(), rule
            assert rule["labels"]["severity"] in ("warning", "critical")
            assert rule["annotations"]["summary"]
            expressions.append(rule["expr"])
    return expressions


def dashboard_expressions() -> list[str]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    return [target["expr"] for panel in panels for target in panel["targets"]]


def test_the_code_exports_the_series_the_checks_rely_on() -> None:
    names = exported()
    assert "api_requests_total" in names and "api_db_pool_connections" in names
    assert "relay_oldest_pending_age_seconds" in names and "agent_consumer_lag" in names


@pytest.mark.parametrize("source", [rule_expressions, dashboard_expressions])
def test_every_metric_named_is_exported(source: Any) -> None:
    names = exported()
    expressions = source()
    named = {name for expression in expressions for name in METRIC.findall(expression)}
    assert named, "no metric found"
    assert named <= names, f"not exported: {sorted(named - names)}"
    assert all(METRIC.search(expression) for expression in expressions)


def test_the_alerts_cover_the_outbox_the_dead_letters_and_the_lag() -> None:
    joined = "\n".join(rule_expressions())
    for series in (
        "relay_oldest_pending_age_seconds",
        'relay_outbox_rows{status="FAILED"}',
        "agent_messages_poison_total",
        "agent_requests_failed_total",
        "agent_consumer_lag",
    ):
        assert series in joined


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_checks_and_unit_tests_the_rules() -> None:
    check = subprocess.run(
        ["promtool", "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    unit = subprocess.run(
        ["promtool", "test", "rules", "alerts.test.yml"],
        cwd=RULES.parent,
        capture_output=True,
        text=True,
    )
    assert unit.returncode == 0, unit.stdout + unit.stderr
