"""Stage two through `test_context()`: contribution bundles → subject states → indices."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from worker_support import NOW, Handled, Outbox, bundle, contribution, run

from detente.events import Contribution, DeadLetter, IndexUpdate
from detente_worker import agents, aggregate, topics
from detente_worker.records import Record


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
    # Eight hardline statements of weight 0.9: the posterior (2 + 7.2) / (4 + 7.2).
    last = updates[-1].windows["24h"]
    assert last.raw == 100.0 and last.index == round(100 * 9.2 / 11.2, 2) and last.statements == 8
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

    def record(*articles: int) -> Record:
        return Record(bundle(*map(made, articles)), None, "contributions", 0, articles[0])

    async def scenario() -> None:
        async with agents.aggregate_indices.test_context():
            first = [record(n) for n in range(10)]
            await aggregate.handle_contributions(first)
            # After a crash the batch comes again, with one new record.
            await aggregate.handle_contributions([*first, record(11)])
            # A bundle mixing both subjects, replays and new contributions.
            await aggregate.handle_contributions([record(8, 9, 11, 12, 13)])

    run(scenario())
    updates = [IndexUpdate.model_validate_json(v) for _, v in outbox.of(topics.indices_topic)]
    assert [(u.subject, u.total_articles) for u in updates] == [
        ("actor:israel", 5), ("actor:iran", 5), ("actor:iran", 6),
        ("actor:israel", 6), ("actor:iran", 7),
    ]  # fmt: skip


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


def test_a_contribution_dated_beyond_its_article_record_is_refused(
    outbox: Outbox, contributions_handled: Handled
) -> None:
    def dated(article: str, when: datetime) -> Contribution:
        return contribution(article, when, True).model_copy(
            update={"subject": "actor:tonga", "actors": ["tonga"],
                    "article_produced_at": NOW.timestamp()}
        )  # fmt: skip

    async def scenario() -> None:
        async with agents.aggregate_indices.test_context() as agent:
            await agent.put(bundle(dated("future", datetime(2099, 6, 1, tzinfo=UTC))))
            await agent.put(bundle(dated("today", NOW - timedelta(hours=1))))
            await contributions_handled.records(2)

    run(scenario())
    letters = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [letter.reason for letter in letters] == ["published_in_future"]
    assert Contribution.model_validate_json(letters[0].raw()).article_id == "future"
    updates = [IndexUpdate.model_validate_json(v) for _, v in outbox.of(topics.indices_topic)]
    assert updates[-1].subject == "actor:tonga" and updates[-1].total_articles == 1
    assert updates[-1].as_of < datetime(2027, 1, 1, tzinfo=UTC)
