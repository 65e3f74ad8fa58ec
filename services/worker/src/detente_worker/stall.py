"""A worker that makes no progress while records wait for it restarts, and says where it
was stuck.

Seen in session 14 and again in session 18 (`tests/chaos/test_worker_killed.py`, kill -9 of
one of two workers, on a loaded machine): after the rebalance that followed the kill, the
survivor said "Worker ready" and then handled nothing for minutes, with records waiting and
no error logged, until the test gave up. The cause is not known yet. Whatever it is, a
worker in that state keeps heartbeating, so the group never moves its partitions: only the
worker itself can notice. So every `check_seconds` it asks: has any batch, or any run of
the classifier within one, finished in the last `stall_seconds`, and if not, do records
wait in its partitions? If they do, it logs what every task and thread was waiting on
(for the next person to read) and restarts itself (recovery.restart_now), as a crash and
restart would.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import io
import logging
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

log = logging.getLogger(__name__)

# The lag query goes through Faust's consumer thread; the check must not hang with it.
ASK_WITHIN_SECONDS = 10.0


class ProgressClock:
    """When the worker last made progress: a batch or a classify run finished, or a
    rebalance (after which the clock starts again)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._last = self._looked = now()

    def progressed(self) -> None:
        self._last = self._now()

    def still_for(self) -> float:
        return self._now() - self._last

    def since_last_look(self) -> float:
        """Time since the previous call: far more than the timer's interval means the
        process itself was stopped (SIGSTOP, a frozen VM), not stuck."""
        now = self._now()
        elapsed, self._looked = now - self._looked, now
        return elapsed


PROGRESS = ProgressClock()


async def stalled(
    clock: ProgressClock,
    stall_seconds: float,
    moving: bool,
    waiting: Callable[[], Awaitable[Mapping[tuple[str, int], int]]],
    interval: float = 15.0,
) -> dict[tuple[str, int], int] | None:
    """The partitions with records waiting, if the worker has made no progress for
    `stall_seconds` while they wait; None otherwise. `moving`: a rebalance or a table
    recovery is under way, which stops the flow on purpose (the clock starts again).
    `interval`: how often this is asked; a look much later than that follows a stop of
    the whole process, which is fencing.py's business, and the clock starts again too."""
    paused = clock.since_last_look() > 3 * interval
    if moving or paused:
        clock.progressed()
        return None
    if clock.still_for() < stall_seconds:
        return None
    try:
        found = await asyncio.wait_for(waiting(), ASK_WITHIN_SECONDS)
    except Exception:  # the broker unreachable: a restart would not help; look again later
        return None
    lags = {tp: lag for tp, lag in found.items() if lag > 0}
    if not lags:  # idle with nothing to do: fine; a record arriving now gets the full time
        clock.progressed()
        return None
    return lags


def await_chain(awaitable: Any) -> list[str]:
    """Where a suspended coroutine waits: each frame of its chain of awaits, outermost first
    (a task's own stack shows only the outermost one). An async generator's `asend` shows
    no frame of its own: a chain that ends at an `async for` waits for its next item."""
    where = []
    seen: set[int] = set()
    while awaitable is not None and id(awaitable) not in seen:
        seen.add(id(awaitable))
        frame = next(
            (getattr(awaitable, a) for a in ("cr_frame", "ag_frame", "gi_frame")
             if getattr(awaitable, a, None) is not None),
            None,
        )  # fmt: skip
        if frame is not None:
            code = frame.f_code
            where.append(f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}")
        awaitable = next(
            (getattr(awaitable, a) for a in ("cr_await", "ag_await", "gi_yieldfrom")
             if getattr(awaitable, a, None) is not None),
            None,
        )  # fmt: skip
    return where


def our_coroutines(package: str = "detente_worker") -> list[Any]:
    """Every suspended coroutine of `package`'s own code. A task's chain of awaits stops at
    an awaitable that is not a coroutine (Faust runs each agent as an `AwaitableActor`),
    so the agents' own coroutines are found in the heap instead."""
    return [
        found for found in gc.get_objects()
        if inspect.iscoroutine(found) and found.cr_frame is not None
        and package in found.cr_frame.f_code.co_filename
    ]  # fmt: skip


def where_everything_waits(limit: int = 12) -> str:
    """Our own suspended coroutines, every asyncio task's chain of awaits and every
    thread's stack (innermost `limit` frames)."""
    out = io.StringIO()
    for coroutine in our_coroutines():
        out.write(f"coroutine {coroutine.__qualname__}:\n")
        out.write("\n".join(await_chain(coroutine)) + "\n")
    for task in asyncio.all_tasks():
        out.write(f"task {task.get_name()}:\n")
        out.write("\n".join(await_chain(task.get_coro())) + "\n")
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or -1)
        if frame is not None:
            out.write(f"thread {thread.name}:\n")
            out.write("".join(traceback.format_stack(frame, limit=limit)))
    return out.getvalue()


async def check(
    app: Any,
    sources: Iterable[str],
    stall_seconds: float,
    lags: Callable[[Any, Iterable[str]], Awaitable[Mapping[tuple[str, int], int]]],
    restart: Callable[[str], Any],
    interval: float = 15.0,
) -> None:
    """The timer's body (agents.py wires it, every `interval` seconds): restart a worker
    stalled with work waiting."""
    sources = list(sources)
    moving = bool(app.rebalancing or app.in_recovery)
    waiting = await stalled(PROGRESS, stall_seconds, moving, lambda: lags(app, sources), interval)
    if waiting is None:
        return
    total = sum(waiting.values())
    where = ", ".join(f"{topic}[{partition}]: {lag}" for (topic, partition), lag in waiting.items())
    log.error("stalled; what every task and thread waits on:\n%s", where_everything_waits())
    restart(
        f"no batch finished for {PROGRESS.still_for():.0f} s while {total} records wait in "
        f"{len(waiting)} partitions ({where}; DETENTE_STALL_SECONDS={stall_seconds:g})"
    )
