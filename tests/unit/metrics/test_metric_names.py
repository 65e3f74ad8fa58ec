"""Metric names follow the Prometheus conventions, and docs/metrics.md lists every one."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric

from detente_api.metrics import ApiMetrics
from detente_api.view import TensionView
from detente_producer.ingest.feeds import Feed
from detente_producer.ingest.metrics import IngestMetrics
from detente_worker.metrics import MetricsSettings, WorkerMetrics

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "metrics.md"
UNITS = ("_seconds", "_messages", "_bytes", "_keys", "_index", "_statements", "_subscribers",
         "_articles", "_ready", "_exported", "_info")  # fmt: skip


def families() -> list[tuple[str, Metric]]:
    worker, api, ingest = CollectorRegistry(), CollectorRegistry(), CollectorRegistry()
    WorkerMetrics(worker, MetricsSettings())
    ApiMetrics(api, TensionView())
    IngestMetrics(ingest, [Feed(name="f", url="https://example.org/feed.rss")])
    return [
        (service, family)
        for service, registry in (("worker", worker), ("api", api), ("ingest", ingest))
        for family in registry.collect()
        if family.name.startswith("detente_")
    ]


def exposed_name(family: Metric) -> str:
    return family.name + {"counter": "_total", "info": "_info"}.get(family.type, "")


def test_names_have_the_service_prefix_and_base_units():
    for service, family in families():
        name = exposed_name(family)
        assert name.startswith(f"detente_{service}_"), name
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert not re.search(r"_(milliseconds|ms|minutes|hours|percent)\b", name), name
        if family.type == "counter":
            assert name.endswith("_total"), name
        else:
            assert not name.endswith("_total"), name
        if family.type == "histogram":
            assert name.endswith("_seconds"), f"{name}: histograms here measure time"
        if family.type == "gauge":
            assert name.endswith(UNITS), f"{name}: gauge without a unit or count suffix"
        assert family.documentation, f"{name} has no help text"


def test_docs_list_every_metric():
    documented = set(re.findall(r"`(detente_[a-z0-9_]+)`", DOC.read_text()))
    missing = sorted(exposed_name(f) for _, f in families() if exposed_name(f) not in documented)
    assert not missing, f"docs/metrics.md does not list {missing}"
