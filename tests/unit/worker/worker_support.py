"""What the worker's unit tests share: a sample article, contributions, and the outbox
that captures everything the stages send."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from unittest import mock

from detente.events import Contribution, ContributionBundle
from detente_worker import topics
from detente_worker.app import app

ARTICLE = {
    "schema_version": 1,
    "id": "unit-1",
    "published_at": "2026-03-02T10:00:00Z",
    "source": "unit test",
    "url": "",
    "title": "Moscow warns NATO",
    "text": "Russia warned NATO that any new deployment would be met with force. "
    "The Kremlin said it rejected the proposal outright.",
    "language": "en",
}


# Event time of the contribution tests.
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


class Outbox:
    """Everything the agents send, per topic, in order."""

    def __init__(self) -> None:
        self.sent: dict[str, list[tuple[bytes | None, bytes]]] = {}
        self.partitions: dict[str, list[int | None]] = {}

    def patch(self) -> Any:
        async def send(
            topic: str, key: bytes | None, value: bytes, partition: int | None, *_: Any
        ) -> asyncio.Future[None]:
            self.sent.setdefault(topic, []).append((key, value))
            self.partitions.setdefault(topic, []).append(partition)
            delivered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            delivered.set_result(None)
            return delivered

        return mock.patch.object(app.producer, "send", side_effect=send)

    def of(self, topic: Any) -> list[tuple[bytes | None, bytes]]:
        return self.sent.get(topic.get_topic_name(), [])

    def bundles(self) -> list[tuple[int | None, ContributionBundle]]:
        """The contribution bundles sent, with the partition each was sent to."""
        name = topics.contributions_topic.get_topic_name()
        return [
            (partition, ContributionBundle.model_validate_json(value))
            for (_, value), partition in zip(self.of(topics.contributions_topic),
                                             self.partitions.get(name, []), strict=True)
        ]  # fmt: skip


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def contribution(article: str, when: datetime, hardline: bool) -> Contribution:
    return Contribution(
        subject="actor:north-korea", subject_kind="actor", actors=["north-korea"],
        article_id=article, published_at=when, hardline_weight=0.9 if hardline else 0.0,
        weight=0.9, statements=1,
    )  # fmt: skip


def bundle(*contributions: Contribution) -> bytes:
    return ContributionBundle(contributions=list(contributions)).to_json_bytes()


def consumed(offset: int, generation: int = 7) -> Any:
    """A stand-in for a Faust event: what `Record.of` reads."""
    message = SimpleNamespace(
        topic="articles", partition=2, offset=offset, timestamp=None, generation_id=generation
    )
    return SimpleNamespace(value=b"{}", key=None, message=message)


class Handled:
    """Counts the records that an agent's batch handler has finished with.

    The agents take records in batches, so `put` returns once a record is buffered; a test
    waits for `records(n)` before it reads the outbox."""

    def __init__(self, module: Any, name: str) -> None:
        self.name, self.count = name, 0
        self.original = getattr(module, name)
        self.progress = asyncio.Event()

    async def __call__(self, records: Any) -> None:
        await self.original(records)
        self.count += len(records)
        self.progress.set()

    async def records(self, expected: int) -> None:
        try:
            async with asyncio.timeout(30):  # a liveness bound, generous for a busy machine
                while self.count < expected:
                    self.progress.clear()
                    await self.progress.wait()
        except TimeoutError:
            raise AssertionError(f"{self.name} handled {self.count} of {expected}") from None
