"""A Prometheus metrics endpoint with timeouts and a connection cap, for the worker and the
ingester (the API serves /metrics from its own app).

prometheus-client's `start_http_server` gives every connection a thread that waits for a
request for ever: idle connections pile up threads. Here a connection that sends nothing
(or stops sending) for `timeout` seconds is closed, at most `max_connections` are served at
once (more are closed at once), and each connection serves one request (HTTP/1.0).
"""

from __future__ import annotations

import logging
import socket
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_CONNECTIONS = 32


class _Handler(WSGIRequestHandler):
    # StreamRequestHandler sets this on the socket: every read and write is bounded.
    timeout = DEFAULT_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no access log


class MetricsServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        handler = type("MetricsHandler", (_Handler,), {"timeout": timeout})
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(max_connections)
        self.refused = 0
        self.timed_out = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client too slow or gone: not worth a traceback on stderr.
        self.timed_out += 1
        log.debug("metrics connection from %s closed", client_address, exc_info=True)


def start_metrics_server(
    port: int,
    host: str = "127.0.0.1",
    registry: CollectorRegistry = REGISTRY,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> tuple[MetricsServer, threading.Thread]:
    """Serve `registry` on `host:port` (any path) from a daemon thread; `server.shutdown()`
    stops it."""
    server = MetricsServer((host, port), timeout=timeout, max_connections=max_connections)
    server.set_app(make_wsgi_app(registry))
    thread = threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True)
    thread.start()
    return server, thread
