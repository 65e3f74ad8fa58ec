"""The guards: skipped offsets, records kept back, partition counts, changelog metadata."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from faust.types import TP
from worker_support import consumed, run

from detente.offsets import Gap, OffsetContinuity
from detente_worker import delivery, holes, metrics, recovery, topics
from detente_worker.app import app, settings
from detente_worker.records import Record
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


def broker_holds(*offsets: int) -> mock.AsyncMock:
    """holes.records_in, answering with records at `offsets` (those inside the hole)."""

    async def read(gap: Gap, generation: int, *args: Any, **kwargs: Any) -> list[Record]:
        inside = [n for n in offsets if gap.first <= n <= gap.last]
        return [Record(b"{}", None, gap.topic, gap.partition, n, None, generation) for n in inside]

    return mock.AsyncMock(side_effect=read)


def resumed_at(offset: int, **more: Any) -> Any:
    """app.consumer as `in_order` sees it: `articles` partition 2 resumed from `offset`."""
    consumer = SimpleNamespace(_committed_offset={TP("articles", 2): offset}, **more)
    return mock.patch.object(type(app), "consumer", mock.PropertyMock(return_value=consumer))


def holes_counted(held: str) -> float:
    return metrics.METRICS.holes.labels(topic="articles", held=held)._value.get()


def test_a_hole_is_filled_with_the_records_the_broker_holds_there() -> None:
    before = holes_counted("records")
    with (
        resumed_at(5),
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(recovery.holes, "records_in", broker_holds(8)) as records_in,
        mock.patch.object(recovery, "restart_now") as restart_now,
    ):
        first, filled = run(recovery.in_order([consumed(5), consumed(6), consumed(6), consumed(7)]))
        assert [r.offset for r in first] == [5, 6, 6, 7] and filled == []  # a repeat: again
        records_in.assert_not_called()
        records, filled = run(recovery.in_order([consumed(9), consumed(10)]))
    restart_now.assert_not_called()
    assert records_in.call_args.args[:2] == (Gap("articles", 2, 8, 8), 7)
    assert [r.offset for r in records] == [8, 9, 10]
    assert filled == [Gap("articles", 2, 8, 8)]
    assert holes_counted("records") == before + 1


def test_a_hole_holding_no_records_is_passed_over() -> None:
    """A transaction's commit marker takes an offset that no consumer is handed."""
    before = holes_counted("nothing")
    with (
        resumed_at(5),
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(recovery.holes, "records_in", broker_holds()),
        mock.patch.object(recovery, "restart_now") as restart_now,
    ):
        run(recovery.in_order([consumed(5)]))
        records, filled = run(recovery.in_order([consumed(7), consumed(8)]))
    restart_now.assert_not_called()
    assert [r.offset for r in records] == [7, 8]
    assert filled == [Gap("articles", 2, 6, 6)]
    assert holes_counted("nothing") == before + 1


@pytest.mark.parametrize(
    "failure",
    [holes.HoleUnread("no answer from the broker within 30 s"), holes.HoleUnread("too many")],
)
def test_a_hole_that_cannot_be_read_restarts_the_worker_before_the_batch_is_handled(
    failure: Exception,
) -> None:
    with (
        resumed_at(5),
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(recovery.holes, "records_in", mock.AsyncMock(side_effect=failure)),
        mock.patch.object(recovery, "restart_now", side_effect=SystemExit) as restart_now,
    ):
        run(recovery.in_order([consumed(5)]))
        with pytest.raises(SystemExit):
            run(recovery.in_order([consumed(9)]))
    assert "skipped offsets 6-8 of articles[2]" in restart_now.call_args.args[0]
    assert str(failure) in restart_now.call_args.args[0]


def test_a_new_generation_starting_past_the_committed_offset_gets_the_records_between() -> None:
    committed = {TP("articles", 2): 3}
    consumer = SimpleNamespace(_committed_offset=committed)
    with (
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(type(app), "consumer", mock.PropertyMock(return_value=consumer)),
        mock.patch.object(recovery.holes, "records_in", broker_holds(*range(20))) as records_in,
    ):
        run(recovery.in_order([consumed(3), consumed(4)]))
        records_in.assert_not_called()
        records, _ = run(recovery.in_order([consumed(9, generation=8)]))  # resumed at 3
    assert records_in.call_args.args[0] == Gap("articles", 2, 3, 8)
    assert [(r.offset, r.generation) for r in records] == [(n, 8) for n in range(3, 10)]


@pytest.mark.parametrize("committed", [None, 0])  # Faust keeps a committed 0 as None
def test_a_partition_without_a_commit_is_not_judged_at_its_first_record(
    committed: int | None,
) -> None:
    """aiokafka seeks only to a committed offset above 0; without one the consumer goes on
    from where it was (records this worker handled before a rebalance, not yet committed)."""
    with (
        resumed_at(committed),  # type: ignore[arg-type]
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(recovery.holes, "records_in", broker_holds(*range(200))) as records_in,
    ):
        records, filled = run(recovery.in_order([consumed(134), consumed(135)]))
    records_in.assert_not_called()
    assert [r.offset for r in records] == [134, 135] and filled == []


