"""`ensure_topics` returns only once the broker's metadata shows what it created."""

from __future__ import annotations

from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, TopicAlreadyExistsError

from detente.topics import TopicNames, topic_specs
from detente_producer.topics_admin import ensure_topics

NAMES = TopicNames("t-")


class LaggingAdmin:
    """A broker whose metadata shows a created topic only `lag` describes later, as a
    KRaft broker does for a moment after its controller has answered."""

    def __init__(self, lag: int, existing: set[str] | None = None) -> None:
        self.lag = lag
        self.topics: dict[str, int] = {}
        self.shown_after: dict[str, int] = {}
        self.describes = 0
        self.existing = existing or set()

    def list_topics(self) -> list[str]:
        return sorted(self.existing)

    def create_topics(self, new: list[Any]) -> None:
        for topic in new:
            if topic.name in self.topics:
                raise TopicAlreadyExistsError(topic.name)
            self.topics[topic.name] = topic.num_partitions
            self.shown_after[topic.name] = self.describes + self.lag

    def describe_topics(self, names: list[str]) -> list[dict[str, Any]]:
        self.describes += 1
        return [
            {"name": name, "error_code": 0, "partitions": [{}] * self.topics[name]}
            if name in self.topics and self.describes > self.shown_after[name]
            else {"name": name, "error_code": 3, "partitions": []}  # UNKNOWN_TOPIC_OR_PARTITION
            for name in names
        ]


def test_it_waits_until_every_created_topic_is_in_the_metadata() -> None:
    admin = LaggingAdmin(lag=3)
    specs = topic_specs(NAMES, 4)
    created = ensure_topics(admin, specs)  # type: ignore[arg-type]
    assert created == [spec.name for spec in specs]
    # The last describe is the one that showed them all; nothing returned before it.
    assert admin.describes == 4
    assert all(admin.describes > shown for shown in admin.shown_after.values())


def test_topics_that_never_show_up_are_named_in_the_error() -> None:
    admin = LaggingAdmin(lag=10_000)
    with pytest.raises(KafkaTimeoutError, match="t-articles"):
        ensure_topics(admin, topic_specs(NAMES, 4), visible_within=0.3)  # type: ignore[arg-type]


def test_existing_topics_are_left_alone_and_not_waited_for() -> None:
    specs = topic_specs(NAMES, 4)
    admin = LaggingAdmin(lag=10_000, existing={spec.name for spec in specs})
    assert ensure_topics(admin, specs, visible_within=0.3) == []  # type: ignore[arg-type]
    assert admin.describes == 0
