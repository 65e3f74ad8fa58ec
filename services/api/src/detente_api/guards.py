"""ASGI middleware at the edge of the app: security headers, request size limits, and the
split between the public port and the admin port (metrics, docs)."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# On every answer: browsers must not guess a content type (a JSON body read as HTML).
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _json_error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


def head_size(scope: Scope) -> int:
    """About the size of the request head: the target and every header line."""
    target = len(scope.get("raw_path") or scope["path"]) + len(scope.get("query_string", b""))
    return target + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


class RequestLimits:
    """431 for a request head over `max_header_bytes`, 414 for a query string over
    `max_query_bytes`, 413 for a body over `max_body_bytes` (announced by Content-Length, or
    counted as it arrives), each with a JSON `detail`.

    The server refuses a head that arrives in pieces and grows past `max_header_bytes`
    before it is complete (h11, 400); one that arrives whole in a single read gets here."""

    def __init__(
        self, app: ASGIApp, max_header_bytes: int, max_query_bytes: int, max_body_bytes: int
    ) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.max_query_bytes = max_query_bytes
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if head_size(scope) > self.max_header_bytes:
            await _json_error(
                send, 431, f"request head too large (limit {self.max_header_bytes} bytes)"
            )
            return
        if len(scope.get("query_string", b"")) > self.max_query_bytes:
            await _json_error(
                send, 414, f"query string too long (limit {self.max_query_bytes} bytes)"
            )
            return
        too_large = f"request body too large (limit {self.max_body_bytes} bytes)"
        for name, value in scope["headers"]:
            if name == b"content-length" and (
                not value.isdigit() or int(value) > self.max_body_bytes
            ):
                await _json_error(send, 413, too_large)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await _json_error(send, 413, too_large)


def server_port(scope: Scope) -> int | None:
    server = scope.get("server")
    return int(server[1]) if server and server[1] is not None else None


class PortSplit:
    """Requests that arrive on the admin port go to `admin`, every other one to `app`.
    Lifespan events go to `app` (the admin app has no state of its own)."""

    def __init__(self, app: ASGIApp, admin: ASGIApp, admin_port: int) -> None:
        self.app = app
        self.admin = admin
        self.is_admin: Callable[[Scope], bool] = lambda scope: server_port(scope) == admin_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.is_admin(scope):
            await self.admin(scope, receive, send)
        else:
            await self.app(scope, receive, send)
