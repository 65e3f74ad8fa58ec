"""What a hole in the handed-over offsets holds, read from the broker itself.

The consumer can go past offsets without handing them over (detente.offsets). Some of
those holes hold no records at all: a transactional producer's commit marker, records
deleted by retention. Others hold records Faust dropped, and a restart does not always
help: Faust 0.15 dropped the same record again after one (CI, 2026-12-07). So the worker
asks the broker, with a consumer of its own outside the group, and gets the records
themselves: the batch is handled with them in their place.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from detente.kafka_config import KafkaConnection
from detente.offsets import Gap
from detente_worker.records import Record

# Reading a hole runs inside a batch: a broker that does not answer by then restarts it.
READ_WITHIN_SECONDS = 30.0
STOP_WITHIN_SECONDS = 5.0


class HoleUnread(RuntimeError):
    """The broker could not say what a hole holds in time, or it holds too many records."""


async def records_in(
    gap: Gap, generation: int, kafka: KafkaConnection, *, client_id: str, at_most: int
) -> list[Record]:
    """The records the broker holds at the gap's offsets, in order (none: only markers, or
    deleted), as if handed over in `generation`. Raises HoleUnread, also for a hole of more
    than `at_most` records (the worker's batches stay bounded)."""
    consumer = AIOKafkaConsumer(
        group_id=None,
        enable_auto_commit=False,
        # Deleted by retention: the log now starts past the hole.
        auto_offset_reset="earliest",
        # What the worker's consumer sees (Faust reads uncommitted outside transactions).
        isolation_level="read_uncommitted",
        client_id=client_id,
        **kafka.aiokafka_options(),
    )
    try:
        return await asyncio.wait_for(
            _read(consumer, gap, generation, at_most), READ_WITHIN_SECONDS
        )
    except TimeoutError as exc:
        raise HoleUnread(f"no answer from the broker within {READ_WITHIN_SECONDS:g} s") from exc
    except HoleUnread:
        raise
    except Exception as exc:  # any client error: the restart reads the partition again
        raise HoleUnread(repr(exc)) from exc
    finally:
        # Bounded too: this runs inside a batch, and a stop that hangs would hold the batch,
        # and with it the partition, for good, with nothing in the logs.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(consumer.stop(), STOP_WITHIN_SECONDS)


async def _read(
    consumer: AIOKafkaConsumer, gap: Gap, generation: int, at_most: int
) -> list[Record]:
    await consumer.start()
    partition = TopicPartition(gap.topic, gap.partition)
    consumer.assign([partition])
    consumer.seek(partition, gap.first)
    found: list[Record] = []
    while await consumer.position(partition) <= gap.last:
        fetched = await consumer.getmany(partition, timeout_ms=1000, max_records=64)
        for message in fetched.get(partition, []):
            if message.offset > gap.last:
                return found
            if message.offset >= gap.first:
                found.append(_record(message, generation))
                if len(found) > at_most:
                    raise HoleUnread(f"{gap} holds more than {at_most} records")
    return found


def _record(message: Any, generation: int) -> Record:
    """An aiokafka ConsumerRecord as the handlers take it (its timestamp is in ms)."""
    return Record(
        message.value or b"", message.key, message.topic, message.partition, message.offset,
        message.timestamp / 1000, generation,
    )  # fmt: skip
