"""A local web site for the ingester's tests: a real HTTP server in a thread, answering
scripted replies per path and recording every request. Nothing leaves the machine.

The team's own feeds and pages are in tests/data/ingest/site/ (`{site}` in them becomes this
server's base URL).
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SITE_FILES = Path(__file__).resolve().parents[2] / "data" / "ingest" / "site"
CONTENT_TYPES = {".rss": "application/rss+xml", ".atom": "application/atom+xml",
                 ".html": "text/html; charset=utf-8", ".txt": "text/plain"}  # fmt: skip


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up (a size cap, a timeout) is what the tests provoke


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    # Answer only once this is set (at most a minute later): a host that hangs, for now.
    hold: threading.Event | None = None
    # Send this many bytes of filler without a Content-Length (the size cap must cut it).
    unannounced_bytes: int = 0


@dataclass(frozen=True)
class Request:
    path: str  # without the query, as routes match
    target: str  # as requested
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() when it arrived


class FeedSite:
    """Each path answers its replies in turn (the last one repeats); others get a 404.
    A reply with an ETag answers 304 to a request that sends it back (If-None-Match)."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FeedSite:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, *replies: Reply) -> str:
        self.routes[path] = list(replies)
        return self.url(path)

    def serve_file(self, path: str, name: str, **headers: str) -> str:
        """A file of tests/data/ingest/site at `path`, with `{site}` rendered."""
        body = (SITE_FILES / name).read_text(encoding="utf-8").replace("{site}", self.base)
        content_type = CONTENT_TYPES[Path(name).suffix]
        return self.route(
            path, Reply(200, body.encode(), {"Content-Type": content_type, **headers})
        )

    def serve_site(self) -> None:
        """Every file of tests/data/ingest/site at its own path."""
        for file in SITE_FILES.rglob("*.*"):
            name = str(file.relative_to(SITE_FILES))
            self.serve_file("/" + name, name)

    def hits(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _next_reply(self, path: str) -> Reply | None:
        with self._lock:
            replies = self.routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                with site._lock:
                    site.requests.append(
                        Request(path, self.path, dict(self.headers.items()), time.monotonic())
                    )
                reply = site._next_reply(path) or Reply(404, b"not here")
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.hold is not None:
                    reply.hold.wait(60)
                etag = reply.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                # The client may stop reading, as a size cap should.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer(reply)

            def _answer(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.unannounced_bytes:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"<p>" + b"filler " * 9000 + b"</p>\n"
                    sent = 0
                    while sent < reply.unannounced_bytes:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        return Handler
