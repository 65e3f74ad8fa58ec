"""API metrics on their own registry: the SSE gauge exists at 0, process metrics are there."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from detente_api.metrics import ApiMetrics
from detente_api.view import TensionView


def test_sse_subscribers_gauge_is_exposed_at_zero_and_settable():
    prom = CollectorRegistry()
    metrics = ApiMetrics(prom, TensionView())

    assert prom.get_sample_value("detente_api_sse_subscribers") == 0.0
    metrics.sse_subscribers.inc()
    metrics.sse_subscribers.inc()
    metrics.sse_subscribers.dec()
    assert prom.get_sample_value("detente_api_sse_subscribers") == 1.0


def test_view_gauges_and_process_metrics():
    prom = CollectorRegistry()
    view = TensionView()
    ApiMetrics(prom, view)

    assert prom.get_sample_value("detente_api_view_ready") == 0.0
    assert prom.get_sample_value("detente_api_view_articles") == 0.0
    # NaN while the consumer has no position (Kafka unreachable or not started).
    lag = prom.get_sample_value("detente_api_view_lag_messages")
    assert lag is not None and lag != lag
    view.set_progress(lag=12, ready=False)
    assert prom.get_sample_value("detente_api_view_lag_messages") == 12.0
    assert prom.get_sample_value("process_resident_memory_bytes")
