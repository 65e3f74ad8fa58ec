"""Checks that a consumer hands over each partition's records one offset after another.

Faust (0.15) can, right after a rebalance, deliver a record twice in one batch and never
deliver another; its commit then passes the missing offset when it is alone at the head
(docs/guarantees.md, "Skipped records"). The worker checks every batch against the
offsets handed over before it: a hole means records may have been skipped. A record
skipped last in its partition leaves no hole behind it; the worker's watchdog finds it
instead, as a consumer position that stays past the records handed over while the
handlers are idle (`behind`).

A hole is not always a fault: a transactional producer's commit marker takes an offset
that no consumer is handed, and retention can delete records under a committed offset.
What a hole holds is a question for the broker (the worker reads it there, holes.py);
one that holds no records is then `accept`ed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gap:
    """Offsets `first`..`last` of a partition that the consumer went past without handing
    them over."""

    topic: str
    partition: int
    first: int
    last: int

    def __str__(self) -> str:
        return f"offsets {self.first}-{self.last} of {self.topic}[{self.partition}]"


class SkippedRecords(Exception):
    def __init__(self, gap: Gap) -> None:
        super().__init__(f"the consumer skipped {gap}")
        self.gap = gap


class OffsetContinuity:
    """The next offset expected from each partition.

    Within one consumer generation, a hole between two records counts. Across a rebalance
    the consumer starts again from the committed offset, so the first record of a new
    generation must not lie past it (`resumed_from`): a new owner that started further on
    would never apply the records in between, and its commit would make that permanent
    (seen in issue #13 after a frozen worker rejoined: offsets 308-318 of a partition were
    never handed over). A record fetched in an older generation may still be on its way
    and is not judged. A step back (a seek, or a record handed over twice) is accepted:
    handling a record again is harmless, since every output is fenced by its position."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, int], tuple[int, int]] = {}

    def admit(
        self,
        topic: str,
        partition: int,
        offset: int,
        generation: int,
        resumed_from: int | None = None,
    ) -> None:
        """Raises SkippedRecords when records before this one were never handed over.

        `resumed_from`: the committed offset the consumer started this partition from in
        this generation, when known."""
        key = (topic, partition)
        seen = self._next.get(key)
        if seen is not None and seen[0] > generation:
            return  # fetched before the latest rebalance: still on its way, not judged
        # Within a generation, the offset after the last one; at its first record, where
        # the consumer resumed.
        expected = seen[1] if seen is not None and seen[0] == generation else resumed_from
        if expected is not None and offset > expected:
            raise SkippedRecords(Gap(topic, partition, expected, offset - 1))
        self._next[key] = (generation, offset + 1)

    def accept(self, gap: Gap, generation: int) -> None:
        """`gap` is accounted for (it holds no records, or they were handled another way):
        the partition goes on from the offset after it in this generation."""
        key = (gap.topic, gap.partition)
        seen = self._next.get(key)
        if seen is None or seen[0] < generation or seen[1] <= gap.last:
            self._next[key] = (generation, gap.last + 1)

    def behind(self, positions: dict[tuple[str, int], int], generation: int) -> list[Gap]:
        """Partitions whose consumer position is past the next offset handed over in this
        generation: records taken from Kafka that have not reached the handlers (yet)."""
        gaps = []
        for (topic, partition), position in positions.items():
            seen = self._next.get((topic, partition))
            if seen is not None and seen[0] == generation and position > seen[1]:
                gaps.append(Gap(topic, partition, seen[1], position - 1))
        return gaps
