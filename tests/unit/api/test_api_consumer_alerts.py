"""The consumer also replays `tension-alerts`; a deployment without that topic yet still works."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import TopicPartition
from test_api_consumer import INDICES0, STANCES0, TOPICS, FakeConsumer, RecordingView, _wait_for
from test_api_v1_routes import make_alert

from detente.events import TensionAlert
from detente.kafka_config import KafkaConnection
from detente_api.consumer import ViewConsumer
from detente_api.view import TensionView

ALERTS0 = TopicPartition(TOPICS.alerts, 0)
ALERTS1 = TopicPartition(TOPICS.alerts, 1)


def _alert(subject: str, actors: list[str], hours_before: int = 0) -> bytes:
    return make_alert(subject, actors, hours_before).to_json_bytes()


def test_alerts_are_replayed_and_count_toward_readiness(api_registry, make_index, make_stance):
    log = {
        INDICES0: [(b"actor:russia", make_index("actor", ["russia"], 80.0).to_json_bytes())],
        STANCES0: [(b"russia", make_stance("a1", "russia").to_json_bytes())],
        ALERTS0: [
            (b"actor:russia", _alert("actor:russia", ["russia"], 5)),
            (b"actor:russia", b"{broken"),
            (b"actor:russia", None),  # a tombstone means nothing on this topic
        ],
        ALERTS1: [(b"global", _alert("global", [], 1))],
    }
    view = RecordingView(api_registry)
    counted: list[tuple[str, str]] = []
    consumer = ViewConsumer(
        view,
        KafkaConnection(topic_prefix="t-"),
        factory=lambda: FakeConsumer(log),
        on_record=lambda topic, result: counted.append((topic, result)),
        poll_timeout_ms=5,
    )

    async def scenario() -> None:
        task = asyncio.create_task(consumer.run())
        await _wait_for(lambda: view.ready)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(scenario())

    assert view.progress[0] == (6, False)  # the alerts backlog is part of the lag
    total, alerts = view.alerts()
    assert total == 2
    assert [a.subject for a in alerts] == ["global", "actor:russia"]
    assert all(isinstance(a, TensionAlert) for a in alerts)
    assert counted.count((TOPICS.alerts, "invalid")) == 1
    assert counted.count((TOPICS.alerts, "ok")) == 3
    # Every alert went to the stream too, after the index update.
    kinds = [e.kind for e in view.bus.after(0) or []]
    assert kinds.count("alert") == 2 and kinds.count("index") == 1


def test_without_the_alerts_topic_the_view_is_ready_and_reads_it_once_created(
    api_registry, make_index, make_stance
):
    log = {
        INDICES0: [(b"actor:russia", make_index("actor", ["russia"], 80.0).to_json_bytes())],
        STANCES0: [(b"russia", make_stance("a1", "russia").to_json_bytes())],
    }
    created: list[FakeConsumer] = []

    def factory() -> FakeConsumer:
        created.append(FakeConsumer(log, batch=100))
        return created[-1]

    view = TensionView(api_registry)
    counted: list[tuple[str, str]] = []
    consumer = ViewConsumer(
        view,
        KafkaConnection(topic_prefix="t-"),
        factory=factory,
        on_record=lambda topic, result: counted.append((topic, result)),
        poll_timeout_ms=5,
        recheck_topics_seconds=0.01,
        retry_initial_seconds=5.0,  # a reconnect for the new topic must not wait for this
    )

    async def scenario() -> None:
        task = asyncio.create_task(consumer.run())
        await _wait_for(lambda: view.ready)
        assert view.alerts() == (0, [])
        log[ALERTS0] = [(b"global", _alert("global", []))]
        await _wait_for(lambda: view.alerts()[0] == 1, seconds=2.0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(scenario())

    assert len(created) == 2 and all(c.stopped for c in created)
    # The second connection resumed the old partitions instead of replaying them.
    assert counted.count((TOPICS.indices, "ok")) == 1
    assert counted.count((TOPICS.stances, "ok")) == 1
    assert view.ready
