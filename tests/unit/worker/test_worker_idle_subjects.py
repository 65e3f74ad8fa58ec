"""Stage two forgets idle subjects: a tombstone first, the state one sweep later."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from worker_support import NOW, Outbox, bundle, contribution, run

from detente.events import Contribution, DeadLetter, IndexUpdate
from detente_worker import agents, aggregate, idle_subjects, metrics, topics
from detente_worker.classify import subject_partition
from detente_worker.records import Record
from detente_worker.tables import index_state


def neighbours() -> tuple[str, str, int]:
    """Two actor subjects that share a partition of `index-contributions`."""
    seen: dict[int, str] = {}
    for n in range(1000):
        subject = f"actor:unit-{n}"
        partition = subject_partition(subject)
        if partition in seen:
            return seen[partition], subject, partition
        seen[partition] = subject
    raise AssertionError("no two subjects share a partition")


QUIET, BUSY, PARTITION = neighbours()


def of(subject: str, article: str, days: float) -> Contribution:
    return contribution(article, NOW + timedelta(days=days), True).model_copy(
        update={"subject": subject, "actors": [subject.split(":")[1]]}
    )


def record(*contributions: Contribution) -> Record:
    return Record(bundle(*contributions), None, "contributions", PARTITION, 0)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    """An empty `index-state`: other tests' subjects would be idle neighbours too."""
    held = dict(index_state.data)
    index_state.data.clear()
    idle_subjects.subject_clock.invalidate()
    idle_subjects.sweeper.tombstoned.clear()
    yield
    index_state.data.clear()
    index_state.data.update(held)
    idle_subjects.subject_clock.invalidate()
    idle_subjects.sweeper.tombstoned.clear()


def test_an_idle_subject_is_tombstoned_then_forgotten_and_refuses_what_it_would_have(
    outbox: Outbox,
) -> None:
    sweeper = idle_subjects.sweeper
    forgotten = metrics.SUBJECTS_FORGOTTEN._value.get()

    async def scenario() -> list[int]:
        deleted = []
        async with agents.aggregate_indices.test_context():
            await aggregate.handle_contributions([record(of(QUIET, "q-1", 0))])
            # Its neighbour is busy 21 days later: not yet more than retention, lateness
            # and retention again (7 + 7 + 7 days) behind the partition's newest hour.
            await aggregate.handle_contributions([record(of(BUSY, "b-1", 21))])
            deleted.append(await sweeper.sweep([PARTITION]))
            assert len(outbox.of(topics.indices_topic)) == 2  # no tombstone
            await aggregate.handle_contributions([record(of(BUSY, "b-2", 21.1))])
            deleted.append(await sweeper.sweep([PARTITION - 1]))  # not ours: nothing
            assert len(outbox.of(topics.indices_topic)) == 3
            deleted.append(await sweeper.sweep([PARTITION]))
            assert QUIET.encode() in index_state  # still there until the tombstone is out
            deleted.append(await sweeper.sweep([PARTITION]))
            assert QUIET.encode() not in index_state and BUSY.encode() in index_state
            # What a kept QUIET would have refused, the forgotten one refuses too; what it
            # would have started afresh with, it starts with.
            await aggregate.handle_contributions(
                [record(of(QUIET, "q-ancient", 6.9), of(QUIET, "q-2", 21.2))]
            )
        return deleted

    assert run(scenario()) == [0, 0, 0, 1]
    assert metrics.SUBJECTS_FORGOTTEN._value.get() == forgotten + 1
    sent = outbox.of(topics.indices_topic)
    tombstones = [key for key, value in sent if value is None]
    assert tombstones == [QUIET.encode()]
    last = IndexUpdate.model_validate_json(sent[-1][1])
    assert (last.subject, last.total_articles, last.last_article_id) == (QUIET, 1, "q-2")
    letters = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [letter.reason for letter in letters] == ["late_event"]
    assert "its partition's newest hour" in letters[0].detail
    assert Contribution.model_validate_json(letters[0].raw()).article_id == "q-ancient"


def test_a_tombstoned_subject_that_speaks_again_is_kept(outbox: Outbox) -> None:
    sweeper = idle_subjects.sweeper

    async def scenario() -> None:
        async with agents.aggregate_indices.test_context():
            await aggregate.handle_contributions([record(of(QUIET, "q-1", 0))])
            await aggregate.handle_contributions([record(of(BUSY, "b-1", 21.1))])
            await sweeper.sweep([PARTITION])
            await aggregate.handle_contributions([record(of(QUIET, "q-2", 21.1))])
            assert await sweeper.sweep([PARTITION]) == 0

    run(scenario())
    assert QUIET.encode() in index_state
    sent = outbox.of(topics.indices_topic)
    # The tombstone went out before the subject's new index, so readers keep the new one.
    quiet = [value for key, value in sent if key == QUIET.encode()]
    assert quiet[-2] is None and IndexUpdate.model_validate_json(quiet[-1]).total_articles == 1


def test_the_partition_clock_is_rebuilt_from_the_states_after_a_rebalance(
    outbox: Outbox,
) -> None:
    async def scenario() -> None:
        async with agents.aggregate_indices.test_context():
            await aggregate.handle_contributions([record(of(QUIET, "q-1", 0), of(BUSY, "b-1", 15))])
            newest = idle_subjects.subject_clock.hours[PARTITION]
            idle_subjects.subject_clock.invalidate()  # what a rebalance does
            await aggregate.handle_contributions([record(of(QUIET, "q-old", 0.5))])
            assert idle_subjects.subject_clock.hours[PARTITION] == newest

    run(scenario())
    letters = [DeadLetter.model_validate_json(v) for _, v in outbox.of(topics.dead_letters_topic)]
    assert [Contribution.model_validate_json(x.raw()).article_id for x in letters] == ["q-old"]
