"""Stage two forgets subjects gone idle (rules in detente.forgetting, docs/indices.md).

A sweep runs inside stage two's batches, so nothing else writes `index-state` meanwhile. It
sends a tombstone for each forgettable subject on `tension-indices` (readers drop the
subject) and only at the next sweep, once the batch that carried the tombstones has been
delivered, deletes the states still forgettable. A crash in between leaves a state that the
next sweep tombstones again: a subject is never gone from the table while its last index
is still published.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from typing import Any

from detente.dedup import Watermarks
from detente.forgetting import forgettable
from detente_worker import delivery, metrics
from detente_worker.app import app, settings
from detente_worker.classify import subject_partition
from detente_worker.engine import lateness_hours
from detente_worker.tables import index_state
from detente_worker.topics import contributions_topic, indices_topic

log = logging.getLogger(__name__)

# The newest publication hour applied on each partition of `index-contributions`, rebuilt
# from the subjects' watermarks after partitions are assigned (detente.forgetting, P).
subject_clock = Watermarks()


def rebuild_clock() -> None:
    subject_clock.rebuild_from(
        (subject_partition(key.decode()), state.get("watermark_hour"))
        for key, state in index_state.items()
    )


class Sweeper:
    """Tombstones now, deletions one sweep later."""

    def __init__(self) -> None:
        self.tombstoned: set[bytes] = set()
        self.last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last >= settings.idle_subject_sweep_seconds

    async def sweep(self, owned: Collection[int]) -> int:
        """Delete the states tombstoned at the last sweep that are still forgettable, and
        tombstone those that became so; how many states were deleted."""
        self.last = time.monotonic()
        lateness = lateness_hours()

        def idle(key: bytes, state: Any) -> bool:
            partition = subject_partition(key.decode())
            hour = subject_clock.hours.get(partition)
            return partition in owned and forgettable(state, hour, lateness)

        deleted = 0
        for key in sorted(self.tombstoned):
            state = index_state.get(key)
            if state is not None and idle(key, state):
                del index_state[key]
                deleted += 1
        self.tombstoned.clear()
        for key, state in list(index_state.items()):
            if idle(key, state):
                await delivery.send(indices_topic, key=key, value=None)
                self.tombstoned.add(key)
        metrics.SUBJECTS_FORGOTTEN.inc(deleted)
        if deleted or self.tombstoned:
            log.info(
                "idle subjects: %d forgotten, %d tombstoned (partitions %s, newest hours %s)",
                deleted, len(self.tombstoned), sorted(owned), subject_clock.hours,
            )  # fmt: skip
        return deleted


sweeper = Sweeper()


def owned_partitions() -> set[int]:
    """The partitions of `index-contributions` this process owns (not its standbys)."""
    name = contributions_topic.get_topic_name()
    return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == name}


async def sweep_if_due() -> None:
    if sweeper.due():
        await sweeper.sweep(owned_partitions())
