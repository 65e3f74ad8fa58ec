"""The worker's tables rely on one partitioner for every client that writes a keyed record."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from kafka.partitioner.default import murmur2


def kafka_python_partition(key: bytes, count: int) -> int:
    # What kafka-python's DefaultPartitioner does for a keyed record (the producer service).
    return (murmur2(key) & 0x7FFFFFFF) % count


def test_the_producer_and_the_worker_place_a_key_in_the_same_partition() -> None:
    # Articles are written by kafka-python (key: article id) and the worker's tables by
    # aiokafka; `use_partitioner` tables stay co-partitioned only if both agree.
    keys = [f"article-{n}".encode() for n in range(2000)]
    keys += [b"actor:russia", b"dyad:nato|russia", b"global", "actor:c\u00f4te".encode()]
    for count in (1, 4, 6, 12):
        partitions = list(range(count))
        placed = [DefaultPartitioner.__call__(key, partitions, partitions) for key in keys]
        assert placed == [kafka_python_partition(key, count) for key in keys]
        assert len(set(placed)) == count  # every partition gets some keys
