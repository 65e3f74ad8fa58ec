"""The worker's tables must sit in the partition of the records that update them.

Table writes take their changelog partition from the key (`use_partitioner`), so the key
bytes and the partitioner must match those of the input topics: `articles` (written by the
producer service with kafka-python, key: article id) and `index-contributions` (written by
the worker with aiokafka, key: subject).
"""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner
from kafka.partitioner.default import murmur2

from detente_worker.app import app, key_partitioner, settings
from detente_worker.classify import subject_partition
from detente_worker.tables import index_state, seen_articles

KEYS = [f"article-{n}" for n in range(2000)] + [
    "actor:russia", "dyad:nato|russia", "global", "actor:c\u00f4te-d-ivoire",
]  # fmt: skip


def kafka_python_partition(key: bytes, count: int) -> int:
    # What kafka-python's DefaultPartitioner does for a keyed record (the producer service).
    return (murmur2(key) & 0x7FFFFFFF) % count


def test_the_producer_and_the_worker_place_a_key_in_the_same_partition() -> None:
    for count in (1, 4, 6, 12):
        partitions = list(range(count))
        keys = [key.encode() for key in KEYS]
        placed = [DefaultPartitioner.__call__(key, partitions, partitions) for key in keys]
        assert placed == [kafka_python_partition(key, count) for key in keys]
        assert len(set(placed)) == count  # every partition gets some keys


@pytest.mark.parametrize("table", [seen_articles, index_state], ids=lambda t: t.name)
def test_a_table_key_is_written_as_the_bytes_of_its_input_record_key(table: Any) -> None:
    # A JSON key ('"global"') would hash elsewhere than the input record's key ('global').
    for key in KEYS:
        raw = key.encode()
        written = app.serializers.dumps_key(table.key_type, raw, serializer=table.key_serializer)
        assert written == raw
        assert (
            app.serializers.loads_key(table.key_type, written, serializer=table.key_serializer)
            == raw
        )


def test_a_subjects_bundle_partition_is_the_default_partitioners_choice() -> None:
    # Bundles are sent to an explicit partition; the `index-state` table places the same key
    # with the producer's default partitioner over the changelog's partitions, which equal
    # `settings.partitions` (the worker stops if an input topic has another count).
    for key in KEYS:
        assert subject_partition(key) == kafka_python_partition(key.encode(), settings.partitions)


def test_the_workers_producer_places_keys_as_the_default_partitioner_does() -> None:
    # It remembers each key's hash; the placement must stay the default's, which the
    # producer service and the tables' changelogs use.
    assert app.conf.producer_partitioner is key_partitioner
    for count in (1, 4, 6):
        partitions = list(range(count))
        for key in [k.encode() for k in KEYS] * 2:  # the second time from the cache
            assert key_partitioner(key, partitions, partitions) == kafka_python_partition(
                key, count
            )
    assert key_partitioner(None, [0, 1, 2], [1]) == 1  # no key: any available partition