def test_holes_filled_are_let_past_the_commit_only_once_the_batch_is_delivered() -> None:
    steps: list[str] = []

    async def handle(records: Any) -> None:
        steps.append(f"handle {[r.offset for r in records]}")

    async def flush() -> None:
        steps.append("flush")

    async def add_gap(tp: TP, first: int, last: int) -> None:
        steps.append(f"gap {tp.partition} {first}-{last}")

    with (
        resumed_at(5, _add_gap=add_gap),
        mock.patch.object(recovery, "continuity", OffsetContinuity()),
        mock.patch.object(recovery.holes, "records_in", broker_holds(6)),
        mock.patch.object(recovery.delivery, "flush_outputs", side_effect=flush),
    ):
        run(recovery.handle_batch("classify", handle, [consumed(5), consumed(7)]))
    assert steps == ["handle [5, 6, 7]", "flush", "gap 2 6-6"]


@pytest.mark.parametrize(
    ("hole", "acknowledged", "commit_without", "commit_with"),
    [
        ((4, 6), [7, 8, 9], None, 10),  # Faust would never commit past the committed 4
        ((10, 12), [4, 5, 6, 7, 8, 9, 13], 10, 14),  # nor past the hole
        ((4, 4), [5, 6, 7], 8, 8),  # a single offset at the head it passes on its own
    ],
)
def test_faust_commits_past_a_filled_hole_only_once_it_is_marked(
    hole: tuple[int, int], acknowledged: list[int], commit_without: int, commit_with: int
) -> None:
    """Faust's own arithmetic (`Consumer._new_offset`), committed offset 4: the hole's
    records were handled but never acknowledged through Faust, which handed them to no one."""
    consumer = app.consumer
    tp = TP("articles", 2)

    def commit(marked: bool) -> int | None:
        consumer._committed_offset[tp] = 4
        consumer._acked[tp] = list(acknowledged)
        consumer._acked_index[tp] = set(acknowledged)
        consumer._gap.pop(tp, None)
        if marked:
            run(recovery.let_commit_pass(Gap("articles", 2, *hole)))
        return consumer._new_offset(tp)

    try:
        assert commit(marked=False) == commit_without
        assert commit(marked=True) == commit_with
    finally:
        for table in (consumer._committed_offset, consumer._acked, consumer._acked_index):
            table.pop(tp, None)
        consumer._gap.pop(tp, None)


def test_the_restart_replaces_the_process() -> None:
    with mock.patch.object(recovery.os, "execve") as execve:
        recovery.restart_now("skipped")
    executable, argv, environment = execve.call_args.args
    assert argv == [executable, "-m", "detente_worker"]
    assert environment == dict(recovery.os.environ)


class Watchdog:
    """The watchdog's view: one partition, offset 40 handed over, the consumer at 42."""

    def __init__(self, holds: mock.AsyncMock) -> None:
        self.continuity = OffsetContinuity()
        self.topic = topics.articles_topic.get_topic_name()
        self.continuity.admit(self.topic, 1, 40, generation=5)
        self.consumer = mock.Mock()
        self.consumer.assignment.return_value = {TP(self.topic, 1)}
        self.consumer.position = mock.AsyncMock(return_value=42)  # 41 taken, never handed over
        self.consumer._add_gap = mock.AsyncMock()
        self.holds = holds

    def look(self, busy: int = 0) -> None:
        with mock.patch.object(recovery, "handling", busy):
            run(recovery.find_records_never_handed_over())

    def patched(self) -> Any:
        stack = contextlib.ExitStack()
        for target, name, value in [
            (recovery, "continuity", self.continuity),
            (recovery, "suspects", set()),
            (recovery.app, "consumer_generation_id", 5),
            (recovery.app, "rebalancing", False),
            (recovery.app, "in_recovery", False),
            (recovery.holes, "records_in", self.holds),
        ]:
            stack.enter_context(mock.patch.object(target, name, value))
        stack.enter_context(
            mock.patch.object(type(app), "consumer", mock.PropertyMock(return_value=self.consumer))
        )
        return stack


def test_the_watchdog_restarts_an_idle_worker_whose_consumer_kept_records_back() -> None:
    """The last record of a partition skipped: no hole follows it, but the consumer's
    position stays past what the handlers got."""
    watchdog = Watchdog(broker_holds(41))
    with watchdog.patched(), mock.patch.object(recovery, "restart_now") as restart_now:
        watchdog.look()  # a first sighting may be a batch on its way
        watchdog.look(busy=1)  # a batch in hand: no judgement, and the sighting is forgotten
        watchdog.look()
        restart_now.assert_not_called()
        watchdog.look()  # the same records still missing, the worker idle: skipped
    restart_now.assert_called_once()
    assert watchdog.holds.call_args.args[0] == Gap(watchdog.topic, 1, 41, 41)
    assert "never handed them over" in restart_now.call_args.args[0]


def test_the_watchdog_passes_over_a_marker_that_ends_a_partition() -> None:
    watchdog = Watchdog(broker_holds())
    with watchdog.patched(), mock.patch.object(recovery, "restart_now") as restart_now:
        watchdog.look()
        watchdog.look()  # seen twice: the broker holds nothing at 41
        watchdog.look()
        watchdog.look()  # accepted: not judged again
        watchdog.continuity.admit(watchdog.topic, 1, 42, generation=5)  # no hole before 42
    restart_now.assert_not_called()
    watchdog.holds.assert_awaited_once()
    watchdog.consumer._add_gap.assert_awaited_once_with(TP(watchdog.topic, 1), 41, 41)


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
