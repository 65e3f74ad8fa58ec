"""Every PromQL query in the Grafana dashboard (and in the Prometheus rules) names only
metrics the services really expose, or recording rules defined in deploy/prometheus/rules.

The exposed names come from the services' own metric definitions, each built on a fresh
`CollectorRegistry`, expanded the way Prometheus sees them (`_total`, `_bucket`, `_info`...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from detente_api.metrics import ApiMetrics
from detente_api.view import TensionView
from detente_producer.ingest.feeds import Feed
from detente_producer.ingest.metrics import IngestMetrics
from detente_worker.metrics import MetricsSettings, WorkerMetrics

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "detente.json"
RULE_FILES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
# Series Prometheus itself makes: scrape health and alert state.
PROMETHEUS_SERIES = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
            "and", "or", "unless", "inf", "nan"}  # fmt: skip


def exposed(registry: CollectorRegistry) -> set[str]:
    return {
        family.name + suffix for family in registry.collect() for suffix in SUFFIXES[family.type]
    }


def worker_names() -> set[str]:
    prom = CollectorRegistry()
    WorkerMetrics(prom, MetricsSettings())
    # The worker serves the default registry, which also holds these collectors.
    ProcessCollector(registry=prom)
    PlatformCollector(registry=prom)
    GCCollector(registry=prom)
    return exposed(prom)


def api_names() -> set[str]:
    prom = CollectorRegistry()
    ApiMetrics(prom, TensionView())
    return exposed(prom)


def ingest_names() -> set[str]:
    prom = CollectorRegistry()
    IngestMetrics(prom, [Feed(name="f", url="https://example.org/feed.rss")])
    return exposed(prom)


def recording_rules() -> set[str]:
    return {
        rule["record"]
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (functions, keywords, labels and numbers dropped)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\$\{[^}]*\}|\$\w+", " ", text)  # Grafana variables
    text = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text
    )  # label lists
    text = re.sub(r"\boffset\s+\w+", " ", text)
    text = re.sub(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?\w*", " ", text)  # numbers, durations
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end() :].lstrip()
        if following.startswith("("):
            continue  # a function or an aggregation
        if match.group().lower() in KEYWORDS:
            continue
        names.add(match.group())
    return names


def dashboard_queries() -> Iterator[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())

    def panels(items: list[dict]) -> Iterator[dict]:
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r}", target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = (
                variable["query"]["query"]
                if isinstance(variable["query"], dict)
                else variable["query"]
            )
            inner = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", query)
            yield f"variable ${variable['name']}", inner.group(1) if inner else query
    for annotation in dashboard["annotations"]["list"]:
        if annotation.get("expr"):
            yield f"annotation {annotation['name']!r}", annotation["expr"]


def test_the_parser_finds_metric_names_only():
    expr = (
        "histogram_quantile(0.95, sum by (route, le) ("
        'rate(detente_api_request_duration_seconds_bucket{route!="/v1/stream", job=~"a|b"}'
        "[$__rate_interval]))) / on (job) group_left "
        "max without (window) (subject:detente_tension_index:max offset 30m) > bool 1e3 "
        'and up{job="x"} unless ALERTS'
    )
    assert metric_names(expr) == {
        "detente_api_request_duration_seconds_bucket",
        "subject:detente_tension_index:max",
        "up",
        "ALERTS",
    }


@pytest.fixture(scope="module")
def known() -> set[str]:
    return worker_names() | api_names() | ingest_names() | recording_rules() | PROMETHEUS_SERIES


def test_the_services_expose_what_the_docs_promise(known):
    # A sanity check on the collection itself: a few names every panel family relies on.
    assert {
        "detente_worker_events_consumed_total",
        "detente_worker_tension_index",
        "detente_worker_model_info",
        "detente_worker_end_to_end_delay_seconds_bucket",
        "detente_api_requests_total",
        "detente_api_sse_subscribers",
        "process_resident_memory_bytes",
    } <= known


def test_every_dashboard_query_names_real_metrics(known):
    queries = list(dashboard_queries())
    assert len(queries) > 20
    unknown = {
        (where, name) for where, expr in queries for name in metric_names(expr) if name not in known
    }
    assert not unknown, f"dashboard queries name metrics nobody exposes: {sorted(unknown)}"
    assert all(metric_names(expr) for _, expr in queries), "a query without any metric"


def test_every_rule_names_real_metrics(known):
    unknown = set()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                for name in metric_names(rule["expr"]):
                    if name not in known:
                        unknown.add((rule.get("record") or rule["alert"], name))
    assert not unknown, f"rules name metrics nobody exposes: {sorted(unknown)}"


def test_panels_use_the_datasource_variable():
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_panels_do_not_overlap():
    dashboard = json.loads(DASHBOARD.read_text())
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
