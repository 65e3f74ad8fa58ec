"""What the ingester has already handled, so that a restart or a second replica neither
sends nor fetches it again in bulk.

The state is the compacted topic `ingest-state` (key: a handled key, value: what became of
it): a stateless pod reads it back at start and follows it while running, so replicas see
each other's sends. Keys are article ids (`web-…` of the canonical URL) and the ids of the
feed links that led to them, so a known link is skipped without fetching its page. Beside
them, in keys of their own (`feed:<url>`), each feed's conditional-GET validators (ETag,
Last-Modified), so that the first poll after a restart can still be answered 304.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from detente.kafka_config import KafkaConnection
from detente_producer.ingest.fetch import Validators

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


# Keys of feed validators; handled keys are article ids (`web-…`), never this.
FEED_KEY_PREFIX = "feed:"


@dataclass(frozen=True)
class KeptValidators:
    """A feed's validators as kept in the state, and when they were kept."""

    validators: Validators
    at: datetime

    def to_json_bytes(self) -> bytes:
        value = {"etag": self.validators.etag, "last_modified": self.validators.last_modified}
        return json.dumps({**value, "at": self.at.isoformat()}).encode("utf-8")

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> KeptValidators:
        value = json.loads(raw)
        validators = Validators(value.get("etag"), value.get("last_modified"))
        return cls(validators, datetime.fromisoformat(value["at"]))


class HandledItems(Protocol):
    def seen(self, key: str) -> bool: ...

    def mark(self, key: str, handled: Handled) -> None: ...

    def refresh(self) -> None:
        """Take in what other replicas handled since the last call."""

    def validators(self, feed_url: str) -> Validators | None:
        """The validators kept for the feed, if any."""

    def keep_validators(self, feed_url: str, validators: Validators, at: datetime) -> None:
        """Keep them for the next poll of the feed, by this process or another."""


class MemoryState:
    """The handled keys and feed validators in memory (the state of one run; the Kafka
    state's cache). Safe to use from several polling threads."""

    def __init__(self) -> None:
        self.handled: dict[str, Handled] = {}
        self.feed_validators: dict[str, KeptValidators] = {}
        self._lock = threading.RLock()

    def seen(self, key: str) -> bool:
        return key in self.handled

    def mark(self, key: str, handled: Handled) -> None:
        with self._lock:
            self.handled[key] = handled

    def refresh(self) -> None:
        pass

    def validators(self, feed_url: str) -> Validators | None:
        kept = self.feed_validators.get(feed_url)
        return kept.validators if kept is not None else None

    def keep_validators(self, feed_url: str, validators: Validators, at: datetime) -> None:
        with self._lock:
            self.feed_validators[feed_url] = KeptValidators(validators, at)


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

    @classmethod
    def connect(
        cls, kafka: KafkaConnection, producer: KafkaProducer, topic: str, retention: timedelta
    ) -> KafkaState:
        """A state on `topic` with a consumer of its own (assigned, never in a group) and
        the given producer, which may also send the articles. Raises KafkaTimeoutError when
        no broker answers within 10 s."""
        consumer = KafkaConsumer(
            **kafka.client_options(), client_id="detente-ingest-state",
            enable_auto_commit=False, bootstrap_timeout_ms=10_000,
        )  # fmt: skip
        return cls(consumer, producer, topic, retention)

    def _partitions(self, wait_seconds: float = 30.0) -> list[int]:
        """The topic's partitions. A topic created a moment ago may be missing from the
        metadata for a while (seen in CI right after the topics were made; 22 s on a test
        broker holding a thousand topics), so ask again before calling it missing."""
        deadline = time.monotonic() + wait_seconds
        while True:
            found = self.consumer.partitions_for_topic(self.topic)
            if found or time.monotonic() >= deadline:
                return sorted(found or ())
            time.sleep(0.2)

    def load(self, timeout_seconds: float = 120.0) -> int:
        """Read the topic to its end; forget (tombstone) entries older than the retention.
        Returns how many keys are remembered."""
        partitions = [TopicPartition(self.topic, p) for p in self._partitions()]
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
        with self._lock:  # the consumer is not thread-safe
            self._take(0)

    def _take(self, timeout_ms: int) -> None:
        for batch in self.consumer.poll(timeout_ms=timeout_ms).values():
            for record in batch:
                key = record.key.decode("utf-8")
                feed_url = (
                    key.removeprefix(FEED_KEY_PREFIX) if key.startswith(FEED_KEY_PREFIX) else None
                )
                if record.value is None:
                    if feed_url is not None:
                        self.feed_validators.pop(feed_url, None)
                    else:
                        self.handled.pop(key, None)
                    continue
                try:
                    if feed_url is not None:
                        self.feed_validators[feed_url] = KeptValidators.from_json_bytes(
                            record.value
                        )
                    else:
                        self.handled[key] = Handled.from_json_bytes(record.value)
                except (ValueError, KeyError, TypeError):
                    log.warning("ingest state: unreadable value for %s, ignored", key)

    def _forget_older_than(self, cutoff: datetime) -> None:
        expired = [key for key, handled in self.handled.items() if handled.at < cutoff]
        expired_feeds = [url for url, kept in self.feed_validators.items() if kept.at < cutoff]
        for key in [*expired, *(FEED_KEY_PREFIX + url for url in expired_feeds)]:
            self.producer.send(self.topic, key=key.encode("utf-8"), value=None)
        for key in expired:
            del self.handled[key]
        for url in expired_feeds:
            del self.feed_validators[url]
        if expired or expired_feeds:
            self.producer.flush()
            log.info("ingest state: forgot %d entries older than %s",
                     len(expired) + len(expired_feeds), cutoff)  # fmt: skip

    def _write(self, key: str, value: bytes) -> None:
        """Written through: it returns once the broker has the record."""
        future = self.producer.send(self.topic, key=key.encode("utf-8"), value=value)
        future.get(timeout=60)

    def mark(self, key: str, handled: Handled) -> None:
        self._write(key, handled.to_json_bytes())
        super().mark(key, handled)

    def keep_validators(self, feed_url: str, validators: Validators, at: datetime) -> None:
        """Written only when they changed: an unchanged feed costs no record per poll."""
        if self.validators(feed_url) == validators:
            return
        kept = KeptValidators(validators, at)
        self._write(FEED_KEY_PREFIX + feed_url, kept.to_json_bytes())
        super().keep_validators(feed_url, validators, at)
