"""A worker that stops in bounded time once asked to.

Faust's graceful stop waits for the agents' batches, commits their offsets and leaves the
group, and it has no bound of its own: a worker rebalanced while stopping (the other
worker of two left first) was seen waiting 50 minutes on a commit that aiokafka retried
against a coordinator it had marked dead and never looked up again (docs/guarantees.md,
"Stopping in bounded time"). Kubernetes kills a pod that outlasts its grace period anyway,
so the worker gives up first, on its own terms: `stop_timeout_seconds` after its stop
began, it exits at once without committing anything more, as a crash would.

Nothing is lost by that: offsets are committed only for batches whose outputs were all
delivered (delivery.flush_outputs), so what was not committed is read again by whoever
owns the partitions next, and the replay fences make the second pass change nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

import faust

from detente_worker.settings import get_settings

log = logging.getLogger(__name__)

# EX_TEMPFAIL, as the other exits after which the uncommitted records are read again.
EXIT_STATUS = 75


def exit_now(why: str, status: int) -> None:
    log.critical(why)
    logging.shutdown()
    os._exit(status)


class StopDeadline:
    """Once armed, ends the process `seconds` later unless it has ended by then."""

    def __init__(self, seconds: float, expire: Callable[[str, int], object] = exit_now) -> None:
        self.seconds = seconds
        self._expire = expire
        self._timer: threading.Timer | None = None

    def arm(self) -> None:
        """Start counting (again calls change nothing: the first stop sets the bound)."""
        if self._timer is None:
            # A thread, not the event loop: the loop may be what is stuck.
            self._timer = threading.Timer(self.seconds, self._run_out)
            self._timer.daemon = True
            self._timer.name = "detente-stop-deadline"
            self._timer.start()

    def _run_out(self) -> None:
        self._expire(
            f"the worker did not stop within {self.seconds:g} s "
            "(DETENTE_STOP_TIMEOUT_SECONDS); exiting without committing more offsets: "
            "what was not committed is read again after the restart",
            EXIT_STATUS,
        )


# The app names the Worker class below and resolves it as it is created, so this module
# must not import the app (nor delivery.py, which does).
STOP_DEADLINE = StopDeadline(get_settings().stop_timeout_seconds)


class Worker(faust.Worker):
    """Faust's worker, with its stop bounded (the app's `Worker` setting names it)."""

    async def stop(self) -> None:
        # Every way of stopping goes through here: SIGTERM, SIGINT, a crash.
        STOP_DEADLINE.arm()
        await super().stop()
