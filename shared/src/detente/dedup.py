"""Counting an article once: where each id was first read, and how long to remember it.

The worker remembers every article id it has counted (table `seen-articles`), so a replayed
file or a producer retry is skipped. Remembering forever would grow without bound, so an
id is forgotten once its article is older than its partition's event-time watermark minus
the allowed lateness, and an article that old is refused as late *before* the id lookup:
a forgotten id can never be counted twice. Pure functions over plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

Key = TypeVar("Key")


@dataclass(frozen=True)
class Sighting:
    """Where an article id was first read: partition, offset, and its publication hour."""

    partition: int
    offset: int
    hour: int | None  # None for entries written before publication hours were kept

    def encode(self) -> str:
        where = f"{self.partition}:{self.offset}"
        return where if self.hour is None else f"{where}@{self.hour}"

    @classmethod
    def decode(cls, value: str) -> Sighting:
        where, _, hour = value.partition("@")
        partition, _, offset = where.partition(":")
        return cls(int(partition), int(offset), int(hour) if hour else None)

    def same_position(self, partition: int, offset: int) -> bool:
        return (self.partition, self.offset) == (partition, offset)


class Watermarks:
    """The newest publication hour read so far on each partition of a topic (`articles` in
    stage one, `index-contributions` in stage two).

    Per partition, so the verdict on a record depends only on what came before it in its
    own partition, never on how partitions are spread over worker processes.
    """

    def __init__(self) -> None:
        self.hours: dict[int, int] = {}
        self.stale = True  # until built from what is remembered

    def invalidate(self) -> None:
        """The partitions changed hands: rebuild before the next verdict."""
        self.stale = True

    def observe(self, partition: int, hour: int) -> None:
        if hour > self.hours.get(partition, hour - 1):
            self.hours[partition] = hour

    def rebuild(self, sightings: Iterable[Sighting]) -> None:
        """Recompute from the remembered sightings (after a restart or a rebalance)."""
        self.rebuild_from((s.partition, s.hour) for s in sightings)

    def rebuild_from(self, hours: Iterable[tuple[int, int | None]]) -> None:
        """Recompute from (partition, hour) pairs; pairs without an hour are skipped."""
        self.hours.clear()
        for partition, hour in hours:
            if hour is not None:
                self.observe(partition, hour)
        self.stale = False

    def is_late(self, partition: int, hour: int, lateness_hours: int) -> bool:
        watermark = self.hours.get(partition)
        return watermark is not None and hour < watermark - lateness_hours

    def expired(self, remembered: Iterable[tuple[str, Sighting]], lateness_hours: int) -> list[str]:
        """The ids that no longer need remembering: any replay of them is refused as late."""
        return [
            article_id
            for article_id, sighting in remembered
            if sighting.hour is not None
            and self.is_late(sighting.partition, sighting.hour, lateness_hours)
        ]
