"""API metrics, registered on a registry owned by one app (so tests never share collectors)."""

from __future__ import annotations

import math
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detente_api.view import TensionView

# Requests that matched no route share one label value, so scanners cannot blow up cardinality.
UNMATCHED_ROUTE = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ApiMetrics:
    def __init__(self, registry: CollectorRegistry, view: TensionView) -> None:
        self.requests = Counter(
            "detente_api_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "detente_api_request_duration_seconds",
            "HTTP request duration by route template",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=registry,
        )
        self.prepared = Counter(
            "detente_api_prepared_answers",
            "Cacheable GET answers sent from prepared bytes (hit) or built by the app (miss)",
            ["result"],
            registry=registry,
        )
        self.records = Counter(
            "detente_api_consumed_records",
            "Kafka records read into the view, by topic and result (ok, stale, invalid, error)",
            ["topic", "result"],
            registry=registry,
        )
        lag = Gauge(
            "detente_api_view_lag_messages",
            "Records between the view and the end of its topics (NaN while Kafka is unreachable)",
            registry=registry,
        )
        lag.set_function(lambda: math.nan if view.lag is None else float(view.lag))
        ready = Gauge(
            "detente_api_view_ready",
            "1 once the view has caught up with the topics as they were at start",
            registry=registry,
        )
        ready.set_function(lambda: 1.0 if view.ready else 0.0)
        articles = Gauge(
            "detente_api_view_articles",
            "Articles whose stances are held in memory",
            registry=registry,
        )
        articles.set_function(lambda: float(view.article_count))
        # Set by the server-sent events route (/v1/stream): inc() on connect, dec() on close.
        self.sse_subscribers = Gauge(
            "detente_api_sse_subscribers",
            "Clients connected to the server-sent events stream",
            registry=registry,
        )
        self.sse_refused = Counter(
            "detente_api_sse_refused",
            "Stream clients refused: capacity (the process's limit), per_address (the limit "
            "per client address), shutting_down",
            ["reason"],
            registry=registry,
        )
        self.sse_evicted = Counter(
            "detente_api_sse_evicted",
            "Stream clients dropped because they read nothing within the write timeout",
            registry=registry,
        )
        self.connections_dropped = Counter(
            "detente_api_connections_dropped",
            "Connections the server closed: header_timeout (no whole request head in time), "
            "write_timeout (the client read nothing while its send buffer was full), "
            "connection_cap (past the cap: 503 at once)",
            ["reason"],
            registry=registry,
        )
        for reason in ("capacity", "per_address", "shutting_down"):
            self.sse_refused.labels(reason)
        for reason in ("header_timeout", "write_timeout", "connection_cap"):
            self.connections_dropped.labels(reason)
        # process_* (CPU, memory, open files), as the worker gets from the default registry.
        ProcessCollector(registry=registry)

    def record_consumed(self, topic: str, result: str) -> None:
        self.records.labels(topic, result).inc()

    def connection_dropped(self, reason: str) -> None:
        """Called by the server's protocol (detente_api.server), on the event loop."""
        self.connections_dropped.labels(reason).inc()


class MetricsMiddleware:
    """Counts and times every HTTP request under the template of the route that served it."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before responding
        started = time.perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # Routing rewrites the scope (a mount changes root_path): keep the request as it came.
        original = dict(scope)
        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = _route_template(scope, original)
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.duration.labels(route, method).observe(time.perf_counter() - started)


def _route_template(scope: Scope, original: Scope) -> str:
    """The path template of the route that served the request, never the raw path."""
    # FastAPI stores its APIRoute in the scope; plain routes and mounts are not recorded.
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    for route in getattr(scope.get("app"), "routes", ()):
        match, _ = route.matches(dict(original))
        if match is Match.FULL:
            return getattr(route, "path", None) or UNMATCHED_ROUTE
    return UNMATCHED_ROUTE
