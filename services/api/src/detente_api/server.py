"""The API's HTTP server: uvicorn with a connection cap and the timeouts uvicorn lacks.

uvicorn bounds idle keep-alive connections (`timeout_keep_alive`) and the size of a request
head (h11's `max_incomplete_event_size`), but a connection that opens and sends nothing, or
sends its headers a byte at a time, is kept for ever, and so is a client that stops reading
a response (a stream). `GuardedH11Protocol` adds, per connection:

- a header timeout: a whole request head must arrive within `header_timeout` of the
  connection opening or of the previous answer, else 408 and close;
- a write timeout: when the transport's send buffer stays above its high-water mark (the
  client reads nothing) for `write_timeout`, the connection is aborted; a running
  response sees a disconnect, so a server-sent event stream ends and frees its slot;
- the connection cap (`limit_concurrency`) answered at once: a connection past it gets 503
  with `Retry-After` and is closed, instead of uvicorn's plain-text 503 at its first request.

The answers the protocol writes itself (400 for a malformed or oversized head, 408, 503) are
JSON, with `X-Content-Type-Options: nosniff` like every answer of the app.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Callable
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from detente_api.settings import Settings

log = logging.getLogger(__name__)

# Set in the request's ASGI scope when the protocol drops the connection under a running
# response, with the reason (`write_timeout`), so the app can count what it lost.
DROPPED_KEY = "detente.dropped"
# Responses still running this long after a shutdown began are cancelled.
GRACEFUL_SHUTDOWN_SECONDS = 10
# What a connection past the cap is told to wait before it tries again.
CAP_RETRY_AFTER_SECONDS = 5
# A closed connection whose last answer the client does not read is aborted after this.
_LINGER_SECONDS = 5.0


def raw_json_response(
    status: int, reason: str, detail: str, retry_after: int | None = None
) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection, for the protocol's own errors."""
    body = json.dumps({"detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "x-content-type-options: nosniff\r\n"
        + (f"retry-after: {retry_after}\r\n" if retry_after is not None else "")
        + "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header and write timeouts (see the module docstring).

    Subclassed per server by `guarded_protocol`, which sets the class attributes."""

    header_timeout: float = 10.0
    write_timeout: float = 30.0
    on_drop: Callable[[str], None] = staticmethod(lambda reason: None)

    _header_timer: asyncio.TimerHandle | None = None
    _write_timer: asyncio.TimerHandle | None = None
    _answered_and_closing = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # uvicorn's own test, at the first request: `connections` includes this one.
        if self.limit_concurrency is not None and len(self.connections) > self.limit_concurrency:
            self.on_drop("connection_cap")
            self._close_with(
                raw_json_response(
                    503, "Service Unavailable", "too many connections; retry later",
                    retry_after=CAP_RETRY_AFTER_SECONDS,
                )
            )  # fmt: skip
            return
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._answered_and_closing or self.transport.is_closing():
            return  # answered and closing (408, 503 past the cap): read and dropped
        super().data_received(data)
        self._header_done_check()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            # Waiting for the next request head (unless a pipelined one is already parsed).
            if self.conn.their_state is h11.IDLE:
                self._arm_header_timer()
            else:
                self._header_done_check()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self.write_timeout, self._write_timed_out)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def send_400_response(self, msg: str) -> None:
        # A request head h11 cannot parse, or one larger than `max_header_bytes`.
        self._close_with(raw_json_response(400, "Bad Request", "invalid or oversized request head"))

    # -- internals ---------------------------------------------------------------------------

    def _arm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _header_done_check(self) -> None:
        # h11 leaves IDLE only once a whole request head has been parsed.
        if self._header_timer is not None and self.conn.their_state is not h11.IDLE:
            self._header_timer.cancel()
            self._header_timer = None

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._write_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._write_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        self.on_drop("header_timeout")
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.abort()  # cannot happen with h11's IDLE, but never answer twice
            return
        self._close_with(
            raw_json_response(408, "Request Timeout", "request head not received in time")
        )

    def _write_timed_out(self) -> None:
        self._write_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None:
            self.cycle.scope[DROPPED_KEY] = "write_timeout"  # type: ignore[literal-required]
        self.on_drop("write_timeout")
        client = "{}:{}".format(*self.client) if self.client else "a client"
        log.info("%s read nothing for %.0fs: connection dropped", client, self.write_timeout)
        self.transport.abort()

    def _close_with(self, answer: bytes) -> None:
        self._cancel_timers()
        self._answered_and_closing = True
        self.transport.write(answer)
        if self.transport.can_write_eof():
            # A lingering close: end our side once the answer is sent, and keep reading (and
            # dropping) what the client still sends until it closes. Closing a socket with
            # unread input sends a reset, which can destroy the answer before the client
            # reads it (seen in the fuzz test: a slow head trickling bytes got ECONNRESET
            # instead of its 408).
            self.transport.write_eof()
        else:
            self.transport.close()
        # A client that neither reads nor closes does not get to hold the connection.
        self.loop.call_later(_LINGER_SECONDS, self.transport.abort)


def guarded_protocol(
    settings: Settings, on_drop: Callable[[str], None] | None = None
) -> type[GuardedH11Protocol]:
    attributes: dict[str, Any] = {
        "header_timeout": settings.header_timeout_seconds,
        "write_timeout": settings.write_timeout_seconds,
    }
    if on_drop is not None:
        attributes["on_drop"] = staticmethod(on_drop)
    return type("ApiH11Protocol", (GuardedH11Protocol,), attributes)


def server_config(
    app: Any, settings: Settings, on_drop: Callable[[str], None] | None = None, **extra: Any
) -> uvicorn.Config:
    """The uvicorn configuration of the API: limits and timeouts from `settings`."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=guarded_protocol(settings, on_drop),
        ws="none",
        lifespan="on",
        limit_concurrency=settings.limit_concurrency,
        timeout_keep_alive=settings.keepalive_timeout_seconds,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        **extra,
    )


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket, as uvicorn would bind it (address reuse on)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say
    # they are TCP, and with Nagle on every keep-alive answer waited ~40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def listeners(settings: Settings) -> list[socket.socket]:
    """The public socket, and the admin one if metrics or docs are placed there."""
    sockets = [listen(settings.host, settings.port)]
    if settings.uses_admin_port:
        try:
            sockets.append(listen(settings.admin_host, settings.admin_port))
        except OSError:
            sockets[0].close()
            raise
    return sockets
