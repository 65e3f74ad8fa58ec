"""The stall watchdog: a worker that makes no progress while records wait restarts."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from worker_support import consumed, run

from detente.offsets import OffsetContinuity
from detente_worker import recovery, stall


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lags_of(found: dict[tuple[str, int], int]) -> Any:
    async def waiting() -> dict[tuple[str, int], int]:
        return found

    return waiting


def looked_at_every(seconds: float, until: float, time: FakeTime, clock: Any, waiting: Any) -> Any:
    """The timer's looks every `seconds` up to `until` seconds on; the last one's answer."""
    found = None
    end = time.now + until
    while time.now < end:
        time.now += seconds
        found = run(stall.stalled(clock, 180, False, waiting))
    return found


def test_only_a_long_stillness_with_records_waiting_counts_as_a_stall() -> None:
    time = FakeTime()
    clock = stall.ProgressClock(time)
    waiting = lags_of({("articles", 0): 0, ("articles", 1): 7})
    assert looked_at_every(15, 165, time, clock, waiting) is None  # not long enough yet
    assert looked_at_every(15, 15, time, clock, waiting) == {("articles", 1): 7}
    assert run(stall.stalled(clock, 180, True, waiting)) is None  # a rebalance: clock restarts
    assert clock.still_for() == 0
    assert looked_at_every(15, 180, time, clock, lags_of({("articles", 1): 0})) is None
    assert clock.still_for() == 0  # idle with nothing to do: a new record gets the full time
    time.now += 10
    clock.progressed()  # a batch finished
    assert looked_at_every(15, 90, time, clock, waiting) is None


def test_a_stop_of_the_whole_process_is_no_stall() -> None:
    """SIGSTOP for five minutes: the first look after it finds a long stillness that was
    not the worker's (fencing.py restarts a worker stopped past its session)."""
    time = FakeTime()
    clock = stall.ProgressClock(time)
    waiting = lags_of({("articles", 1): 7})
    assert looked_at_every(15, 60, time, clock, waiting) is None
    time.now += 300
    assert run(stall.stalled(clock, 180, False, waiting)) is None
    assert clock.still_for() == 0
    assert looked_at_every(15, 180, time, clock, waiting) == {("articles", 1): 7}


def test_an_unreachable_broker_is_no_reason_to_restart() -> None:
    time = FakeTime()
    clock = stall.ProgressClock(time)
    looked_at_every(15, 300, time, clock, lags_of({}))
    time.now += 15

    async def unreachable() -> dict[tuple[str, int], int]:
        raise ConnectionError("broker down")

    assert run(stall.stalled(clock, 180, False, unreachable)) is None


def test_a_stalled_worker_logs_where_it_waits_and_restarts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = FakeTime()
    app = SimpleNamespace(rebalancing=False, in_recovery=False)
    restart = mock.Mock()

    async def lags(app: Any, sources: Any) -> dict[tuple[str, int], int]:
        assert list(sources) == ["articles", "index-contributions"]
        return {("articles", 2): 40, ("index-contributions", 0): 3}

    async def stuck_batch() -> None:
        await asyncio.sleep(3600)

    async def look() -> None:
        waiter = asyncio.get_running_loop().create_task(stuck_batch(), name="the-stuck-batch")
        await asyncio.sleep(0)
        try:
            await stall.check(app, ["articles", "index-contributions"], 180, lags, restart)
        finally:
            waiter.cancel()

    with (
        mock.patch.object(stall, "PROGRESS", stall.ProgressClock(time)),
        caplog.at_level(logging.ERROR, logger=stall.__name__),
    ):
        for _ in range(13):  # the timer's looks, 15 s apart, the worker still all along
            time.now += 15
            stall.PROGRESS.since_last_look()
        run(look())
    restart.assert_called_once()
    assert "43 records wait in 2 partitions" in restart.call_args.args[0]
    assert "articles[2]: 40" in restart.call_args.args[0]
    assert "the-stuck-batch" in caplog.text and "stuck_batch" in caplog.text


def test_our_own_coroutines_are_found_where_a_task_chain_stops() -> None:
    """Faust awaits each agent through an object that is no coroutine: the agent's own
    coroutine, and where it waits, is found in the heap."""

    class Opaque:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __await__(self) -> Any:
            return self.inner.__await__()

    async def main() -> str:
        never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = asyncio.ensure_future(
            Opaque(recovery.handle_batch("classify", never_handles(never), []))
        )
        await asyncio.sleep(0.01)
        try:
            return stall.where_everything_waits()
        finally:
            waiting.cancel()

    def never_handles(never: asyncio.Future[None]) -> Any:
        async def handle(records: Any) -> None:
            await never

        return handle

    with (
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(recovery.delivery, "flush_outputs", mock.AsyncMock()),
    ):
        report = run(main())
    assert "coroutine handle_batch:" in report
    assert "recovery.py" in report


def test_a_finished_batch_is_progress() -> None:
    time = FakeTime()

    async def handle(records: Any) -> None:
        pass

    with (
        mock.patch.object(stall, "PROGRESS", stall.ProgressClock(time)),
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(recovery, "committed_offset", return_value=5),
        mock.patch.object(recovery.delivery, "flush_outputs", mock.AsyncMock()),
    ):
        time.now += 100
        run(recovery.handle_batch("classify", handle, [consumed(5)]))
        assert stall.PROGRESS.still_for() == 0
