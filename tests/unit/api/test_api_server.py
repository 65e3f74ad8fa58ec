"""The API's real server (detente_api.server): limits and timeouts, checked with raw sockets
against uvicorn in a thread. Bounds are generous: the machine is shared and slow at times."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time

import httpx
import pytest
from live_server import closed_within, free_port, live

from detente_api.main import create_app
from detente_api.server import GuardedH11Protocol, listen, server_config
from detente_api.settings import Settings
from detente_api.view import TensionView

GENEROUS = 30.0


def _settings(**overrides: object) -> Settings:
    return Settings(port=free_port(), admin_port=free_port(), **overrides)  # type: ignore[arg-type]


@pytest.fixture
def make_app(api_registry):
    def build(settings: Settings):
        view = TensionView(api_registry)
        return create_app(settings, start_consumer=False, registry=api_registry, view=view)

    return build


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _metric(url: str, name: str, reason: str | None = None) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    label = f'{{reason="{reason}"}}' if reason else ""
    match = re.search(rf"^{name}{re.escape(label)} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{label} not in the metrics"
    return float(match.group(1))


def _status_and_body(answer: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_the_uvicorn_config_carries_the_limits():
    settings = Settings(
        limit_concurrency=321,
        keepalive_timeout_seconds=7,
        header_timeout_seconds=4.5,
        write_timeout_seconds=12,
        max_header_bytes=8192,
        forwarded_allow_ips="10.0.0.0/8",
    )
    config = server_config(object(), settings)
    assert config.limit_concurrency == 321
    assert config.timeout_keep_alive == 7
    assert config.h11_max_incomplete_event_size == 8192
    assert config.forwarded_allow_ips == "10.0.0.0/8"
    assert config.timeout_graceful_shutdown is not None
    assert issubclass(config.http, GuardedH11Protocol)  # type: ignore[arg-type]
    assert config.http.header_timeout == 4.5  # type: ignore[union-attr]
    assert config.http.write_timeout == 12  # type: ignore[union-attr]
    defaults = server_config(object(), Settings())
    assert defaults.limit_concurrency and defaults.limit_concurrency > Settings().max_sse_clients
    assert defaults.http.header_timeout <= 30  # type: ignore[union-attr]


def test_accepted_connections_answer_without_nagle_delays():
    """The API binds its own sockets; asyncio turns Nagle off only on sockets that say they
    are TCP. With it on, every keep-alive answer waited ~40 ms for an ACK (the API bench
    fell from 3,818 to 363 requests/s)."""

    async def accepted_nodelay() -> int:
        sock = listen("127.0.0.1", free_port())
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                accepted = transport.get_extra_info("socket")
                seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            value = await asyncio.wait_for(seen, GENEROUS)
            writer.close()
        return value

    assert asyncio.run(accepted_nodelay()) != 0


def test_idle_and_slow_header_connections_are_closed(make_app):
    settings = _settings(header_timeout_seconds=1.0)
    app = make_app(settings)
    with live(app, settings) as server:
        idle = _connect(server.port)
        slow = _connect(server.port)
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        # A header line every 0.3 s: each byte would reset a keep-alive timer, not this one.
        while time.monotonic() - started < 3:
            try:
                slow.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
            time.sleep(0.3)
        answer = closed_within(slow, GENEROUS)
        status, headers, body = _status_and_body(answer)
        assert status == 408 and "request head" in body["detail"]
        assert headers["content-type"] == "application/json"
        assert headers["x-content-type-options"] == "nosniff"
        closed_within(idle, GENEROUS)  # never sent a byte
        idle.close()
        slow.close()
        assert _metric(server.url, "detente_api_connections_dropped_total", "header_timeout") >= 2
        # A prompt client is served as usual, on a kept-alive connection, several times.
        with httpx.Client(timeout=10) as client:
            for _ in range(3):
                assert client.get(f"{server.url}/healthz").status_code == 200


def test_a_connection_past_the_cap_gets_503_in_json_at_once(make_app):
    settings = _settings(limit_concurrency=3, max_sse_clients=1, header_timeout_seconds=60)
    app = make_app(settings)
    with live(app, settings) as server:
        held = [_connect(server.port) for _ in range(3)]
        extra = _connect(server.port)  # sends nothing: answered on arrival, not at a request
        status, headers, body = _status_and_body(closed_within(extra, GENEROUS))
        assert status == 503 and "too many connections" in body["detail"]
        assert headers["retry-after"] == "5"
        assert headers["content-type"] == "application/json"
        assert headers["x-content-type-options"] == "nosniff"
        extra.close()
        for sock in held:
            sock.close()
        # Once the held ones are gone, clients are served again.
        deadline = time.monotonic() + GENEROUS
        while httpx.get(f"{server.url}/healthz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "still refused after the held connections closed"
            time.sleep(0.2)
        assert _metric(server.url, "detente_api_connections_dropped_total", "connection_cap") >= 1


def test_an_idle_keep_alive_connection_is_closed(make_app):
    settings = _settings(keepalive_timeout_seconds=1, header_timeout_seconds=60)
    app = make_app(settings)
    with live(app, settings) as server:
        sock = _connect(server.port)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = closed_within(sock, GENEROUS)
        assert answer.startswith(b"HTTP/1.1 200")
        assert b"x-content-type-options: nosniff" in answer.lower()
        sock.close()


def test_oversized_request_heads_get_4xx_in_json(make_app):
    settings = _settings(max_header_bytes=8192)
    app = make_app(settings)
    with live(app, settings) as server:
        # Arriving in pieces: refused by the server before the head is complete.
        sock = _connect(server.port)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"x" * 9000)
        time.sleep(0.2)
        with contextlib.suppress(OSError):  # perhaps refused already
            sock.sendall(b"x" * 9000)
        status, headers, body = _status_and_body(closed_within(sock, GENEROUS))
        sock.close()
        assert status == 400 and body == {"detail": "invalid or oversized request head"}
        assert headers["x-content-type-options"] == "nosniff"
        # Whole, perhaps in one read: refused by the app if h11 did not.
        sock = _connect(server.port)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"x" * 20_000 + b"\r\n\r\n")
        status, headers, body = _status_and_body(closed_within(sock, GENEROUS))
        sock.close()
        assert status in (400, 431) and "request head" in body["detail"]
        assert headers["content-type"] == "application/json"
        # Within the head limit but over the query limit: 414.
        response = httpx.get(f"{server.url}/v1/actors", params={"actor": "x" * 5000}, timeout=10)
        assert response.status_code == 414 and "query string" in response.json()["detail"]


def test_metrics_on_their_own_port(make_app):
    settings = _settings(metrics_on="admin", docs_on="off")
    app = make_app(settings)
    with live(app, settings) as server:
        admin = f"http://127.0.0.1:{server.admin_port}"
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 404
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        scrape = httpx.get(f"{admin}/metrics", timeout=10)
        assert scrape.status_code == 200 and "detente_api_requests_total" in scrape.text
        assert httpx.put(f"{admin}/metrics", timeout=10).status_code == 405
        assert httpx.get(f"{admin}/healthz", timeout=10).status_code == 404
        assert httpx.get(f"{admin}/docs", timeout=10).status_code == 404


def test_a_stream_client_that_reads_nothing_is_dropped_and_its_slot_freed(make_app):
    settings = _settings(
        write_timeout_seconds=1.0, max_sse_clients=1, limit_concurrency=50, metrics_on="admin"
    )
    app = make_app(settings)
    bus = app.state.view.bus
    admin = f"http://127.0.0.1:{settings.admin_port}"
    with live(app, settings) as server:
        reader = socket.socket()
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window
        reader.settimeout(5)
        reader.connect(("127.0.0.1", server.port))
        reader.sendall(b"GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads
        deadline = time.monotonic() + GENEROUS
        while bus.subscribers == 0:
            assert time.monotonic() < deadline, "the stream did not start"
            time.sleep(0.05)
        # The only slot is taken.
        assert httpx.get(f"{server.url}/v1/stream", timeout=10).status_code == 503
        payload = json.dumps({"pad": "x" * 16_000})

        async def flood() -> None:
            while bus.subscribers and time.monotonic() < deadline:
                for _ in range(20):
                    bus.publish("index", "global", [], payload)
                await asyncio.sleep(0.1)

        done = asyncio.run_coroutine_threadsafe(flood(), server.loop)
        done.result(timeout=GENEROUS + 5)
        assert bus.subscribers == 0, "the client that reads nothing still holds its slot"
        assert _metric(admin, "detente_api_sse_evicted_total") == 1.0
        assert _metric(admin, "detente_api_connections_dropped_total", "write_timeout") == 1.0
        assert _metric(admin, "detente_api_sse_subscribers") == 0.0
        reader.close()
        # The slot is free for a real dashboard.
        with httpx.stream("GET", f"{server.url}/v1/stream", timeout=10) as response:
            assert response.status_code == 200
            assert next(response.iter_lines()) == ": connected"
