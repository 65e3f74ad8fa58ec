"""Per-subject tension gauges with bounded cardinality: series only for the K most active
subjects (statements in their 24 h window), an operator allow-list and `global`; a subject
that falls out loses its series."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import Counter, Gauge

from detente.alerts import BASELINE_HOURS, SHORT_HOURS
from detente.events import IndexUpdate
from detente.indices import GLOBAL_SUBJECT, HOUR, WINDOWS, window_value

# Label values of `window` on the tension gauges: the index windows, the EWMA, and the
# subject's own baseline (the 6 days before its 24 h window, as the spike detector uses).
EWMA_WINDOW = "ewma"
BASELINE_WINDOW = "baseline"
# The lower bound of the 24 h index's 90 % interval: the spike alert's test of evidence.
LOW_WINDOW = "24h_low"
INDEX_WINDOWS: tuple[str, ...] = (*WINDOWS, EWMA_WINDOW, BASELINE_WINDOW, LOW_WINDOW)
STATEMENT_WINDOWS: tuple[str, ...] = (*WINDOWS, BASELINE_WINDOW)
# What ranks subjects for the top-K: statements in this window as of their latest update.
ACTIVITY_WINDOW = "24h"


@dataclasses.dataclass
class _Tracked:
    kind: str
    activity: int
    seen: float
    partition: int | None
    index_windows: set[str] = dataclasses.field(default_factory=set)
    statement_windows: set[str] = dataclasses.field(default_factory=set)
    # The series' children, looked up once: a label lookup costs a lock and a tuple, and an
    # exported subject sets a dozen series per update.
    children: dict[tuple[int, str], Any] = dataclasses.field(default_factory=dict)


class SubjectGauges:
    """Tension gauges for a bounded set of subjects: never one series per input string.

    A subject is exported if it is pinned (allow-list, `global`) or among the `top` most
    active; a newcomer displaces the least active exported subject only if strictly more
    active. Series of subjects that go idle, are displaced, or whose partition moved to
    another worker are removed.
    """

    def __init__(
        self,
        index: Gauge,
        statements: Gauge,
        exported: Gauge,
        dropped: Counter,
        *,
        top: int,
        pinned: Iterable[str] = (),
        idle_seconds: float = 24 * 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._index = index
        self._statements = statements
        self._exported = exported
        self._dropped = dropped
        self._top = top
        self._pinned = frozenset(pinned) | {GLOBAL_SUBJECT}
        self._idle = idle_seconds
        self._clock = clock
        self._tracked: dict[str, _Tracked] = {}

    @property
    def subjects(self) -> set[str]:
        return set(self._tracked)

    def observe(self, update: IndexUpdate, partition: int | None = None) -> bool:
        """Export `update` if its subject qualifies; True if it has series now."""
        window = update.windows.get(ACTIVITY_WINDOW)
        activity = window.statements if window is not None else 0
        entry = self._tracked.get(update.subject)
        if entry is None:
            if update.subject not in self._pinned and not self._make_room(activity):
                return False
            entry = _Tracked(update.subject_kind, activity, self._clock(), partition)
            self._tracked[update.subject] = entry
        entry.activity, entry.seen = activity, self._clock()
        if partition is not None:
            entry.partition = partition
        self._set(update, entry)
        self._exported.set(len(self._tracked))
        return True

    def sweep(self) -> None:
        """Remove subjects without an update for longer than the idle time."""
        horizon = self._clock() - self._idle
        for subject in [s for s, e in self._tracked.items() if e.seen < horizon]:
            self._drop(subject, "idle")

    def retain_partitions(self, partitions: Iterable[int]) -> None:
        """After a rebalance: drop subjects whose partition this process no longer owns."""
        owned = set(partitions)
        for subject in [
            s
            for s, e in self._tracked.items()
            if e.partition is not None and e.partition not in owned
        ]:
            self._drop(subject, "revoked")

    def _make_room(self, activity: int) -> bool:
        ranked = [
            (e.activity, e.seen, s) for s, e in self._tracked.items() if s not in self._pinned
        ]
        if len(ranked) < self._top:
            return True
        if not ranked:
            return False
        weakest_activity, _, weakest = min(ranked)
        if activity <= weakest_activity:
            return False
        self._drop(weakest, "displaced")
        return True

    def _set(self, update: IndexUpdate, entry: _Tracked) -> None:
        labels = (update.subject, update.subject_kind)
        baseline = _baseline(update)
        indices: dict[str, float | None] = {w: v.index for w, v in update.windows.items()}
        indices[EWMA_WINDOW] = update.ewma
        indices[BASELINE_WINDOW] = baseline.index if baseline is not None else None
        day = update.windows.get("24h")
        indices[LOW_WINDOW] = day.low if day is not None else None
        counts: dict[str, int | None] = {w: v.statements for w, v in update.windows.items()}
        counts[BASELINE_WINDOW] = baseline.statements if baseline is not None else None
        children = entry.children
        for which, (gauge, values, names, present) in enumerate((
            (self._index, indices, INDEX_WINDOWS, entry.index_windows),
            (self._statements, counts, STATEMENT_WINDOWS, entry.statement_windows),
        )):  # fmt: skip
            for name in names:  # only the known windows: the label stays bounded
                value = values.get(name)
                if value is None:
                    if name in present:
                        gauge.remove(*labels, name)
                        present.discard(name)
                        children.pop((which, name), None)
                else:
                    child = children.get((which, name))
                    if child is None:
                        child = children[which, name] = gauge.labels(*labels, name)
                    child.set(value)
                    present.add(name)

    def _drop(self, subject: str, reason: str) -> None:
        entry = self._tracked.pop(subject)
        for name in entry.index_windows:
            self._index.remove(subject, entry.kind, name)
        for name in entry.statement_windows:
            self._statements.remove(subject, entry.kind, name)
        self._dropped.labels(reason=reason).inc()
        self._exported.set(len(self._tracked))


def _baseline(update: IndexUpdate) -> Any:
    """The subject's index over the 6 days before its 24 h window (None without buckets)."""
    if not update.hourly:
        return None
    as_of_hour = int(update.as_of.timestamp()) // HOUR - 1
    return window_value(update.hourly, as_of_hour - SHORT_HOURS, BASELINE_HOURS - SHORT_HOURS)
