"""KafkaState on its own, against the real broker: what one ingester keeps in `ingest-state`
(handled items, feed validators) is read back by a new instance after a restart, old entries
are forgotten for good, and two replicas see each other's items while running. Each test
has a topic of its own (the `topics` fixture's unique prefix)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from detente.kafka_config import KafkaConnection
from detente.topics import TopicNames
from detente_producer.ingest.fetch import Validators
from detente_producer.ingest.state import FEED_KEY_PREFIX, Handled, KafkaState
from detente_producer.sending import article_producer

from harness import read_all

pytestmark = pytest.mark.integration

RETENTION = timedelta(days=30)
FEED = "http://news.invalid/world.rss"


@pytest.fixture
def open_state(bootstrap: str, topics: TopicNames) -> Iterator[Callable[..., KafkaState]]:
    """Opens KafkaState instances on this test's topic, as detente-ingest does (a producer
    of its own each: separate processes), and closes them all afterwards."""
    opened: list[KafkaState] = []

    def open_one(retention: timedelta = RETENTION) -> KafkaState:
        producer = article_producer(KafkaConnection(bootstrap_servers=bootstrap), "it-ingest")
        state = KafkaState.connect(
            KafkaConnection(bootstrap_servers=bootstrap), producer, topics.ingest_state, retention
        )
        opened.append(state)
        return state

    yield open_one
    for state in opened:
        state.producer.close(timeout=10)
        state.consumer.close()


def close(state: KafkaState) -> None:
    """A process that stops: its clients go, nothing in memory survives."""
    state.producer.close(timeout=10)
    state.consumer.close()


def refreshed_until(state: KafkaState, condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the other replica's records never arrived")
        state.refresh()
        time.sleep(0.1)


def test_state_survives_a_restart(open_state: Callable[..., KafkaState]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    first = open_state()
    assert first.load() == 0
    sent = Handled("sent", "Meridian world", now, "web-aaa")
    first.mark("web-aaa", sent)
    first.mark("web-link-of-aaa", sent)
    first.mark("web-bbb", Handled("abandoned", "Meridian world", now))
    first.keep_validators(FEED, Validators('"v1"', "Tue, 03 Mar 2026 10:00:00 GMT"), now)
    # Kept long ago: forgotten at the next start, and tombstoned for every later one.
    first.mark("web-old", Handled("sent", "Meridian world", now - timedelta(days=40), "web-old"))
    first.keep_validators(
        "http://gone.invalid/feed.rss", Validators("old", None), now - timedelta(days=40)
    )
    close(first)

    second = open_state()
    assert second.load() == 3
    assert second.seen("web-aaa") and second.seen("web-link-of-aaa") and second.seen("web-bbb")
    assert second.handled["web-aaa"] == sent
    assert second.handled["web-bbb"].outcome == "abandoned"
    assert second.validators(FEED) == Validators('"v1"', "Tue, 03 Mar 2026 10:00:00 GMT")
    assert not second.seen("web-old")
    assert second.validators("http://gone.invalid/feed.rss") is None
    close(second)

    # Even with a longer retention, what the second start forgot stays forgotten.
    third = open_state(retention=timedelta(days=365))
    assert third.load() == 3
    assert not third.seen("web-old")
    assert third.validators("http://gone.invalid/feed.rss") is None
    assert third.validators(FEED) == Validators('"v1"', "Tue, 03 Mar 2026 10:00:00 GMT")


def test_unchanged_validators_write_no_record(
    open_state: Callable[..., KafkaState], bootstrap: str, topics: TopicNames
) -> None:
    state = open_state()
    state.load()
    at = datetime.now(UTC)
    for _ in range(3):
        state.keep_validators(FEED, Validators('"v1"'), at)
    state.keep_validators(FEED, Validators('"v2"'), at)
    records = read_all(bootstrap, topics.ingest_state)
    keys = [key.decode() for key, _ in records if key]
    assert keys == [FEED_KEY_PREFIX + FEED] * 2


def test_two_replicas_see_each_others_items(open_state: Callable[..., KafkaState]) -> None:
    one, two = open_state(), open_state()
    assert one.load() == 0 and two.load() == 0
    now = datetime.now(UTC)

    one.mark("web-from-one", Handled("sent", "Meridian world", now, "web-from-one"))
    one.keep_validators(FEED, Validators('"one"'), now)
    refreshed_until(two, lambda: two.seen("web-from-one"))
    refreshed_until(two, lambda: two.validators(FEED) == Validators('"one"'))

    two.mark("web-from-two", Handled("duplicate", "Meridian regions", now, "web-from-one"))
    two.keep_validators(FEED, Validators('"two"'), now)
    refreshed_until(one, lambda: one.seen("web-from-two"))
    refreshed_until(one, lambda: one.validators(FEED) == Validators('"two"'))
    assert one.handled["web-from-two"].outcome == "duplicate"
    # Each replica's own records came back to it too, unchanged.
    assert one.handled["web-from-one"] == two.handled["web-from-one"]
