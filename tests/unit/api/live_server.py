"""The API under its real server (`detente_api.server`) in a thread, on free ports."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI

from detente_api.__main__ import ApiServer
from detente_api.server import listeners, server_config
from detente_api.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    url: str
    port: int
    admin_port: int
    loop: asyncio.AbstractEventLoop
    server: ApiServer

    def call(self, function: object, *args: object) -> None:
        """Run `function(*args)` on the server's event loop (the view and bus live there)."""
        self.loop.call_soon_threadsafe(function, *args)  # type: ignore[arg-type]


@contextlib.contextmanager
def live(app: FastAPI, settings: Settings) -> Iterator[Live]:
    """`settings` must name free ports (see `free_port`) and be those `app` was built with."""
    config = server_config(
        app, settings, on_drop=app.state.metrics.connection_dropped, log_level="warning"
    )
    server = ApiServer(config, app.state.view.bus)
    sockets = listeners(settings)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(sockets),))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        url = f"http://127.0.0.1:{settings.port}"
        yield Live(url, settings.port, settings.admin_port, loop, server)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive(), "the server did not shut down"
        loop.close()
        for sock in sockets:
            sock.close()


def closed_within(sock: socket.socket, seconds: float) -> bytes:
    """Everything the server sends until it closes the connection; fails after `seconds`."""
    sock.settimeout(seconds)
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        except TimeoutError:
            break
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the connection is still open after {seconds}s: {received[:200]!r}")
