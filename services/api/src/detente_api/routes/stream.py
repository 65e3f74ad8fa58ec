"""`GET /v1/stream`: index updates and alerts as server-sent events (see `detente_api.stream`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.types import Receive, Scope, Send

from detente_api.deps import MetricsDep, SettingsDep, ViewDep
from detente_api.routes.params import require_known
from detente_api.server import DROPPED_KEY
from detente_api.stream import EVENT_ID_PATTERN, Subscription, event_stream

router = APIRouter(tags=["stream"])

_HEADERS = {
    "Cache-Control": "no-cache",
    # Reverse proxies (nginx) must not buffer the stream.
    "X-Accel-Buffering": "no",
}


class _EventStreamResponse(StreamingResponse):
    """Releases the subscription however the response ends, even if the body never starts
    (a client gone before the first byte) or the server gives up on the connection (a
    client that reads nothing: the server's write timeout, counted as an eviction)."""

    media_type = "text/event-stream"

    def __init__(
        self,
        content: AsyncIterator[str],
        subscription: Subscription,
        on_evicted: Callable[[], None],
    ) -> None:
        super().__init__(content, headers=_HEADERS)
        self._subscription = subscription
        self._on_evicted = on_evicted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._subscription.close()
            if scope.get(DROPPED_KEY) == "write_timeout":
                self._on_evicted()


@router.get(
    "/v1/stream",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`event: index` (an index update as on the `tension-indices` topic, "
            "without its `hourly` buckets), `event: alert` (a tension alert), `event: reset` "
            "(the `Last-Event-ID` is too old or from another process: reload the snapshot)",
        },
        429: {"description": "Too many stream clients from this address; retry later"},
        503: {"description": "Too many stream clients on this replica; retry later"},
    },
)
async def stream(
    request: Request,
    view: ViewDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    actor: Annotated[
        list[str] | None,
        Query(description="Only events about these actors (actor subjects, pairs with them)"),
    ] = None,
    kind: Annotated[
        list[Literal["index", "alert"]] | None, Query(description="Only these event kinds")
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(
            pattern=EVENT_ID_PATTERN,
            description="Resume after this event id (browsers send it on reconnect)",
        ),
    ] = None,
) -> StreamingResponse | JSONResponse:
    """Live index updates and alerts. Event ids are `<process>-<sequence>`: every replica
    numbers its own events, so a resume on another replica (or after a restart) starts with
    `event: reset`. A comment line keeps idle connections open."""
    for who in actor or []:
        require_known(view, "actor", who)
    bus = view.bus
    address = request.client.host if request.client else None
    if bus.closed:
        metrics.sse_refused.labels("shutting_down").inc()
        return JSONResponse(
            {"detail": "shutting down"}, status_code=503, headers={"Retry-After": "5"}
        )
    if bus.subscribers >= settings.max_sse_clients:
        metrics.sse_refused.labels("capacity").inc()
        return JSONResponse(
            {"detail": f"too many stream clients (limit {settings.max_sse_clients}); retry later"},
            status_code=503,
            headers={"Retry-After": "30"},
        )
    per_address = settings.max_sse_clients_per_address
    if bus.subscribers_from(address) >= per_address:
        metrics.sse_refused.labels("per_address").inc()
        return JSONResponse(
            {"detail": f"too many stream clients from this address (limit {per_address})"},
            status_code=429,
            headers={"Retry-After": "30"},
        )
    cursor, reset = bus.resume(last_event_id)
    subscription = bus.subscribe(on_close=metrics.sse_subscribers.dec, address=address)
    metrics.sse_subscribers.inc()
    body = event_stream(
        bus,
        subscription,
        cursor=cursor,
        reset=reset,
        kinds=kind,
        actors=actor,
        keepalive=settings.sse_keepalive_seconds,
    )
    return _EventStreamResponse(body, subscription, metrics.sse_evicted.inc)
