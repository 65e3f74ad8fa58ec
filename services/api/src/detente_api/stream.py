"""The in-process event bus behind `GET /v1/stream` (server-sent events).

The view publishes every index update and alert it applies. Events are numbered by a
sequence that starts at 1 in each process and are kept in a ring buffer of the last
`size`; a subscriber is only a cursor into that buffer, so a slow client costs no memory
and never slows the others: if it falls out of the buffer it gets `event: reset`.

Event ids are `<boot>-<seq>`, `boot` being random per process: replicas (and restarts)
number their events independently, and an id from another process is never mistaken for
one of ours. Everything runs on the event loop, like the view.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass
from typing import Literal

EventKind = Literal["index", "alert"]
EVENT_ID_PATTERN = r"^[0-9a-f]{1,32}-[0-9]{1,18}$"
DEFAULT_BUFFER = 10_000
# Events written to the socket in one chunk at most (a resume can replay the whole buffer).
_CHUNK = 500
KEEPALIVE = ": keep-alive\n\n"


@dataclass(frozen=True, slots=True)
class StreamEvent:
    seq: int
    kind: EventKind
    subject: str
    actors: frozenset[str]
    data: str  # the JSON payload, serialised once


class Subscription:
    """One connected client; `close()` is idempotent and runs `on_close` once."""

    def __init__(
        self, bus: EventBus, on_close: Callable[[], None], address: str | None = None
    ) -> None:
        self._bus = bus
        self._on_close = on_close
        self.address = address
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus._release(self)
            self._on_close()


class EventBus:
    def __init__(self, size: int = DEFAULT_BUFFER, *, boot: str | None = None) -> None:
        if size < 1:
            raise ValueError("the event buffer needs room for at least one event")
        self.boot = boot if boot is not None else secrets.token_hex(4)
        self._ring: deque[StreamEvent] = deque(maxlen=size)
        self._seq = 0
        self._wakeup: asyncio.Event | None = None
        self._subscribers = 0
        self._per_address: dict[str, int] = {}
        self.closed = False

    @property
    def latest(self) -> int:
        """The sequence number of the newest event (0 before the first)."""
        return self._seq

    @property
    def subscribers(self) -> int:
        return self._subscribers

    def subscribers_from(self, address: str | None) -> int:
        """Open subscriptions of one client address (0 for an unknown address)."""
        return self._per_address.get(address, 0) if address is not None else 0

    def event_id(self, seq: int) -> str:
        return f"{self.boot}-{seq}"

    def close(self) -> None:
        """End every stream (the server is shutting down: clients reconnect elsewhere)."""
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()
            self._wakeup = None

    def publish(self, kind: EventKind, subject: str, actors: Collection[str], data: str) -> int:
        self._seq += 1
        self._ring.append(StreamEvent(self._seq, kind, subject, frozenset(actors), data))
        self._wake()
        return self._seq

    def after(self, seq: int, limit: int | None = None) -> list[StreamEvent] | None:
        """Buffered events after `seq`, oldest first (at most `limit`); None if some of
        them have already left the buffer."""
        missing = self._seq - seq
        if missing <= 0:
            return []
        if missing > len(self._ring):
            return None
        count = missing if limit is None else min(missing, limit)
        # From the right end: a live subscriber reads near the tail, where deques index fast.
        return [self._ring[-i] for i in range(missing, missing - count, -1)]

    async def wait(self, seq: int, seconds: float) -> None:
        """Until an event after `seq` is published, the bus closes, or `seconds` pass."""
        if self._seq > seq or self.closed:
            return
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)

    def subscribe(
        self, on_close: Callable[[], None] = lambda: None, *, address: str | None = None
    ) -> Subscription:
        self._subscribers += 1
        if address is not None:
            self._per_address[address] = self._per_address.get(address, 0) + 1
        return Subscription(self, on_close, address)

    def _release(self, subscription: Subscription) -> None:
        self._subscribers -= 1
        address = subscription.address
        if address is not None:
            left = self._per_address.get(address, 1) - 1
            if left > 0:
                self._per_address[address] = left
            else:
                self._per_address.pop(address, None)

    def resume(self, last_event_id: str | None) -> tuple[int, dict[str, str] | None]:
        """Where a client starts: (cursor, reset payload or None).

        No id: from now on. An id of this process still in the buffer: right after it.
        Otherwise (evicted, another replica, a restart): a reset, then from now on.
        """
        if last_event_id is None:
            return self._seq, None
        boot, _, number = last_event_id.rpartition("-")
        seq = int(number) if number.isdigit() else -1
        if boot != self.boot or not 0 <= seq <= self._seq:
            return self._seq, _reset("unknown_id", last_event_id)
        if self.after(seq, limit=0) is None:
            return self._seq, _reset("too_old", last_event_id)
        return seq, None


def _reset(reason: str, last_event_id: str) -> dict[str, str]:
    return {"reason": reason, "last_event_id": last_event_id}


def frame(event_id: str, kind: str, data: str) -> str:
    """One SSE event. `data` is single-line JSON, so it needs no `data:` continuation."""
    return f"id: {event_id}\nevent: {kind}\ndata: {data}\n\n"


def valid_event_id(value: str) -> bool:
    return re.fullmatch(EVENT_ID_PATTERN, value) is not None


async def event_stream(
    bus: EventBus,
    subscription: Subscription,
    *,
    cursor: int,
    reset: dict[str, str] | None = None,
    kinds: Collection[str] | None = None,
    actors: Collection[str] | None = None,
    keepalive: float = 15.0,
    clock: Callable[[], float] | None = None,
) -> AsyncIterator[str]:
    """The SSE body of one client: events after `cursor` that pass the filters, a
    keep-alive comment after `keepalive` seconds without output, until cancelled or the
    bus closes.

    `actors` keeps events whose subject involves any of them (so `global` never passes).
    """
    now = clock or asyncio.get_running_loop().time
    wanted_kinds = frozenset(kinds) if kinds else None
    wanted_actors = frozenset(actors) if actors else None

    def passes(event: StreamEvent) -> bool:
        if wanted_kinds is not None and event.kind not in wanted_kinds:
            return False
        return wanted_actors is None or not wanted_actors.isdisjoint(event.actors)

    try:
        yield ": connected\n\n"
        if reset is not None:
            yield frame(bus.event_id(cursor), "reset", json.dumps(reset))
        last_output = now()
        while not bus.closed:
            events = bus.after(cursor, limit=_CHUNK)
            if events is None:  # this client fell out of the buffer
                last = bus.event_id(cursor)
                cursor = bus.latest
                yield frame(bus.event_id(cursor), "reset", json.dumps(_reset("too_old", last)))
                last_output = now()
                continue
            if events:
                cursor = events[-1].seq
                chunk = "".join(
                    frame(bus.event_id(e.seq), e.kind, e.data) for e in events if passes(e)
                )
                if chunk:
                    yield chunk
                    last_output = now()
                continue
            quiet = now() - last_output
            if quiet >= keepalive:
                yield KEEPALIVE
                last_output = now()
                continue
            await bus.wait(cursor, keepalive - quiet)
    finally:
        subscription.close()
