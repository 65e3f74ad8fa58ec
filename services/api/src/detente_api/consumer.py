"""Background task that replays the indices, alerts and stances topics into the `TensionView`.

No consumer group: every API replica reads every partition from the beginning, so any replica
can answer any request and nothing is committed. The view is ready once each partition has
been read up to where it ended when the consumer started.

The alerts topic is newer than the others: while it does not exist the API serves without
alerts (and says so in its log), checks again now and then, and reads it once it appears.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from detente.events import IndexUpdate, StanceEvent, TensionAlert
from detente.kafka_config import KafkaConnection
from detente.topics import TopicNames
from detente_api.view import TensionView

log = logging.getLogger(__name__)

ConsumerFactory = Callable[[], Any]
RecordCallback = Callable[[str, str], None]


class TopicsMissing(RuntimeError):
    """The pipeline's topics do not exist yet (the worker or `detente-topics` creates them)."""


class TopicsAppeared(RuntimeError):
    """An optional topic was created since we started: reassign, resuming where we were."""


def kafka_consumer(kafka: KafkaConnection) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="detente-api",
        **kafka.aiokafka_options(),
    )


class ViewConsumer:
    def __init__(
        self,
        view: TensionView,
        kafka: KafkaConnection,
        *,
        factory: ConsumerFactory | None = None,
        on_record: RecordCallback | None = None,
        retry_initial_seconds: float = 1.0,
        retry_max_seconds: float = 30.0,
        poll_timeout_ms: int = 1000,
        max_records: int = 1000,
        recheck_topics_seconds: float = 30.0,
    ) -> None:
        self._view = view
        self._topics = TopicNames(kafka.topic_prefix)
        self._factory = factory or (lambda: kafka_consumer(kafka))
        self._on_record = on_record or (lambda topic, result: None)
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._poll_timeout_ms = poll_timeout_ms
        self._max_records = max_records
        self._delay = retry_initial_seconds
        self._recheck_seconds = recheck_topics_seconds
        self._missing_optional: list[str] = []
        # Where to resume after a reconnect: replaying from the start would briefly show
        # superseded indices (the compacted topic still holds uncompacted old values).
        self._positions: dict[TopicPartition, int] = {}

    async def run(self) -> None:
        """Consume until cancelled; any broker failure is logged and retried with backoff."""
        while True:
            consumer = self._factory()
            try:
                await consumer.start()
                await self._consume(consumer)
            except asyncio.CancelledError:
                raise
            except TopicsMissing as exc:
                log.warning("waiting for Kafka topics: %s", exc)
            except TopicsAppeared as exc:
                log.info("reading new topics: %s", exc)
                continue  # at once, from where each partition was (after `finally`)
            except Exception as exc:  # the API keeps serving whatever the broker does
                log.warning("Kafka consumer failed: %r", exc)
            finally:
                await self._stop(consumer)
            self._view.set_progress(lag=None, ready=False)
            log.info("reconnecting to Kafka in %.0fs", self._delay)
            await asyncio.sleep(self._delay)
            self._delay = min(self._delay * 2, self._retry_max)

    @staticmethod
    async def _stop(consumer: Any) -> None:
        try:
            await consumer.stop()
        except Exception as exc:
            log.debug("error while stopping the Kafka consumer: %r", exc)

    async def _consume(self, consumer: Any) -> None:
        partitions = await self._partitions(consumer)
        consumer.assign(partitions)
        # Readiness target: the end of every partition as it was when we started.
        targets: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        fresh = [tp for tp in partitions if tp not in self._positions]
        if fresh:
            await consumer.seek_to_beginning(*fresh)
        for tp in partitions:
            if tp in self._positions:
                consumer.seek(tp, self._positions[tp])
        log.info("reading %d partitions up to %d records", len(partitions), sum(targets.values()))
        self._delay = self._retry_initial
        await self._update_progress(consumer, partitions, targets)
        checked = time.monotonic()
        while True:
            if self._missing_optional and time.monotonic() - checked >= self._recheck_seconds:
                checked = time.monotonic()
                cluster = await consumer._client.fetch_all_metadata()
                appeared = [t for t in self._missing_optional if cluster.partitions_for_topic(t)]
                if appeared:
                    raise TopicsAppeared(", ".join(appeared))
            batches = await consumer.getmany(
                timeout_ms=self._poll_timeout_ms, max_records=self._max_records
            )
            for tp, records in batches.items():
                for record in records:
                    self.handle(tp.topic, record)
                if records:
                    self._positions[tp] = records[-1].offset + 1
            await self._update_progress(consumer, partitions, targets)

    async def _partitions(self, consumer: Any) -> list[TopicPartition]:
        # All-topics metadata: asking for named topics could auto-create them with the wrong
        # config (an uncompacted indices topic). The public `topics()` returns names only.
        cluster = await consumer._client.fetch_all_metadata()
        partitions: list[TopicPartition] = []
        for topic in (self._topics.indices, self._topics.stances):
            ids = cluster.partitions_for_topic(topic)
            if not ids:
                raise TopicsMissing(f"topic {topic!r} not found")
            partitions += [TopicPartition(topic, p) for p in sorted(ids)]
        alerts = cluster.partitions_for_topic(self._topics.alerts)
        if alerts:
            partitions += [TopicPartition(self._topics.alerts, p) for p in sorted(alerts)]
            self._missing_optional = []
        else:
            if self._missing_optional != [self._topics.alerts]:
                log.warning(
                    "topic %r not found: serving without alerts until it exists",
                    self._topics.alerts,
                )
            self._missing_optional = [self._topics.alerts]
        return partitions

    async def _update_progress(
        self, consumer: Any, partitions: list[TopicPartition], targets: dict[TopicPartition, int]
    ) -> None:
        lag = 0
        caught_up = True
        for tp in partitions:
            position: int = await consumer.position(tp)
            caught_up = caught_up and position >= targets[tp]
            # The highwater comes with each fetch; before the first one, the start end offset.
            end = consumer.highwater(tp)
            lag += max(0, (end if end is not None else targets[tp]) - position)
        if caught_up and not self._view.ready:
            log.info("view caught up with Kafka")
        self._view.set_progress(lag=lag, ready=caught_up)

    def handle(self, topic: str, record: ConsumerRecord[Any, Any]) -> None:
        """Apply one record to the view; a bad record is logged and skipped, never fatal."""
        result = "ok"
        try:
            if record.value is None:
                # Tombstone: only meaningful on the compacted indices topic.
                if topic == self._topics.indices and record.key is not None:
                    self._view.remove_subject(record.key.decode("utf-8"))
            elif topic == self._topics.indices:
                if not self._view.apply_index(IndexUpdate.model_validate_json(record.value)):
                    result = "stale"  # older than the subject's update already held
            elif topic == self._topics.alerts:
                self._view.apply_alert(TensionAlert.model_validate_json(record.value))
            else:
                self._view.apply_stance(StanceEvent.model_validate_json(record.value))
        except ValueError as exc:  # includes pydantic's ValidationError and bad UTF-8
            log.warning(
                "skipping invalid record %s[%d]@%d: %s",
                topic,
                record.partition,
                record.offset,
                str(exc)[:500],
            )
            self._on_record(topic, "invalid")
        except Exception:
            log.exception(
                "skipping record %s[%d]@%d after an error", topic, record.partition, record.offset
            )
            self._on_record(topic, "error")
        else:
            self._on_record(topic, result)
