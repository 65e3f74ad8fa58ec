"""The Faust agents through `test_context()`: real agents and tables, outputs captured."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from aiokafka.partitioner import DefaultPartitioner
from faust.types import TP

from detente.events import Contribution, ContributionBundle, DeadLetter, IndexUpdate, StanceEvent
from detente.offsets import Gap, OffsetContinuity
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

        return mock.patch.object(agents.app.producer, "send", side_effect=send)

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


@pytest.fixture(autouse=True)
def partitioner() -> Iterator[None]:
    """Tables place keys with the producer's partitioner; test_context starts no producer."""

    def key_partition(topic: str, key: bytes) -> TP:
        partitions = list(range(agents.settings.partitions))
        return TP(topic, DefaultPartitioner.__call__(key, partitions, partitions))

    with mock.patch.object(agents.app.producer, "key_partition", key_partition):
        yield


original_flush_outputs = agents.flush_outputs


@pytest.fixture(autouse=True)
def no_flush() -> Iterator[None]:
    """test_context starts no producer, so there is nothing to deliver after a batch."""
    with mock.patch.object(agents, "flush_outputs", mock.AsyncMock()):
        yield


@pytest.fixture
def outbox() -> Iterator[Outbox]:
    box = Outbox()
    with box.patch():
        yield box
    agents.deliveries.clear()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


class Handled:
    """Counts the records that an agent's batch handler has finished with.

    The agents take records in batches, so `put` returns once a record is buffered; a test
    waits for `records(n)` before it reads the outbox."""

    def __init__(self, name: str) -> None:
        self.name, self.count = name, 0
        self.original = getattr(agents, name)
        self.progress = asyncio.Event()

    async def __call__(self, records: Any) -> None:
        await self.original(records)
        self.count += len(records)
        self.progress.set()

    async def records(self, expected: int) -> None:
        try:
            async with asyncio.timeout(10):
                while self.count < expected:
                    self.progress.clear()
                    await self.progress.wait()
        except TimeoutError:
            raise AssertionError(f"{self.name} handled {self.count} of {expected}") from None


@pytest.fixture
def articles_handled() -> Iterator[Handled]:
    handled = Handled("handle_articles")
    with mock.patch.object(agents, "handle_articles", handled):
        yield handled


@pytest.fixture
def contributions_handled() -> Iterator[Handled]:
    handled = Handled("handle_contributions")
    with mock.patch.object(agents, "handle_contributions", handled):
        yield handled


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
    russia = next(s for s in stances if s.stance.actor == "russia")
    assert russia.stance.stance == "hardline"
    bundles = outbox.bundles()
    subjects = [c.subject for _, bundle in bundles for c in bundle.contributions]
    assert "actor:russia" in subjects and "global" in subjects
    assert len(subjects) == len(set(subjects))  # the duplicate added nothing
    # One record per partition, each holding only subjects that belong to that partition.
    assert len({partition for partition, _ in bundles}) == len(bundles)
    assert all(
        partition == agents.subject_partition(c.subject)
        for partition, bundle in bundles
        for c in bundle.contributions
    )


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
            await agent.put(json.dumps({**ARTICLE, "id": "ok-2"}).encode(), key=b"ok-2")
            await articles_handled.records(6)

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


def contribution(article: str, when: datetime, hardline: bool) -> Contribution:
    return Contribution(
        subject="actor:north-korea", subject_kind="actor", actors=["north-korea"],
        article_id=article, published_at=when, hardline_weight=0.9 if hardline else 0.0,
        weight=0.9, statements=1,
    )  # fmt: skip


def bundle(*contributions: Contribution) -> bytes:
    return ContributionBundle(contributions=list(contributions)).to_json_bytes()


def test_indices_updates_late_events_and_one_alert_per_burst(
    outbox: Outbox, contributions_handled: Handled
) -> None:
    async def scenario() -> None:
        async with agents.aggregate_indices.test_context() as agent:
            calm = [contribution(f"calm-{n}", NOW - timedelta(days=3, hours=n), False)
                    for n in range(4)]  # fmt: skip
            await agent.put(bundle(*calm))
            for n in range(8):
                await agent.put(
                    bundle(contribution(f"burst-{n}", NOW + timedelta(minutes=n), True))
                )
            await agent.put(bundle(contribution("ancient", NOW - timedelta(days=30), True)))
            await contributions_handled.records(10)

    run(scenario())
    updates = [IndexUpdate.model_validate_json(v) for _, v in outbox.of(topics.indices_topic)]
    # One update per subject per batch: how the 9 counted bundles fell into batches sets it.
    assert 1 <= len(updates) <= 9
    totals = [u.total_articles for u in updates]
    assert totals == sorted(set(totals)) and totals[-1] == 12
    assert updates[-1].windows["24h"].index == 100.0 and updates[-1].windows["24h"].statements == 8
    alerts = [json.loads(v) for _, v in outbox.of(topics.alerts_topic)]
    assert len(alerts) == 1 and alerts[0]["subject"] == "actor:north-korea"
    assert set(alerts[0]["article_ids"]) <= {f"burst-{n}" for n in range(8)}
    late = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [letter.reason for letter in late] == ["late_event"]
    # The letter holds the late contribution itself, not the bundle that carried it.
    assert Contribution.model_validate_json(late[0].raw()).article_id == "ancient"


