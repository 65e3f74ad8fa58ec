"""The Faust agents through `test_context()`: real agents and tables, outputs captured."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from detente.events import Contribution, DeadLetter, IndexUpdate, StanceEvent
from detente_worker import agents, topics

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


class Outbox:
    """Everything the agents send, per topic, in order."""

    def __init__(self) -> None:
        self.sent: dict[str, list[tuple[bytes | None, bytes]]] = {}

    def patch(self, topic: Any) -> Any:
        async def send(*, key: bytes | None = None, value: bytes, **_: Any) -> None:
            self.sent.setdefault(topic.get_topic_name(), []).append((key, value))

        return mock.patch.object(topic, "send", side_effect=send)

    def of(self, topic: Any) -> list[tuple[bytes | None, bytes]]:
        return self.sent.get(topic.get_topic_name(), [])


@pytest.fixture
def outbox() -> Iterator[Outbox]:
    box = Outbox()
    outputs = (
        topics.stances_topic, topics.contributions_topic, topics.indices_topic,
        topics.alerts_topic, topics.dead_letters_topic,
    )  # fmt: skip
    patches = [box.patch(topic) for topic in outputs]
    for patch in patches:
        patch.start()
    yield box
    for patch in patches:
        patch.stop()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_an_article_becomes_stances_and_subject_contributions(outbox: Outbox) -> None:
    async def scenario() -> None:
        async with agents.classify_articles.test_context() as agent:
            raw = json.dumps(ARTICLE).encode()
            await agent.put(raw, key=b"unit-1")
            await agent.put(raw, key=b"unit-1")  # a replay is counted once

    run(scenario())
    stances = [StanceEvent.model_validate_json(v) for _, v in outbox.of(topics.stances_topic)]
    assert {s.stance.actor for s in stances} >= {"russia", "kremlin"}
    assert all(
        key == s.stance.actor.encode()
        for (key, _), s in zip(outbox.of(topics.stances_topic), stances, strict=True)
    )
    assert all(s.article_id == "unit-1" and s.model_version for s in stances)
    russia = next(s for s in stances if s.stance.actor == "russia")
    assert russia.stance.stance == "hardline"
    subjects = [
        Contribution.model_validate_json(v).subject
        for _, v in outbox.of(topics.contributions_topic)
    ]
    assert "actor:russia" in subjects and "global" in subjects
    assert len(subjects) == len(set(subjects))  # the duplicate added nothing


def test_malformed_records_are_dead_lettered_with_their_reason(outbox: Outbox) -> None:
    async def scenario() -> None:
        async with agents.classify_articles.test_context() as agent:
            await agent.put(b"\xff\xfe not json", key=b"bad-1")
            await agent.put(
                json.dumps({**ARTICLE, "id": "fr-1", "language": "fr"}).encode(), key=b"fr-1"
            )
            blank = {**ARTICLE, "id": "blank-1", "title": "", "text": "   \n  "}
            await agent.put(json.dumps(blank).encode(), key=b"blank-1")
            await agent.put(json.dumps({**ARTICLE, "id": "e-1", "text": ""}).encode(), key=b"e-1")
            wrong_version = {**ARTICLE, "id": "v-9", "schema_version": 9}
            await agent.put(json.dumps(wrong_version).encode(), key=b"v-9")
            await agent.put(json.dumps({**ARTICLE, "id": "ok-2"}).encode(), key=b"ok-2")

    run(scenario())
    letters = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [letter.reason for letter in letters] == [
        "invalid_json",
        "unsupported_language",
        "empty_text",
        "invalid_schema",
        "unsupported_schema_version",
    ]
    assert letters[0].raw() == b"\xff\xfe not json"
    assert outbox.of(topics.stances_topic), "the partition kept flowing after the poison"


def contribution(article: str, when: datetime, hardline: bool) -> bytes:
    return Contribution(
        subject="actor:north-korea", subject_kind="actor", actors=["north-korea"],
        article_id=article, published_at=when, hardline_weight=0.9 if hardline else 0.0,
        weight=0.9, statements=1,
    ).to_json_bytes()  # fmt: skip


def test_indices_updates_late_events_and_one_alert_per_burst(outbox: Outbox) -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)

    async def scenario() -> None:
        async with agents.aggregate_indices.test_context() as agent:
            for n in range(4):
                await agent.put(
                    contribution(f"calm-{n}", now - timedelta(days=3, hours=n), False), key=b"k"
                )
            for n in range(8):
                await agent.put(
                    contribution(f"burst-{n}", now + timedelta(minutes=n), True), key=b"k"
                )
            await agent.put(contribution("ancient", now - timedelta(days=30), True), key=b"k")

    run(scenario())
    updates = [IndexUpdate.model_validate_json(v) for _, v in outbox.of(topics.indices_topic)]
    assert len(updates) == 12
    assert updates[-1].windows["24h"].index == 100.0 and updates[-1].windows["24h"].statements == 8
    alerts = [json.loads(v) for _, v in outbox.of(topics.alerts_topic)]
    assert len(alerts) == 1 and alerts[0]["subject"] == "actor:north-korea"
    assert set(alerts[0]["article_ids"]) <= {f"burst-{n}" for n in range(8)}
    late = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [letter.reason for letter in late] == ["late_event"]
