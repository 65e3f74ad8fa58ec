"""The metrics endpoint of the worker and the ingester (detente.metrics_http) closes idle and
slow connections and serves a bounded number at once. Bounds are generous: the machine is
shared and slow at times."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest
from prometheus_client import CollectorRegistry, Counter

from detente.metrics_http import start_metrics_server

GENEROUS = 30.0


@pytest.fixture
def serve():
    servers = []

    def start(**options):
        registry = CollectorRegistry()
        Counter("detente_worker_probe", "a probe", registry=registry).inc()
        server, thread = start_metrics_server(0, "127.0.0.1", registry, **options)
        servers.append((server, thread))
        return server.server_address[1], server

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def _closed_within(sock: socket.socket, seconds: float) -> None:
    sock.settimeout(seconds)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return
        except ConnectionResetError:
            return
        except TimeoutError:
            break
    raise AssertionError(f"the connection is still open after {seconds}s")


def test_serves_its_registry(serve):
    port, _ = serve()
    assert "detente_worker_probe_total 1.0" in _scrape(port)


def test_idle_and_slow_connections_are_closed(serve):
    port, _ = serve(timeout=1.0)
    idle = socket.create_connection(("127.0.0.1", port), timeout=5)
    slow = socket.create_connection(("127.0.0.1", port), timeout=5)
    slow.sendall(b"GET /metrics HTTP/1.1\r\n")  # and no more
    _closed_within(idle, GENEROUS)
    _closed_within(slow, GENEROUS)
    idle.close()
    slow.close()
    assert "detente_worker_probe" in _scrape(port)


def test_connections_beyond_the_cap_are_closed_at_once(serve):
    port, server = serve(timeout=3.0, max_connections=2)
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]
    time.sleep(0.3)  # both accepted and waiting in their threads
    extra = socket.create_connection(("127.0.0.1", port), timeout=5)
    _closed_within(extra, GENEROUS)  # well before the 3 s timeout, but no tight bound
    extra.close()
    assert server.refused >= 1
    for sock in held:
        _closed_within(sock, GENEROUS)
        sock.close()
    assert "detente_worker_probe" in _scrape(port)  # the slots are free again
