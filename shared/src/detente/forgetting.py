"""Forgetting idle subjects (docs/indices.md, Forgetting). Pure functions over plain values.

Every actor and pair ever seen keeps a state in the worker's table, and actors found
outside the registry bring new ids without end, so the states of subjects gone quiet must
go, and go the same way on every run: a replay, a restart or another number of workers
must publish the same indices whether or not a sweep ran in between, and when.

Three rules make that so. With R the retention (the longest window) and L the allowed
lateness, in hours, and P the newest publication hour applied on a partition of
`index-contributions`:

1. A subject silent for longer than R before a contribution starts afresh when it gets it
   (`indices.apply`): nothing it held would have survived that contribution anyway.
2. A contribution older than P − (R + L) is refused as late on that partition
   (`behind_partition`), before the duplicate fence is asked, since a forgotten subject
   has no fence. Stage one already refuses an article older than its own partition's
   newest minus L; the extra R only matters when the `articles` partitions drift apart by
   more than R, as a replay of an archive may make them.
3. A subject whose watermark is older than P − (R + L) − R may be forgotten
   (`forgettable`): any contribution it could still get is, by rule 2, more than R
   younger than its watermark, so by rule 1 it would start afresh. Forgetting it early
   changes nothing that is published.

P only grows, depends only on the order of its partition, and is rebuilt after a restart
or a rebalance as the newest watermark among the partition's subjects (the subject that set
P is never forgettable, so it is still there).
"""

from __future__ import annotations

from typing import Any

from detente.indices import RETENTION_HOURS


def partition_lateness_hours(lateness_hours: int) -> int:
    """How far behind its partition's newest hour a contribution may be (rule 2)."""
    return RETENTION_HOURS + lateness_hours


def behind_partition(hour: int, partition_hour: int | None, lateness_hours: int) -> bool:
    """Rule 2: is a contribution of `hour` too old for a partition whose newest is
    `partition_hour` (None: nothing applied there yet)?"""
    if partition_hour is None:
        return False
    return hour < partition_hour - partition_lateness_hours(lateness_hours)


def forgettable(state: dict[str, Any], partition_hour: int | None, lateness_hours: int) -> bool:
    """Rule 3: may a subject with `state` be forgotten, on a partition whose newest hour is
    `partition_hour`? Its last index stays published until a tombstone replaces it."""
    watermark: int | None = state.get("watermark_hour")
    if watermark is None or partition_hour is None:
        return False
    horizon = partition_hour - partition_lateness_hours(lateness_hours) - RETENTION_HOURS
    return watermark < horizon
