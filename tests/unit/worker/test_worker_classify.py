"""Stage one through `test_context()`: article records → stances and contribution bundles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from unittest import mock

from prometheus_client import REGISTRY
from worker_support import ARTICLE, Handled, Outbox, run

from detente.events import DeadLetter, StanceEvent
from detente.indices import hour_of
from detente_worker import agents, classify, topics
from detente_worker.app import settings


def test_an_article_becomes_stances_and_subject_contributions(
    outbox: Outbox, articles_handled: Handled
) -> None:
    async def scenario() -> None:
        async with agents.classify_articles.test_context() as agent:
            raw = json.dumps(ARTICLE).encode()
            await agent.put(raw, key=b"unit-1")
            await agent.put(raw, key=b"unit-1")  # a replay is counted once
            await articles_handled.records(2)

    run(scenario())
    stances = [StanceEvent.model_validate_json(v) for _, v in outbox.of(topics.stances_topic)]
    assert {s.stance.actor for s in stances} >= {"russia", "kremlin"}
    assert all(
        key == s.stance.actor.encode()
        for (key, _), s in zip(outbox.of(topics.stances_topic), stances, strict=True)
    )
    assert all(s.article_id == "unit-1" and s.model_version for s in stances)
    # Each record says how many the article sends, so a reader knows when it has them all.
    assert {s.stance_takers for s in stances} == {len(stances)}
    # What a reader validates from the records is what was sent, to the byte.
    sent = [value for _, value in outbox.of(topics.stances_topic)]
    assert [s.to_json_bytes() for s in stances] == sent
    russia = next(s for s in stances if s.stance.actor == "russia")
    assert russia.stance.stance == "hardline"
    bundles = outbox.bundles()
    subjects = [c.subject for _, bundle in bundles for c in bundle.contributions]
    assert [b.to_json_bytes() for _, b in bundles] == [
        v for _, v in outbox.of(topics.contributions_topic)
    ]
    assert "actor:russia" in subjects and "global" in subjects
    assert len(subjects) == len(set(subjects))  # the duplicate added nothing
    # One record per partition, each holding only subjects that belong to that partition.
    assert len({partition for partition, _ in bundles}) == len(bundles)
    assert all(
        partition == classify.subject_partition(c.subject)
        for partition, bundle in bundles
        for c in bundle.contributions
    )


def test_a_batch_records_where_its_time_went(outbox: Outbox, articles_handled: Handled) -> None:
    def count(phase: str) -> float:
        labels = {"stage": "classify", "phase": phase}
        return REGISTRY.get_sample_value("detente_worker_batch_phase_seconds_count", labels) or 0

    before = {phase: count(phase) for phase in ("queued", "handle", "deliver")}

    async def scenario() -> None:
        async with agents.classify_articles.test_context() as agent:
            await agent.put(json.dumps(ARTICLE).encode(), key=b"unit-phases")
            await articles_handled.records(1)

    run(scenario())
    # One batch, each phase observed once: how long it queued, was handled and delivered.
    assert {phase: count(phase) - n for phase, n in before.items()} == {
        "queued": 1, "handle": 1, "deliver": 1,
    }  # fmt: skip


def test_malformed_records_are_dead_lettered_with_their_reason(
    outbox: Outbox, articles_handled: Handled
) -> None:
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
            await agent.put(json.dumps({**ARTICLE, "id": "k-1"}).encode(), key=b"another-id")
            await agent.put(json.dumps({**ARTICLE, "id": "k-2"}).encode(), key=None)
            await agent.put(json.dumps({**ARTICLE, "id": "ok-2"}).encode(), key=b"ok-2")
            await articles_handled.records(8)

    run(scenario())
    letters = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [letter.reason for letter in letters] == [
        "invalid_json",
        "unsupported_language",
        "empty_text",
        "invalid_schema",
        "unsupported_schema_version",
        "key_not_id",
        "key_not_id",
    ]
    assert letters[0].raw() == b"\xff\xfe not json"
    assert "the record's key b'another-id' is not its id" in letters[5].detail
    assert outbox.of(topics.stances_topic), "the partition kept flowing after the poison"


def test_an_article_older_than_its_partition_watermark_is_late(
    outbox: Outbox, articles_handled: Handled
) -> None:
    # ARTICLE sets the partition's watermark; eight days before it is past the 7-day bound.
    stale = {**ARTICLE, "id": "stale-1", "published_at": "2026-02-22T09:00:00Z"}
    within = {**ARTICLE, "id": "within-1", "published_at": "2026-02-24T11:00:00Z"}

    async def scenario() -> None:
        async with agents.classify_articles.test_context() as agent:
            for event in (ARTICLE, stale, within):
                await agent.put(json.dumps(event).encode(), key=event["id"].encode())
            await articles_handled.records(3)

    run(scenario())
    letters = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [(json.loads(x.raw())["id"], x.reason) for x in letters] == [("stale-1", "late_event")]
    classified = {
        StanceEvent.model_validate_json(v).article_id for _, v in outbox.of(topics.stances_topic)
    }
    assert "stale-1" not in classified and "within-1" in classified


def test_bundles_are_split_past_the_size_limit_and_keep_reading_order(
    outbox: Outbox, articles_handled: Handled
) -> None:
    async def scenario() -> None:
        async with agents.classify_articles.test_context() as agent:
            for n in range(3):
                event = {**ARTICLE, "id": f"order-{n}"}
                await agent.put(json.dumps(event).encode(), key=event["id"].encode())
            await articles_handled.records(3)

    with mock.patch.object(settings, "contributions_per_record", 2):
        run(scenario())
    bundles = outbox.bundles()
    assert all(1 <= len(bundle.contributions) <= 2 for _, bundle in bundles)
    # Three articles' contributions over fewer partitions than records: split for sure.
    assert len(bundles) > len({partition for partition, _ in bundles}) > 0
    for partition in {partition for partition, _ in bundles}:
        sent = [c for p, bundle in bundles if p == partition for c in bundle.contributions]
        assert all(classify.subject_partition(c.subject) == partition for c in sent)
        # The fence needs each source partition's offsets in reading order per subject.
        for subject in {c.subject for c in sent}:
            ids = [c.article_id for c in sent if c.subject == subject]
            assert ids == sorted(ids) and len(ids) == 3


def test_a_wrongly_dated_article_is_refused_and_moves_no_watermark(
    outbox: Outbox, articles_handled: Handled
) -> None:
    written = datetime(2026, 3, 2, 10, 30, tzinfo=UTC).timestamp()  # the broker's clock
    ancient = {**ARTICLE, "id": "ancient-1", "published_at": "1900-01-01T00:00:00Z"}
    future = {**ARTICLE, "id": "future-1", "published_at": "2099-06-01T13:00:00Z"}
    skewed = {**ARTICLE, "id": "skewed-1", "published_at": "2026-03-02T10:40:00Z"}
    present = {**ARTICLE, "id": "present-1"}
    # Six days before it: within the lateness bound of a watermark in the present,
    # far outside one that the 2099 article would have set.
    earlier = {**ARTICLE, "id": "earlier-1", "published_at": "2026-02-24T10:00:00Z"}

    async def scenario() -> None:
        async with agents.classify_articles.test_context() as agent:
            for event in (ancient, future, skewed, present, earlier):
                raw = json.dumps(event).encode()
                await agent.put(raw, key=event["id"].encode(), timestamp=written)
            await articles_handled.records(5)

    run(scenario())
    letters = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [(json.loads(x.raw())["id"], x.reason) for x in letters] == [
        ("ancient-1", "published_before_floor"),
        ("future-1", "published_in_future"),
    ]
    assert "2099-06-01T13:00:00+00:00" in letters[1].detail
    classified = {
        StanceEvent.model_validate_json(v).article_id for _, v in outbox.of(topics.stances_topic)
    }
    assert classified == {"skewed-1", "present-1", "earlier-1"}
    present = hour_of(datetime(2026, 3, 2, 11, tzinfo=UTC))
    assert all(hour <= present for hour in classify.article_watermarks.hours.values())