def test_a_batch_publishes_each_subject_once_and_fences_replays(outbox: Outbox) -> None:
    def made(n: int) -> Contribution:  # article n, read at offset n of partition 0
        subject = "actor:iran" if n % 2 else "actor:israel"
        return Contribution(
            subject=subject, subject_kind="actor", actors=[subject.split(":")[1]],
            article_id=f"a-{n}", published_at=NOW + timedelta(minutes=n), hardline_weight=0.9,
            weight=0.9, statements=1, source_partition=0, source_offset=n,
        )  # fmt: skip

    def record(*articles: int) -> agents.Record:
        return agents.Record(bundle(*map(made, articles)), None, "contributions", 0, articles[0])

    async def scenario() -> None:
        async with agents.aggregate_indices.test_context():
            first = [record(n) for n in range(10)]
            await agents.handle_contributions(first)
            # After a crash the batch comes again, with one new record.
            await agents.handle_contributions([*first, record(11)])
            # A bundle mixing both subjects, replays and new contributions.
            await agents.handle_contributions([record(8, 9, 11, 12, 13)])

    run(scenario())
    updates = [IndexUpdate.model_validate_json(v) for _, v in outbox.of(topics.indices_topic)]
    assert [(u.subject, u.total_articles) for u in updates] == [
        ("actor:israel", 5), ("actor:iran", 5), ("actor:iran", 6),
        ("actor:israel", 6), ("actor:iran", 7),
    ]  # fmt: skip


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

    with mock.patch.object(agents.settings, "contributions_per_record", 2):
        run(scenario())
    bundles = outbox.bundles()
    assert all(1 <= len(bundle.contributions) <= 2 for _, bundle in bundles)
    # Three articles' contributions over fewer partitions than records: split for sure.
    assert len(bundles) > len({partition for partition, _ in bundles}) > 0
    for partition in {partition for partition, _ in bundles}:
        sent = [c for p, bundle in bundles if p == partition for c in bundle.contributions]
        assert all(agents.subject_partition(c.subject) == partition for c in sent)
        # The fence needs each source partition's offsets in reading order per subject.
        for subject in {c.subject for c in sent}:
            ids = [c.article_id for c in sent if c.subject == subject]
            assert ids == sorted(ids) and len(ids) == 3


def test_invalid_contributions_are_dead_lettered_alone_and_their_neighbours_count(
    outbox: Outbox, contributions_handled: Handled
) -> None:
    def lesotho(article: str) -> Contribution:
        return contribution(article, NOW, True).model_copy(
            update={"subject": "actor:lesotho", "actors": ["lesotho"]}
        )

    async def scenario() -> None:
        async with agents.aggregate_indices.test_context() as agent:
            await agent.put(b"\x00 not a bundle")
            # One bad entry among good ones: only the entry goes to the DLQ.
            good = json.loads(bundle(lesotho("fine-1")))["contributions"][0]
            await agent.put(json.dumps({"schema_version": 1, "contributions": [
                good, {"subject": 3},
            ]}).encode())  # fmt: skip
            # A record from before bundling (one contribution per record) still counts.
            await agent.put(lesotho("fine-2").to_json_bytes())
            await contributions_handled.records(3)

    run(scenario())
    letters = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [letter.reason for letter in letters] == ["invalid_contribution"] * 2
    assert letters[0].raw() == b"\x00 not a bundle"
    assert json.loads(letters[1].raw()) == {"subject": 3}
    updates = [IndexUpdate.model_validate_json(v) for _, v in outbox.of(topics.indices_topic)]
    assert updates[-1].subject == "actor:lesotho" and updates[-1].total_articles == 2


def test_a_failed_send_abandons_the_batch_before_it_is_acknowledged() -> None:
    producer = mock.Mock()
    producer.buffer.size = 0
    producer.flush = mock.AsyncMock()

    async def scenario(outcomes: list[Any]) -> None:
        futures = []
        for outcome in outcomes:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
            futures.append(future)
        agents.deliveries[:] = futures
        producer_property = mock.PropertyMock(return_value=producer)
        with mock.patch.object(type(agents.app), "producer", producer_property):
            await original_flush_outputs()

    with mock.patch.object(agents, "exit_now") as exit_now:
        run(scenario(["metadata", "metadata"]))
        exit_now.assert_not_called()
        run(scenario(["metadata", RuntimeError("broker said no")]))
    exit_now.assert_called_once()
    assert "1 of 2 outputs not delivered" in exit_now.call_args.args[0]
    assert "broker said no" in exit_now.call_args.args[0]
    assert agents.deliveries == []  # the next batch starts with a clean slate


