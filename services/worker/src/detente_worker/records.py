"""One consumed Kafka record, as the stages need it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    """One consumed Kafka record, as the handlers need it."""

    value: bytes
    key: bytes | None
    topic: str
    partition: int
    offset: int
    produced_at: float | None = None  # the Kafka timestamp, seconds
    generation: int = 0  # the consumer group generation it was fetched in

    @classmethod
    def of(cls, event: Any) -> Record:
        message = event.message
        return cls(
            event.value, event.key, message.topic, message.partition, message.offset,
            message.timestamp, message.generation_id or 0,
        )  # fmt: skip
