"""A worker that was stopped long enough to lose its partitions writes nothing more.

A process stopped whole (SIGSTOP, a stalled VM, a long GC pause, CPU throttling) stops
heartbeating; past the session timeout the group hands its partitions to another worker.
When it wakes, its event loop carries on with the batch in hand before the consumer
thread learns that it is no longer a member, and without a guard that batch's state and
index writes land after its successor's. `PauseWatch` notices such a stop from inside the
process: a thread ticks every `interval` seconds, and a tick that comes late by more than
`threshold` means every thread was stopped that long. The stages call `ensure_still_member`
before they write; after a long stop it restarts the worker (as a crash would: nothing
acknowledged, the batch read again by whoever owns its partitions now).

What a stop between that check and the broker still lets through is dropped by the
readers: `index-state` keeps the newest state of a subject when read back
(`tables.FencedTable`), the API the update with the most articles (docs/guarantees.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from detente_worker import metrics, recovery
from detente_worker.app import settings


class PauseWatch:
    """Records whether the whole process was stopped for `threshold` seconds or more."""

    def __init__(
        self, threshold: float, interval: float = 0.1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self._interval = interval
        self._clock = clock
        self._last_tick: float | None = None  # None until started: nothing is watched
        self.longest_pause = 0.0  # since the watch started

    def start(self) -> None:
        self._last_tick = self._clock()
        threading.Thread(target=self._run, name="detente-pause-watch", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self._interval)
            self.tick()

    def tick(self) -> None:
        now = self._clock()
        if self._last_tick is not None:
            self.longest_pause = max(self.longest_pause, now - self._last_tick - self._interval)
        self._last_tick = now

    def stopped_too_long(self) -> bool:
        """Was the process stopped for `threshold` or more, now included (the tick that
        would have seen a stop that just ended may not have run yet)?"""
        if self._last_tick is None:
            return False
        pending = self._clock() - self._last_tick - self._interval
        return max(self.longest_pause, pending) >= self.threshold


def safe_pause_seconds(session_timeout: float, heartbeat_interval: float) -> float:
    """The longest stop that cannot have cost the membership: the broker expires a session
    `session_timeout` after the last heartbeat it received, which went out up to one
    heartbeat interval before the stop began; one more interval for the margin."""
    return max(session_timeout - 2 * heartbeat_interval, heartbeat_interval)


PAUSE_WATCH = PauseWatch(
    safe_pause_seconds(settings.session_timeout_seconds, settings.heartbeat_interval_seconds)
)


def ensure_still_member() -> None:
    """Called before a stage writes: after a stop that may have cost the partitions, restart
    instead, before anything of the batch is written or acknowledged."""
    if PAUSE_WATCH.stopped_too_long():
        metrics.STALE_WRITES.labels(where="paused").inc()
        recovery.restart_now(
            f"the worker was stopped for {PAUSE_WATCH.longest_pause:.1f} s or more, past the "
            f"{PAUSE_WATCH.threshold:.1f} s its group membership is sure to survive; its "
            "partitions may have a new owner"
        )