@pytest.mark.parametrize("found", [4, 12])
def test_an_input_topic_with_another_partition_count_stops_the_worker(found: int) -> None:
    consumer = mock.Mock()
    consumer.topic_partitions.side_effect = lambda name: (
        found if name == topics.contributions_topic.get_topic_name() else agents.settings.partitions
    )
    with (
        mock.patch.object(type(agents.app), "consumer", mock.PropertyMock(return_value=consumer)),
        mock.patch.object(agents, "exit_now") as exit_now,
    ):
        run(agents.check_partition_counts(agents.app, set()))
    exit_now.assert_called_once()
    assert f"has {found} partitions" in exit_now.call_args.args[0]


def test_matching_partition_counts_let_the_worker_run() -> None:
    consumer = mock.Mock()
    consumer.topic_partitions.return_value = agents.settings.partitions
    with (
        mock.patch.object(type(agents.app), "consumer", mock.PropertyMock(return_value=consumer)),
        mock.patch.object(agents, "exit_now") as exit_now,
    ):
        run(agents.check_partition_counts(agents.app, set()))
    exit_now.assert_not_called()


def consumed(offset: int, generation: int = 7) -> Any:
    """A stand-in for a Faust event: what `Record.of` reads."""
    message = SimpleNamespace(
        topic="articles", partition=2, offset=offset, timestamp=None, generation_id=generation
    )
    return SimpleNamespace(value=b"{}", key=None, message=message)


def test_skipped_offsets_restart_the_worker_before_the_batch_is_handled() -> None:
    with (
        mock.patch.object(agents, "continuity", OffsetContinuity()),
        mock.patch.object(agents, "restart_now") as restart_now,
    ):
        first = agents.in_order([consumed(5), consumed(6), consumed(6), consumed(7)])
        restart_now.assert_not_called()
        assert [r.offset for r in first] == [5, 6, 6, 7]  # a repeat is handled again
        agents.in_order([consumed(9)])
    restart_now.assert_called_once()
    assert restart_now.call_args.args[1] == Gap("articles", 2, 8, 8)
    assert "skipped offsets 8-8 of articles[2]" in restart_now.call_args.args[0]


def test_the_restart_replaces_the_process_and_carries_the_gap() -> None:
    gap = Gap("articles", 2, 8, 8)
    with mock.patch.object(agents.os, "execve") as execve:
        agents.restart_now("skipped", gap)
    executable, argv, environment = execve.call_args.args
    assert argv == [executable, "-m", "detente_worker"]
    assert environment["DETENTE_TOLERATED_GAP"] == gap.encode()


def test_the_watchdog_restarts_an_idle_worker_whose_consumer_kept_records_back() -> None:
    """The last record of a partition skipped: no hole follows it, but the consumer's
    position stays past what the handlers got."""
    continuity = OffsetContinuity()
    continuity.admit(topics.articles_topic.get_topic_name(), 1, 40, generation=5)
    consumer = mock.Mock()
    consumer.assignment.return_value = {TP(topics.articles_topic.get_topic_name(), 1)}
    consumer.position = mock.AsyncMock(return_value=42)  # offset 41 was taken, never handed over

    def look(busy: int = 0) -> None:
        with mock.patch.object(agents, "handling", busy):
            run(agents.find_records_never_handed_over())

    with (
        mock.patch.object(agents, "continuity", continuity),
        mock.patch.object(agents, "suspects", set()),
        mock.patch.object(type(agents.app), "consumer", mock.PropertyMock(return_value=consumer)),
        mock.patch.object(agents.app, "consumer_generation_id", 5),
        mock.patch.object(agents.app, "rebalancing", False),
        mock.patch.object(agents.app, "in_recovery", False),
        mock.patch.object(agents, "restart_now") as restart_now,
    ):
        look()  # a first sighting may be a batch on its way
        look(busy=1)  # a batch in hand: no judgement, and the sighting is forgotten
        look()
        restart_now.assert_not_called()
        look()  # the same records still missing, the worker idle: skipped
    restart_now.assert_called_once()
    assert restart_now.call_args.args[1] == Gap(topics.articles_topic.get_topic_name(), 1, 41, 41)
    assert "never handed them over" in restart_now.call_args.args[0]


def test_changelog_metadata_is_loaded_before_the_first_table_write() -> None:
    aiokafka_producer = mock.Mock()
    aiokafka_producer.partitions_for = mock.AsyncMock(return_value={0, 1, 2, 3})
    with mock.patch.object(agents.app.producer, "_ensure_producer", return_value=aiokafka_producer):
        run(agents.load_changelog_metadata(agents.app, assigned=set()))
    asked = {call.args[0] for call in aiokafka_producer.partitions_for.await_args_list}
    assert asked == {
        agents.index_state.changelog_topic.get_topic_name(),
        agents.seen_articles.changelog_topic.get_topic_name(),
    }
