"""Prepared answers: the bytes of a GET answer kept until the part of the view it shows
changes, and sent again as they are.

Most reads are the same few queries (every dashboard polls `/v1/actors?limit=50`, the
movers, the global index) over a view that changes once per worker batch at most. Building
such an answer (routing, parameters, ranking, pydantic serialisation) costs far more than
sending it, so an answer is built once per change of the view and its bytes are served
from here until then (issue #17: the API at half the speed of `/healthz`).

Only routes whose answer is a function of the request's path and query and of one part of
the view are listed (`CACHEABLE`); `/v1/articles` without `since` reads the clock and is
not. Only whole `200` answers are kept; errors and streams always go through the app. An
entry is stamped with the view's version of its part at the start of the request that
built it, so an answer built while the view changed is never served again. Middleware
outside this one (security headers, metrics, CORS, limits) runs for every request, hit or
not, and a hit is counted under the route that built it.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from detente_api.view import TensionView, ViewPart

# What each cacheable route shows of the view: its answers are valid while that part's
# version stays the same.
CACHEABLE: tuple[tuple[re.Pattern[str], ViewPart], ...] = (
    (re.compile(r"/v1/(actors|dyads|global|movers)(/.*)?"), "indices"),
    (re.compile(r"/v1/alerts"), "alerts"),
    (re.compile(r"/v1/articles/[^/]+"), "articles"),
)


@dataclass(frozen=True)
class _Answer:
    version: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any  # the FastAPI route that built it, for the request metrics


class PreparedAnswers:
    """ASGI middleware: at most `max_entries` answers of at most `max_answer_bytes` each,
    the least recently used dropped first."""

    def __init__(
        self,
        app: ASGIApp,
        view: TensionView,
        served: Counter,
        max_entries: int = 512,
        max_answer_bytes: int = 1 << 20,
    ) -> None:
        self.app = app
        self._view = view
        self._served = served  # by result: hit, or miss (built by the app)
        self._max_entries = max_entries
        self._max_answer_bytes = max_answer_bytes
        self._answers: OrderedDict[tuple[str, bytes], _Answer] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        part = None
        if scope["type"] == "http" and scope["method"] == "GET" and self._max_entries:
            part = next((p for pattern, p in CACHEABLE if pattern.fullmatch(scope["path"])), None)
        if part is None:
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        version = self._view.version(part)
        answer = self._answers.get(key)
        if answer is not None and answer.version == version:
            self._answers.move_to_end(key)
            self._served.labels("hit").inc()
            if answer.route is not None:
                scope["route"] = answer.route
            await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
            await send({"type": "http.response.body", "body": answer.body})
            return
        self._served.labels("miss").inc()
        start: Message | None = None
        chunks: list[bytes] = []
        whole = True

        async def keeping(message: Message) -> None:
            nonlocal start, whole
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                whole = whole and not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, keeping)
        if start is None or start["status"] != 200 or not whole or len(chunks) != 1:
            return
        body = chunks[0]
        if len(body) > self._max_answer_bytes:
            return
        headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", [])]
        self._answers[key] = _Answer(version, headers, body, scope.get("route"))
        self._answers.move_to_end(key)
        while len(self._answers) > self._max_entries:
            self._answers.popitem(last=False)
