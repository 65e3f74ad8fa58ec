"""Hostile HTTP at the API, over raw sockets so nothing is tidied up on the way: slow heads,
idle connections, oversized targets and headers, invalid parameters on every route of the
OpenAPI document, invalid `Last-Event-ID`, and stream clients that never read.

Every answer is checked against what docs/deploy.md ("Ports and limits") promises: a
4xx or 503-with-Retry-After refusal as JSON, never another 5xx, never a hang past the
timeouts. Values come from one seeded `random.Random`."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

# What a refusal may be (docs/deploy.md); 503 also needs Retry-After.
REFUSALS = {400, 404, 405, 408, 413, 414, 422, 429, 431, 503}
NOT_JSON_ROUTES = ("/v1/stream", "/dashboard", "/metrics", "/docs", "/redoc")

ODD_VALUES = [
    "", "-1", "0", "1e9", "99999999999999999999999999", "nan", "inf", "-inf", "null", "true",
    "x" * 300, "%00", "%ff%fe", "%C0%AF", "..%2F..%2Fetc%2Fpasswd", "' OR 1=1 --", "<script>",
    "é", "%F0%9F%95%8A", "%E2%80%AE", "a|b", "a>b", "dyad:russia|russia", "dyad:a>b>c",
    "actor:", "global:x", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00%2B05:00",
    "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-05:00", "2026-01-01T00:00:00",
    "2026-02-30T00:00:00Z", "1h", "7d", "1d", "desc", "asc", "%20", "%0d%0aX-Injected:%201",
]  # fmt: skip
ODD_LAST_EVENT_IDS = [
    "x", "-1", "a-b-c", "0-0", "boot-99999999999999999999999999999", "-", "--", " ",
    "x" * 5_000, "é", "1-1\x7f",
]  # fmt: skip


@dataclass
class Answer:
    what: str
    status: int  # 0: no status line (closed, reset, or nothing in time)
    headers: dict[str, str]
    body: bytes
    seconds: float
    error: str = ""

    def problem(self) -> str | None:
        """Why this answer breaks the promise, or None."""
        if self.status == 0:
            return f"no answer ({self.error or 'closed'}) after {self.seconds:.1f}s"
        if self.status >= 500 and self.status != 503:
            return f"status {self.status}"
        if self.status == 503 and "retry-after" not in self.headers:
            return "503 without Retry-After"
        if self.status >= 400:
            if not self.headers.get("content-type", "").startswith("application/json"):
                return f"status {self.status} not JSON ({self.headers.get('content-type')})"
            try:
                json.loads(self.body)
            except ValueError:
                return f"status {self.status} body not JSON: {self.body[:80]!r}"
        if self.status < 400 and self.status not in (200, 204, 301, 302, 304, 307, 308):
            return f"status {self.status}"
        return None


@dataclass
class Findings:
    answers: list[Answer] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    idle_closed: list[float] = field(default_factory=list)  # seconds until the server closed
    idle_open: int = 0  # idle connections still open at the deadline
    streamed_bytes: int = 0  # what a stream client that reads received
    slow_answers: list[Answer] = field(default_factory=list)
    never_read: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(
        default_factory=list
    )

    def check(self, answer: Answer) -> None:
        self.answers.append(answer)
        problem = answer.problem()
        if problem:
            self.problems.append(f"{answer.what}: {problem}")


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """The first answer in `raw` (a pipelined second request gets a second answer)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return 0, {}, raw
    headers = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("content-length", "").isdigit():
        body = body[: int(headers["content-length"])]
    return status, headers, body


