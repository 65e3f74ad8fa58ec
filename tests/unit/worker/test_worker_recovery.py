"""The guards: skipped offsets, records kept back, partition counts, changelog metadata."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from faust.types import TP
from worker_support import consumed, run

from detente.offsets import Gap, OffsetContinuity
from detente_worker import delivery, recovery, topics
from detente_worker.app import app, settings
from detente_worker.tables import index_state, seen_articles


@pytest.mark.parametrize("found", [4, 12])
def test_an_input_topic_with_another_partition_count_stops_the_worker(found: int) -> None:
    consumer = mock.Mock()
    consumer.topic_partitions.side_effect = lambda name: (
        found if name == topics.contributions_topic.get_topic_name() else settings.partitions
    )
    with (
        mock.patch.object(type(app), "consumer", mock.PropertyMock(return_value=consumer)),
        mock.patch.object(delivery, "exit_now") as exit_now,
    ):
        run(recovery.check_partition_counts(app, set()))
    exit_now.assert_called_once()
    assert f"has {found} partitions" in exit_now.call_args.args[0]


def test_an_input_topic_not_in_the_metadata_yet_restarts_the_worker() -> None:
    consumer = mock.Mock()
    consumer.topic_partitions.side_effect = lambda name: (
        0 if name == topics.articles_topic.get_topic_name() else settings.partitions
    )  # aiokafka's snapshot counts a subscribed topic it cannot see as 0 partitions
    with (
        mock.patch.object(type(app), "consumer", mock.PropertyMock(return_value=consumer)),
        mock.patch.object(delivery, "exit_now") as exit_now,
    ):
        run(recovery.check_partition_counts(app, set()))
    exit_now.assert_called_once()
    assert "not in the broker's metadata" in exit_now.call_args.args[0]
    assert exit_now.call_args.args[1] == 75  # temporary: started again, it finds the topic


@pytest.mark.parametrize("known", [settings.partitions, None])  # None: not in its snapshot
def test_matching_or_unknown_partition_counts_let_the_worker_run(known: int | None) -> None:
    consumer = mock.Mock()
    consumer.topic_partitions.return_value = known
    with (
        mock.patch.object(type(app), "consumer", mock.PropertyMock(return_value=consumer)),
        mock.patch.object(delivery, "exit_now") as exit_now,
    ):
        run(recovery.check_partition_counts(app, set()))
    exit_now.assert_not_called()


def test_skipped_offsets_restart_the_worker_before_the_batch_is_handled() -> None:
    with (
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(recovery, "restart_now") as restart_now,
    ):
        first = recovery.in_order([consumed(5), consumed(6), consumed(6), consumed(7)])
        restart_now.assert_not_called()
        assert [r.offset for r in first] == [5, 6, 6, 7]  # a repeat is handled again
        recovery.in_order([consumed(9)])
    restart_now.assert_called_once()
    assert restart_now.call_args.args[1] == Gap("articles", 2, 8, 8)
    assert "skipped offsets 8-8 of articles[2]" in restart_now.call_args.args[0]


def test_a_new_generation_starting_past_the_committed_offset_restarts_the_worker() -> None:
    committed = {TP("articles", 2): 3}
    consumer = SimpleNamespace(_committed_offset=committed)
    with (
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(type(app), "consumer", mock.PropertyMock(return_value=consumer)),
        mock.patch.object(recovery, "restart_now") as restart_now,
    ):
        recovery.in_order([consumed(3), consumed(4)])
        restart_now.assert_not_called()
        recovery.in_order([consumed(9, generation=8)])  # the next generation resumed at 3
    restart_now.assert_called_once()
    assert restart_now.call_args.args[1] == Gap("articles", 2, 3, 8)


def test_the_restart_replaces_the_process_and_carries_the_gap() -> None:
    gap = Gap("articles", 2, 8, 8)
    with mock.patch.object(recovery.os, "execve") as execve:
        recovery.restart_now("skipped", gap)
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
        with mock.patch.object(recovery, "handling", busy):
            run(recovery.find_records_never_handed_over())

    with (
        mock.patch.object(recovery, "continuity", continuity),
        mock.patch.object(recovery, "suspects", set()),
        mock.patch.object(type(app), "consumer", mock.PropertyMock(return_value=consumer)),
        mock.patch.object(recovery.app, "consumer_generation_id", 5),
        mock.patch.object(recovery.app, "rebalancing", False),
        mock.patch.object(recovery.app, "in_recovery", False),
        mock.patch.object(recovery, "restart_now") as restart_now,
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
    with mock.patch.object(app.producer, "_ensure_producer", return_value=aiokafka_producer):
        run(recovery.load_changelog_metadata(app, assigned=set()))
    asked = {call.args[0] for call in aiokafka_producer.partitions_for.await_args_list}
    assert asked == {
        index_state.changelog_topic.get_topic_name(),
        seen_articles.changelog_topic.get_topic_name(),
    }
