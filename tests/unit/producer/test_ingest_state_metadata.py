"""KafkaState's start: a topic created a moment ago may be missing from the first metadata."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from detente_producer.ingest.state import KafkaState


class LateMetadata:
    """A consumer whose metadata knows the topic only from the third question on."""

    def __init__(self, known_after: int) -> None:
        self.asked = 0
        self.known_after = known_after

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        self.asked += 1
        return {0} if self.asked > self.known_after else None


def state(consumer: Any) -> KafkaState:
    return KafkaState(consumer, producer=None, topic="ingest-state", retention=timedelta(days=1))  # type: ignore[arg-type]


def test_a_topic_late_in_the_metadata_is_waited_for() -> None:
    consumer = LateMetadata(known_after=2)
    assert state(consumer)._partitions(wait_seconds=5) == [0]
    assert consumer.asked == 3


def test_a_missing_topic_is_reported_once_the_wait_is_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = LateMetadata(known_after=10**9)
    assert state(consumer)._partitions(wait_seconds=0.5) == []
    assert consumer.asked > 1  # asked again before giving up
    missing = state(consumer)
    monkeypatch.setattr(missing, "_partitions", lambda: [])
    with pytest.raises(RuntimeError, match="does not exist"):
        missing.load()