async def exchange(
    host: str, port: int, request: bytes, what: str, deadline: float, head_only: bool = False
) -> Answer:
    """Send `request` whole and read the answer until the server closes (or, `head_only`,
    until the head is complete: a stream never ends)."""
    started = time.monotonic()
    raw = b""
    error = ""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        return Answer(what, 0, {}, b"", 0.0, f"connect: {exc!r}")
    try:
        writer.write(request)
        await writer.drain()

        async def read() -> None:
            nonlocal raw
            while chunk := await reader.read(65536):
                raw += chunk
                # A stream never ends: its head is enough; a refusal is read whole.
                if head_only and b"\r\n\r\n" in raw and raw.split(b" ", 2)[1:2] == [b"200"]:
                    return

        await asyncio.wait_for(read(), deadline)
    except TimeoutError:
        error = f"still open after {deadline:.0f}s"
    except OSError as exc:
        error = repr(exc)
    finally:
        writer.close()
    status, headers, body = parse(raw)
    seconds = time.monotonic() - started
    return Answer(what, status, headers, body, seconds, error if not status else "")


def get(target: str, headers: dict[str, str] | None = None, method: str = "GET") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


def targets(openapi: dict[str, Any], rng: random.Random) -> list[tuple[str, str]]:
    """(what, target) for every route and parameter of the OpenAPI document, with odd values."""
    out = []
    for path, item in openapi["paths"].items():
        if "get" not in item:
            continue
        params = item["get"].get("parameters", [])
        path_params = [p["name"] for p in params if p["in"] == "path"]
        query_params = [p["name"] for p in params if p["in"] == "query"]

        def fill(value: str, path: str = path, path_params: list[str] = path_params) -> str:
            for name in path_params:
                path = path.replace("{" + name + "}", value)
            return path

        plain = fill("russia")
        out.append((f"GET {plain}", plain))
        for value in ODD_VALUES:
            if path_params:
                out.append((f"GET {path} with path {value[:30]!r}", fill(quote(value, safe="%"))))
            for name in query_params:
                out.append((f"GET {path}?{name}={value[:30]}", f"{plain}?{name}={value}"))
        if query_params:  # every parameter odd at once, and repeated
            mixed = "&".join(f"{n}={rng.choice(ODD_VALUES)}" for n in query_params * 3)
            out.append((f"GET {path} all odd", f"{plain}?{mixed}"))
    return out


async def run_requests(
    host: str, port: int, requests: list[tuple[str, bytes, bool]], findings: Findings,
    deadline: float, parallel: int = 8,
) -> None:  # fmt: skip
    queue = list(requests)
    lock = asyncio.Lock()

    async def one_worker() -> None:
        while True:
            async with lock:
                if not queue:
                    return
                what, request, head_only = queue.pop()
            findings.check(await exchange(host, port, request, what, deadline, head_only))

    await asyncio.gather(*(one_worker() for _ in range(parallel)))


def oversized(rng: random.Random) -> list[tuple[str, bytes, bool]]:
    """Huge query strings and heads, bodies and methods the API does not take."""
    big = "x" * 20_000
    return [
        ("query of 5,000 bytes", get("/v1/actors?limit=1&q=" + "a" * 5_000), False),
        ("query of 100 KB", get("/v1/actors?q=" + "a" * 100_000), False),
        ("header of 20 KB", get("/healthz", {"X-Big": big}), False),
        ("300 headers", get("/healthz", {f"X-H{n}": "v" * 60 for n in range(300)}), False),
        ("cookie of 15 KB", get("/v1/global", {"Cookie": "a=" + "b" * 15_000}), False),
        ("Content-Length 10^12", get("/v1/global", {"Content-Length": str(10**12)}), False),
        ("Content-Length -1", get("/v1/global", {"Content-Length": "-1"}), False),
        ("body of 100 KB", get("/v1/global", {"Content-Length": "100000"}) + b"a" * 100_000,
         False),
        ("chunked body of 200 KB", get("/v1/global", {"Transfer-Encoding": "chunked"})
         + b"".join(b"1000\r\n" + b"a" * 4096 + b"\r\n" for _ in range(50)) + b"0\r\n\r\n",
         False),
        ("POST /v1/actors", get("/v1/actors", {"Content-Length": "2"}, "POST") + b"{}", False),
        ("PUT /metrics", get("/metrics", {"Content-Length": "0"}, "PUT"), False),
        ("DELETE /v1/global", get("/v1/global", method="DELETE"), False),
        ("garbage request line", b"\x00\x01\x02 garbage\r\n\r\n", False),
        ("no Host", b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", False),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", False),
        ("absolute target", get("http://evil.invalid/v1/global"), False),
        ("path of 10 KB", get("/v1/actors/" + "a" * 10_000), False),
        ("dot segments", get("/v1/../../../etc/passwd"), False),
        ("encoded NUL in path", get("/v1/actors/%00"), False),
        ("non-ASCII path", get("/v1/actors/\udcff\udcfe"), False),
        ("header injection", get("/healthz", {"X-A": "b\rX-C: d"}), False),
        ("X-Forwarded-For junk", get("/v1/global", {"X-Forwarded-For": "not an address, " * 50}),
         False),
        ("random bytes", bytes(rng.randrange(256) for _ in range(2_000)), False),
    ]  # fmt: skip


