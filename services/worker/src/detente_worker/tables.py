"""Faust tables: changelogged state, co-partitioned with the topic whose agent updates it.

Values are plain JSON (no `value_type`): Faust would call `.from_data` on a value type when
it restores a table from its changelog, which builtins such as dict do not have.

`use_partitioner`: the agents handle records in batches, so there is no single "current
event" whose partition a write could borrow. Each key's changelog partition comes from the
same default partitioner (murmur2 of the key bytes) that placed its input record, which
keeps the table co-partitioned with `articles` (key: article id) and `index-contributions`
(key: subject) — provided the key bytes are the same. Hence keys are `bytes`, which Faust
writes raw: a `str` key would be written as JSON (`"global"`, quotes included), hash to
another partition, and put a subject's state in another worker's changelog partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import faust
from faust.types import EventT
from pydantic_core import to_json

from detente.indices import superseded
from detente_worker import delivery, metrics
from detente_worker.app import app, settings


class DirectTable(faust.Table):
    """A table whose writes by the stages (`write`) reach its changelog as their outputs do:
    straight to the producer, delivered before the batch is acknowledged
    (`delivery.flush_outputs`). Faust's own path for a table write (a future message, its
    producer buffer, a background flush, a callback) cost the worker about as much as all
    its index maths; the record is what Faust reads back: the key's bytes from the
    changelog topic's own serializer, placed by the producer's partitioner
    (`use_partitioner`), the value JSON that the table's codec decodes to the same value,
    and the persisted offset kept as Faust keeps it."""

    async def write(self, key: bytes, value: Any) -> None:
        topic = self.changelog_topic
        raw_key, _ = topic.prepare_key(key, self.key_serializer)
        # JSON as Faust's codec reads it back, written by pydantic-core: an index state is
        # mostly floats, which the json module formats about three times slower (74 against
        # 26 µs a state, docs/performance.md); only spacing and escapes differ.
        raw_value = to_json(value)
        self.data[key] = value
        self._sensor_on_set(self, key, value)
        delivered = await delivery.send(topic, key=raw_key, value=raw_value)
        delivered.add_done_callback(self._on_written)

    def _on_written(self, delivered: asyncio.Future[Any]) -> None:
        """What Faust's `_on_changelog_sent` does (it takes a Faust message): remember the
        changelog offset a persistent store holds the key up to. A failed write makes
        `flush_outputs` exit before anything is acknowledged."""
        if delivered.cancelled() or delivered.exception() is not None:
            return
        sent = delivered.result()
        if sent is None:  # a test's producer
            return
        if self.app.in_transaction:
            self.app.tables.persist_offset_on_commit(self.data, sent.topic_partition, sent.offset)
        else:
            self.data.set_persisted_offset(sent.topic_partition, sent.offset)


class FencedTable(DirectTable):
    """A table whose changelog, read back, never lets an older value replace a newer one.

    Faust replays a changelog in offset order, so the last write of a key wins. A worker
    frozen past its session timeout can wake up and write a key after the partition's new
    owner did; its value is older although its offset is higher. `is_older(value, held)`
    recognises such a value, and it is skipped, on restore and on standby replicas alike.
    """

    def __init__(self, *args: Any, is_older: Callable[[Any, Any], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._is_older = is_older

    def apply_changelog_batch(self, batch: Iterable[EventT]) -> None:
        super().apply_changelog_batch(self._newest(batch))

    def _newest(self, batch: Iterable[EventT]) -> Iterator[EventT]:
        held: dict[Any, Any] = {}  # values passed on in this batch, not yet in the store
        for event in batch:
            key = self._to_key(event.key)
            value = event.value if event.message.value is not None else None
            current = held[key] if key in held else self.data.get(key)
            if value is not None and current is not None and self._is_older(value, current):
                metrics.STALE_WRITES.labels(where="restore").inc()
                continue
            held[key] = value
            yield event


def _bytes_keyed(table_class: type[DirectTable], name: str, **extra: Any) -> Any:
    """A table of this app keyed by raw bytes and placed by the producer's partitioner."""
    table = table_class(
        app, name=name, beacon=app.tables.beacon, key_type=bytes,
        partitions=settings.partitions, use_partitioner=True, **extra,
    )  # fmt: skip
    return app.tables.add(table)


# Article id → where it was first read and its publication hour (detente.dedup.Sighting).
seen_articles: DirectTable = _bytes_keyed(DirectTable, "seen-articles")

# Index subject (b"actor:russia", b"dyad:france|russia", b"global") → its index state.
# A frozen worker's late write of a subject is dropped when read back (detente.indices).
index_state: FencedTable = _bytes_keyed(FencedTable, "index-state", is_older=superseded)
