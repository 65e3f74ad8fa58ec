"""What the ingester has already handled, so that a restart or a second replica neither
sends nor fetches it again in bulk.

The state is the compacted topic `ingest-state` (key: a handled key, value: what became of
it): a stateless pod reads it back at start and follows it while running, so replicas see
each other's sends. Keys are article ids (`web-…` of the canonical URL) and the ids of the
feed links that led to them, so a known link is skipped without fetching its page.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

log = logging.getLogger(__name__)

Outcome = Literal["sent", "duplicate", "skipped_language", "abandoned"]


@dataclass(frozen=True)
class Handled:
    outcome: Outcome
    feed: str
    at: datetime
    article_id: str | None = None

    def to_json_bytes(self) -> bytes:
        value = {"outcome": self.outcome, "feed": self.feed, "at": self.at.isoformat()}
        return json.dumps({**value, "article_id": self.article_id}).encode("utf-8")

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> Handled:
        value = json.loads(raw)
        at = datetime.fromisoformat(value["at"])
        return cls(value["outcome"], value["feed"], at, value.get("article_id"))


class HandledItems(Protocol):
    def seen(self, key: str) -> bool: ...

    def mark(self, key: str, handled: Handled) -> None: ...

    def refresh(self) -> None:
        """Take in what other replicas handled since the last call."""


class MemoryState:
    """The handled keys in memory (the state of one run; the Kafka state's cache)."""

    def __init__(self) -> None:
        self.handled: dict[str, Handled] = {}

    def seen(self, key: str) -> bool:
        return key in self.handled

    def mark(self, key: str, handled: Handled) -> None:
        self.handled[key] = handled

    def refresh(self) -> None:
        pass


class KafkaState(MemoryState):
    """The handled keys, kept in a compacted topic and read back from it."""

    def __init__(
        self, consumer: KafkaConsumer, producer: KafkaProducer, topic: str, retention: timedelta
    ) -> None:
        super().__init__()
        self.consumer = consumer
        self.producer = producer
        self.topic = topic
        self.retention = retention

    def load(self, timeout_seconds: float = 120.0) -> int:
        """Read the topic to its end; forget (tombstone) entries older than the retention.
        Returns how many keys are remembered."""
        partitions = [
            TopicPartition(self.topic, p)
            for p in sorted(self.consumer.partitions_for_topic(self.topic) or ())
        ]
        if not partitions:
            raise RuntimeError(f"topic {self.topic} does not exist (run detente-topics)")
        self.consumer.assign(partitions)
        self.consumer.seek_to_beginning()
        end = self.consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout_seconds
        while any(self.consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {self.topic} took over {timeout_seconds:.0f}s")
            self._take(500)
        self._forget_older_than(datetime.now(UTC) - self.retention)
        return len(self.handled)

    def refresh(self) -> None:
        self._take(0)

    def _take(self, timeout_ms: int) -> None:
        for batch in self.consumer.poll(timeout_ms=timeout_ms).values():
            for record in batch:
                key = record.key.decode("utf-8")
                if record.value is None:
                    self.handled.pop(key, None)
                    continue
                try:
                    self.handled[key] = Handled.from_json_bytes(record.value)
                except (ValueError, KeyError, TypeError):
                    log.warning("ingest state: unreadable value for %s, ignored", key)

    def _forget_older_than(self, cutoff: datetime) -> None:
        expired = [key for key, handled in self.handled.items() if handled.at < cutoff]
        for key in expired:
            self.producer.send(self.topic, key=key.encode("utf-8"), value=None)
            del self.handled[key]
        if expired:
            self.producer.flush()
            log.info("ingest state: forgot %d entries older than %s", len(expired), cutoff)

    def mark(self, key: str, handled: Handled) -> None:
        """Written through: it returns once the broker has the record."""
        future = self.producer.send(
            self.topic, key=key.encode("utf-8"), value=handled.to_json_bytes()
        )
        future.get(timeout=60)
        super().mark(key, handled)