def last_event_ids() -> list[tuple[str, bytes, bool]]:
    return [
        (f"stream with Last-Event-ID {value[:20]!r}",
         get("/v1/stream", {"Last-Event-ID": value}), True)
        for value in ODD_LAST_EVENT_IDS
    ]  # fmt: skip


async def idle_connection(host: str, port: int, limit: float, findings: Findings) -> None:
    """Open and send nothing: the server must close it (408) within `limit` seconds."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        findings.problems.append(f"idle connection refused at connect: {exc!r}")
        return
    try:
        raw = await asyncio.wait_for(reader.read(), limit)
        findings.idle_closed.append(time.monotonic() - started)
        status = parse(raw)[0]
        if raw and status != 408:
            findings.problems.append(f"idle connection answered {status}: {raw[:80]!r}")
    except TimeoutError:
        findings.idle_open += 1
    except OSError:
        findings.idle_closed.append(time.monotonic() - started)
    finally:
        writer.close()


async def slow_head(host: str, port: int, limit: float, findings: Findings) -> None:
    """A request head a byte a second: 408 within `limit` seconds of the first byte."""
    request = get("/v1/global", {"X-Slow": "s" * 200})
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    raw = b""

    async def trickle() -> None:
        for byte in request:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1.0)

    sender = asyncio.ensure_future(trickle())
    try:
        raw = await asyncio.wait_for(reader.read(), limit)
    except (TimeoutError, OSError) as exc:
        findings.problems.append(f"slow head: no 408 within {limit:.0f}s ({exc!r})")
    finally:
        sender.cancel()
        writer.close()
    status, headers, body = parse(raw)
    answer = Answer("slow head", status, headers, body, time.monotonic() - started)
    findings.slow_answers.append(answer)
    if status != 408:
        findings.problems.append(f"slow head answered {status}: {raw[:100]!r}")
    elif answer.problem():
        findings.problems.append(f"slow head: {answer.problem()}")


async def never_read_stream(host: str, port: int, findings: Findings) -> None:
    """Subscribe to the stream with a tiny receive buffer and never read."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(get("/v1/stream"))
    await writer.drain()
    findings.never_read.append((reader, writer))


def exchange_sync(api: str, target: str) -> int:
    """The status of one GET (the head only), from outside an event loop."""
    host, port = api.removeprefix("http://").split(":")
    answer = asyncio.run(exchange(host, int(port), get(target), target, 10.0, head_only=True))
    return answer.status


async def reading_stream(host: str, port: int, seconds: float, findings: Findings) -> None:
    """A well-behaved stream client: how much the never-reading ones were offered."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(get("/v1/stream"))
    await writer.drain()
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            chunk = await asyncio.wait_for(reader.read(65536), left)
            if not chunk:
                findings.problems.append("the reading stream client was disconnected")
                return
            findings.streamed_bytes += len(chunk)
    except TimeoutError:
        pass
    finally:
        writer.close()
