"""What the worker reads from the broker at a hole in the offsets it was handed
(detente_worker.holes): the records there, or none at a transaction marker."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from detente.kafka_config import KafkaConnection
from detente.offsets import Gap
from detente.topics import TopicNames
from detente_worker.holes import HoleUnread, records_in

from harness import create_topics

pytestmark = pytest.mark.integration


def fill_partition(bootstrap: str, topic: str) -> None:
    """Partition 0: five plain records, a transaction of two, a plain record, a transaction
    of one last (each transaction's commit marker takes an offset of its own)."""
    plain = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    transactional = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"{topic}-tx")
    transactional.init_transactions()

    def in_transaction(values: list[bytes]) -> None:
        transactional.begin_transaction()
        for value in values:
            transactional.send(topic, key=b"k", value=value, partition=0)
        transactional.commit_transaction()

    for n in range(5):
        plain.send(topic, key=b"k", value=f"plain-{n}".encode(), partition=0).get(30)
    in_transaction([b"tx-a", b"tx-b"])
    plain.send(topic, key=b"k", value=b"plain-5", partition=0).get(30)
    in_transaction([b"tx-c"])
    transactional.close()
    plain.close()


def data_offsets(bootstrap: str, topic: str) -> tuple[dict[int, bytes], int]:
    """The offsets of partition 0 that hold records (with their values), and its end."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning()
    end = consumer.end_offsets([partition])[partition]
    held: dict[int, bytes] = {}
    while consumer.position(partition) < end:
        for batch in consumer.poll(timeout_ms=500).values():
            held.update((r.offset, r.value) for r in batch)
    consumer.close()
    return held, end


def test_a_hole_reads_as_its_records_and_a_marker_as_none(bootstrap: str) -> None:
    names = TopicNames(f"it-{uuid.uuid4().hex[:10]}-")
    create_topics(bootstrap, names)
    fill_partition(bootstrap, names.articles)
    held, end = data_offsets(bootstrap, names.articles)
    markers = sorted(set(range(end)) - held.keys())
    assert len(held) == 9 and len(markers) == 2 and markers[-1] == end - 1
    kafka = KafkaConnection(bootstrap_servers=bootstrap)

    def read(first: int, last: int, at_most: int = 100) -> list[tuple[int, bytes]]:
        gap = Gap(names.articles, 0, first, last)
        found = asyncio.run(records_in(gap, 3, kafka, client_id="it-holes", at_most=at_most))
        assert all(r.generation == 3 and r.partition == 0 and r.key == b"k" for r in found)
        assert all(r.produced_at is not None and r.produced_at > 1e9 for r in found)  # seconds
        return [(r.offset, r.value) for r in found]

    def expected(first: int, last: int) -> list[tuple[int, bytes]]:
        return [(n, held[n]) for n in range(first, last + 1) if n in held]

    assert read(2, 3) == expected(2, 3) == [(2, b"plain-2"), (3, b"plain-3")]
    assert read(markers[0], markers[0]) == []  # the first transaction's commit marker
    assert read(5, markers[0]) == expected(5, markers[0])
    assert read(end - 1, end - 1) == []  # a marker that ends the partition
    assert read(0, end - 1) == expected(0, end - 1)
    with pytest.raises(HoleUnread, match="more than 2 records"):
        read(0, 4, at_most=2)
