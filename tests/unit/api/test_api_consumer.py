"""The Kafka consumer loop against an in-memory stand-in for `AIOKafkaConsumer`."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import ConsumerRecord
from fastapi.testclient import TestClient

from detente.kafka_config import KafkaConnection
from detente.topics import TopicNames
from detente_api.consumer import ViewConsumer
from detente_api.main import create_app
from detente_api.settings import Settings
from detente_api.view import TensionView

TOPICS = TopicNames("t-")
INDICES0 = TopicPartition(TOPICS.indices, 0)
INDICES1 = TopicPartition(TOPICS.indices, 1)
STANCES0 = TopicPartition(TOPICS.stances, 0)
Log = dict[TopicPartition, list[tuple[bytes | None, bytes | None]]]


class FakeCluster:
    def __init__(self, log: Log) -> None:
        self._log = log

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        ids = {tp.partition for tp in self._log if tp.topic == topic}
        return ids or None


class FakeClient:
    def __init__(self, log: Log) -> None:
        self._log = log

    async def fetch_all_metadata(self) -> FakeCluster:
        return FakeCluster(self._log)


class FakeConsumer:
    """Serves `log` (partition -> [(key, value)]) `batch` records per poll."""

    def __init__(self, log: Log, *, batch: int = 1, fail_start: bool = False) -> None:
        self._log = log
        self._client = FakeClient(log)
        self._batch = batch
        self._fail_start = fail_start
        self.positions: dict[TopicPartition, int] = {}
        self.stopped = False

    async def start(self) -> None:
        if self._fail_start:
            raise KafkaConnectionError("broker down")

    async def stop(self) -> None:
        self.stopped = True

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.positions = dict.fromkeys(partitions, -1)

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: len(self._log[tp]) for tp in partitions}

    async def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        for tp in partitions:
            self.positions[tp] = 0

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp] = offset

    async def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    def highwater(self, tp: TopicPartition) -> int:
        return len(self._log[tp])

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[Any, list[Any]]:
        await asyncio.sleep(0)
        for tp, position in self.positions.items():
            records = self._log[tp][position : position + self._batch]
            if records:
                self.positions[tp] = position + len(records)
                return {
                    tp: [
                        ConsumerRecord(
                            tp.topic, tp.partition, position + i, 0, 0, key, value, None, 0, 0, []
                        )
                        for i, (key, value) in enumerate(records)
                    ]
                }
        await asyncio.sleep(timeout_ms / 1000)
        return {}


class RecordingView(TensionView):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.progress: list[tuple[int | None, bool]] = []

    def set_progress(self, *, lag: int | None, ready: bool) -> None:
        super().set_progress(lag=lag, ready=ready)
        self.progress.append((lag, self.ready))


async def _wait_for(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.005)):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached in time")


async def _run_until(consumer: ViewConsumer, condition: Any) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        await _wait_for(condition)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _log(make_index, make_stance) -> Log:
    return {
        INDICES0: [
            (b"actor:russia", make_index("actor", ["russia"], 10.0).to_json_bytes()),
            (b"actor:russia", b"{not json"),
            (b"actor:russia", make_index("actor", ["russia"], 80.0).to_json_bytes()),
            (b"actor:france", make_index("actor", ["france"], 30.0).to_json_bytes()),
            (b"actor:france", None),  # tombstone
        ],
        INDICES1: [(b"global", make_index("global", [], 50.0).to_json_bytes())],
        STANCES0: [
            (b"russia", make_stance("a1", "russia").to_json_bytes()),
            (b"russia", b'{"schema_version": 1}'),
            (b"france", make_stance("a1", "france").to_json_bytes()),
        ],
    }


def test_replays_topics_skips_invalid_records_and_becomes_ready(
    api_registry, make_index, make_stance
):
    view = RecordingView(api_registry)
    counted: list[tuple[str, str]] = []
    fake = FakeConsumer(_log(make_index, make_stance))
    consumer = ViewConsumer(
        view,
        KafkaConnection(topic_prefix="t-"),
        factory=lambda: fake,
        on_record=lambda topic, result: counted.append((topic, result)),
        poll_timeout_ms=5,
    )

    asyncio.run(_run_until(consumer, lambda: view.ready))

    # Not ready at first, with the whole backlog as lag; ready at zero lag.
    assert view.progress[0] == (9, False)
    assert all(not ready for _, ready in view.progress[:-1])
    assert view.progress[-1] == (0, True)
    lags = [lag for lag, _ in view.progress]
    assert lags == sorted(lags, reverse=True)

    assert [(a.actor, a.index) for a in view.actors()[1]] == [("russia", 80.0)]
    assert view.global_index().index == 50.0
    article = view.article("a1")
    assert article is not None
    assert [s.actor for s in article.actors] == ["france", "russia"]
    assert counted.count((TOPICS.indices, "invalid")) == 1
    assert counted.count((TOPICS.stances, "invalid")) == 1
    assert counted.count((TOPICS.indices, "ok")) == 5
    assert fake.stopped


def test_empty_topics_are_ready_at_once(api_registry):
    view = TensionView(api_registry)
    fake = FakeConsumer({INDICES0: [], STANCES0: []})
    consumer = ViewConsumer(view, KafkaConnection(topic_prefix="t-"), factory=lambda: fake)

    asyncio.run(_run_until(consumer, lambda: view.ready))

    assert view.lag == 0


def test_retries_until_the_broker_and_topics_exist(api_registry, make_index, make_stance):
    view = TensionView(api_registry)
    attempts = [
        FakeConsumer({}, fail_start=True),
        FakeConsumer({}),  # broker up, topics not created yet
        FakeConsumer(_log(make_index, make_stance), batch=100),
    ]
    factory = iter(attempts)
    consumer = ViewConsumer(
        view,
        KafkaConnection(topic_prefix="t-"),
        factory=lambda: next(factory),
        retry_initial_seconds=0.01,
        poll_timeout_ms=5,
    )

    asyncio.run(_run_until(consumer, lambda: view.ready))

    assert all(attempt.stopped for attempt in attempts)
    assert view.actor("russia") is not None and view.actor("russia").index == 80.0


def test_resumes_from_last_position_after_a_failure(api_registry, make_index, make_stance):
    log = _log(make_index, make_stance)
    first = FakeConsumer(log, batch=100)
    second = FakeConsumer(log, batch=100)
    consumers = iter([first, second])
    view = TensionView(api_registry)
    consumer = ViewConsumer(
        view,
        KafkaConnection(topic_prefix="t-"),
        factory=lambda: next(consumers),
        retry_initial_seconds=0.01,
        poll_timeout_ms=5,
    )

    async def scenario() -> None:
        task = asyncio.create_task(consumer.run())
        await _wait_for(lambda: view.ready)

        async def broken(timeout_ms: int, max_records: int) -> dict[Any, Any]:
            raise KafkaConnectionError("connection lost")

        first.getmany = broken  # type: ignore[method-assign]
        await _wait_for(lambda: second.positions and -1 not in second.positions.values())
        await asyncio.sleep(0.02)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(scenario())

    # The second connection carried on where the first stopped instead of replaying.
    assert second.positions == {tp: len(records) for tp, records in log.items()}
    assert view.ready
    assert view.actor("russia").index == 80.0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_api_starts_and_stays_unready_when_kafka_is_down(api_registry):
    settings = Settings(kafka=KafkaConnection(bootstrap_servers=f"127.0.0.1:{_closed_port()}"))
    app = create_app(settings, registry=api_registry)

    with TestClient(app) as client:
        time.sleep(0.3)  # let the consumer fail its first connection attempt
        assert client.get("/healthz").status_code == 200
        readyz = client.get("/readyz")
        assert readyz.status_code == 503
        assert readyz.json() == {"status": "starting", "lag": None}
