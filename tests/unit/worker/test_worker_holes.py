"""Reading a hole from the broker stays bounded in time, whatever the client does."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from unittest import mock

import pytest

from detente.kafka_config import KafkaConnection
from detente.offsets import Gap
from detente_worker import holes


class HangingConsumer:
    """An aiokafka consumer whose broker never answers, and whose stop never returns."""

    stopped = 0

    def __init__(self, **options: Any) -> None:
        self.options = options

    async def start(self) -> None:
        await asyncio.sleep(3600)

    async def stop(self) -> None:
        HangingConsumer.stopped += 1
        await asyncio.sleep(3600)


def test_a_broker_that_never_answers_gives_up_within_the_bounds() -> None:
    with (
        mock.patch.object(holes, "AIOKafkaConsumer", HangingConsumer),
        mock.patch.object(holes, "READ_WITHIN_SECONDS", 0.2),
        mock.patch.object(holes, "STOP_WITHIN_SECONDS", 0.2),
    ):
        started = time.monotonic()
        with pytest.raises(holes.HoleUnread, match="no answer from the broker"):
            asyncio.run(
                holes.records_in(
                    Gap("articles", 0, 4, 4), 3, KafkaConnection(), client_id="t", at_most=10
                )
            )
    assert time.monotonic() - started < 5
    assert HangingConsumer.stopped == 1


def test_the_reading_consumer_is_outside_the_group_and_reads_uncommitted() -> None:
    made: list[dict[str, Any]] = []

    class Refused(HangingConsumer):
        def __init__(self, **options: Any) -> None:
            made.append(options)

        async def start(self) -> None:
            raise ConnectionRefusedError("no broker")

        async def stop(self) -> None:
            pass

    with (
        mock.patch.object(holes, "AIOKafkaConsumer", Refused),
        pytest.raises(holes.HoleUnread, match="no broker"),
    ):
        asyncio.run(
            holes.records_in(
                Gap("articles", 0, 4, 4), 3, KafkaConnection(), client_id="w-holes", at_most=1
            )
        )
    assert made[0]["group_id"] is None and made[0]["enable_auto_commit"] is False
    assert made[0]["isolation_level"] == "read_uncommitted"
    assert made[0]["client_id"] == "w-holes"
