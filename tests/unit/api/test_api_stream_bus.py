"""The event bus and the SSE generator behind /v1/stream, driven directly on an event loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from detente_api.stream import KEEPALIVE, EventBus, event_stream, frame, valid_event_id


def parse(chunks: list[str]) -> list[dict[str, str]]:
    """SSE text -> events as {field: value}; comments become {"comment": text}."""
    events = []
    for block in "".join(chunks).split("\n\n"):
        if not block:
            continue
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                fields["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(": ")
                fields[name] = value
        events.append(fields)
    return events


def test_publish_numbers_events_and_buffers_the_last_ones():
    bus = EventBus(size=3, boot="abc")
    assert bus.latest == 0 and bus.after(0) == []
    for n in range(5):
        bus.publish("index", f"actor:a{n}", [f"a{n}"], json.dumps({"n": n}))

    assert bus.latest == 5
    assert [e.seq for e in bus.after(2)] == [3, 4, 5]
    assert [e.seq for e in bus.after(3, limit=1)] == [4]
    assert bus.after(5) == []
    assert bus.after(1) is None  # event 2 has left the buffer
    assert bus.event_id(4) == "abc-4"


def test_resume_from_an_id_in_the_buffer_or_reset():
    bus = EventBus(size=3, boot="abc")
    for _ in range(5):
        bus.publish("alert", "global", [], "{}")

    assert bus.resume(None) == (5, None)
    assert bus.resume("abc-3") == (3, None)
    assert bus.resume("abc-5") == (5, None)
    assert bus.resume("abc-1") == (5, {"reason": "too_old", "last_event_id": "abc-1"})
    # Another process (replica, restart) or a future id: unknown.
    assert bus.resume("def-3")[1] == {"reason": "unknown_id", "last_event_id": "def-3"}
    assert bus.resume("abc-9")[1]["reason"] == "unknown_id"


def test_event_ids_are_boot_and_sequence():
    assert valid_event_id(EventBus().event_id(12))
    assert not valid_event_id("12")
    assert not valid_event_id("abc-")
    assert not valid_event_id("abc-1\nevent: x")
    assert EventBus().boot != EventBus().boot


def test_frame_is_one_sse_event():
    assert frame("a-1", "index", '{"x":1}') == 'id: a-1\nevent: index\ndata: {"x":1}\n\n'


async def take(stream: AsyncIterator[str], count: int, seconds: float = 2.0) -> list[str]:
    chunks = []
    async with asyncio.timeout(seconds):
        while len(parse(chunks)) < count:
            chunks.append(await anext(stream))
    return chunks


def test_stream_sends_live_events_that_pass_the_filters_then_closes_the_subscription():
    async def scenario() -> None:
        bus = EventBus(boot="b0")
        closed = []
        subscription = bus.subscribe(on_close=lambda: closed.append(True))
        assert bus.subscribers == 1
        stream = event_stream(
            bus, subscription, cursor=bus.latest, kinds=["index"], actors=["russia"]
        )
        assert parse(await take(stream, 1)) == [{"comment": "connected"}]

        bus.publish("index", "actor:france", ["france"], '{"s":"france"}')
        bus.publish("alert", "actor:russia", ["russia"], '{"s":"alert"}')
        bus.publish("index", "global", [], '{"s":"global"}')
        bus.publish("index", "dyad:france|russia", ["france", "russia"], '{"s":"dyad"}')
        events = parse(await take(stream, 1))
        assert events == [{"id": "b0-4", "event": "index", "data": '{"s":"dyad"}'}]

        await stream.aclose()
        assert closed == [True] and bus.subscribers == 0
        subscription.close()  # idempotent
        assert closed == [True] and bus.subscribers == 0

    asyncio.run(scenario())


def test_stream_without_filters_sends_everything_in_order():
    async def scenario() -> None:
        bus = EventBus(boot="b0")
        stream = event_stream(bus, bus.subscribe(), cursor=0)
        for n in range(3):
            bus.publish("index" if n % 2 else "alert", "global", [], str(n))
        events = parse(await take(stream, 4))[1:]
        assert [(e["id"], e["event"], e["data"]) for e in events] == [
            ("b0-1", "alert", "0"),
            ("b0-2", "index", "1"),
            ("b0-3", "alert", "2"),
        ]
        await stream.aclose()

    asyncio.run(scenario())


def test_stream_resumes_from_the_buffer_and_starts_with_a_reset_when_asked():
    async def scenario() -> None:
        bus = EventBus(size=10, boot="b0")
        for n in range(4):
            bus.publish("index", "global", [], str(n))
        cursor, reset = bus.resume("b0-2")
        resumed = event_stream(bus, bus.subscribe(), cursor=cursor, reset=reset)
        assert [e.get("id") for e in parse(await take(resumed, 3))] == [None, "b0-3", "b0-4"]
        await resumed.aclose()

        cursor, reset = bus.resume("zz-2")
        fresh = event_stream(bus, bus.subscribe(), cursor=cursor, reset=reset)
        events = parse(await take(fresh, 2))
        assert events[1]["event"] == "reset" and events[1]["id"] == "b0-4"
        assert json.loads(events[1]["data"]) == {"reason": "unknown_id", "last_event_id": "zz-2"}
        bus.publish("index", "global", [], "live")
        assert parse(await take(fresh, 1)) == [{"id": "b0-5", "event": "index", "data": "live"}]
        await fresh.aclose()

    asyncio.run(scenario())


def test_a_client_that_falls_out_of_the_buffer_gets_a_reset_and_goes_on():
    async def scenario() -> None:
        bus = EventBus(size=2, boot="b0")
        stream = event_stream(bus, bus.subscribe(), cursor=0)
        await take(stream, 1)
        for n in range(5):  # the client reads nothing meanwhile
            bus.publish("index", "global", [], str(n))
        events = parse(await take(stream, 1))
        assert events[0]["event"] == "reset" and events[0]["id"] == "b0-5"
        assert json.loads(events[0]["data"])["reason"] == "too_old"
        bus.publish("index", "global", [], "next")
        assert parse(await take(stream, 1))[0]["data"] == "next"
        await stream.aclose()

    asyncio.run(scenario())


def test_keepalive_comment_after_the_quiet_interval_even_if_filtered_events_flow():
    async def scenario() -> None:
        bus = EventBus(boot="b0")
        stream = event_stream(bus, bus.subscribe(), cursor=0, kinds=["alert"], keepalive=0.05)
        await take(stream, 1)

        async def noise() -> None:
            for _ in range(20):
                bus.publish("index", "global", [], "{}")
                await asyncio.sleep(0.01)

        task = asyncio.create_task(noise())
        chunks = await take(stream, 1, seconds=1.0)
        assert chunks == [KEEPALIVE]
        await task
        await stream.aclose()

    asyncio.run(scenario())


def test_cancelling_a_waiting_stream_closes_its_subscription():
    async def scenario() -> None:
        bus = EventBus(boot="b0")
        closed = []
        stream = event_stream(bus, bus.subscribe(lambda: closed.append(1)), cursor=0)

        async def consume() -> None:
            async for _ in stream:
                pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.05)  # waiting for events
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert closed == [1] and bus.subscribers == 0

    asyncio.run(scenario())


def test_closing_the_bus_ends_every_stream():
    async def scenario() -> None:
        bus = EventBus(boot="b0")
        closed = []
        stream = event_stream(bus, bus.subscribe(lambda: closed.append(1)), cursor=0)
        await take(stream, 1)
        waiting = asyncio.create_task(anext(stream))
        await asyncio.sleep(0.02)
        assert not waiting.done()

        bus.close()

        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(waiting, 1.0)
        assert closed == [1] and bus.subscribers == 0

    asyncio.run(scenario())
