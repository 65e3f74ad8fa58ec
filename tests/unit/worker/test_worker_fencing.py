"""A frozen worker's late writes: noticed in the process (`fencing.PauseWatch`), and
dropped when the `index-state` changelog is read back (`tables.FencedTable`)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from worker_support import NOW, contribution

from detente import indices
from detente_worker import fencing, metrics
from detente_worker.tables import index_state


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_stop_past_the_threshold_is_noticed_even_before_the_next_tick() -> None:
    clock = FakeClock()
    watch = fencing.PauseWatch(threshold=8.0, interval=0.1, clock=clock)
    assert not watch.stopped_too_long()  # not started: nothing is watched
    watch.start = lambda: setattr(watch, "_last_tick", clock())  # type: ignore[method-assign]
    watch.start()
    for _ in range(50):  # busy but never stopped: ticks come on time
        clock.now += 0.1
        watch.tick()
    clock.now += 5.0  # a stop shorter than the threshold
    watch.tick()
    assert not watch.stopped_too_long()
    clock.now += 9.0  # stopped 9 s; the watch thread has not ticked since it woke
    assert watch.stopped_too_long()
    watch.tick()
    clock.now += 0.1
    watch.tick()
    assert watch.stopped_too_long()  # and it stays noticed: the restart clears it
    assert watch.longest_pause == pytest.approx(8.9)


def test_the_safe_pause_leaves_a_heartbeat_of_margin_each_side() -> None:
    assert fencing.safe_pause_seconds(10.0, 1.0) == 8.0
    assert fencing.safe_pause_seconds(2.0, 1.0) == 1.0  # never below one heartbeat


def test_a_worker_stopped_too_long_restarts_before_writing() -> None:
    with (
        mock.patch.object(fencing.PAUSE_WATCH, "stopped_too_long", return_value=True),
        mock.patch.object(fencing.recovery, "restart_now") as restart,
    ):
        fencing.ensure_still_member()
    assert restart.call_count == 1
    assert "may have a new owner" in restart.call_args.args[0]
    with mock.patch.object(fencing.recovery, "restart_now") as restart:
        fencing.ensure_still_member()  # the watch is not started in tests: never stopped
    assert restart.call_count == 0


def changelog_event(key: bytes, state: dict[str, Any] | None) -> Any:
    message = SimpleNamespace(value=None if state is None else b"{...}", partition=0)
    return SimpleNamespace(key=key, value=state, message=message)


def test_the_changelog_read_back_keeps_the_newest_state_of_each_subject() -> None:
    """The issue's run: 711 (frozen worker) → 1788 (new owner) → 906 (frozen worker, awake)."""

    def placed(n: int, partition: int, offset: int) -> Any:
        late = contribution(f"a-{n}", NOW - timedelta(hours=n % 5), hardline=n % 2 == 0)
        return late.model_copy(update={"source_partition": partition, "source_offset": offset})

    before_freeze = indices.empty_state()
    for n in range(4):
        before_freeze = indices.apply(before_freeze, placed(n, n % 2, n))
    in_flight = [placed(10, 0, 10), placed(11, 1, 11)]
    frozen = before_freeze
    for event in in_flight:
        frozen = indices.apply(frozen, event)
    successor = before_freeze
    for event in [*in_flight, placed(12, 0, 12), placed(13, 2, 13)]:
        successor = indices.apply(successor, event)
    other = indices.apply(indices.empty_state(), placed(20, 3, 20))
    dropped = metrics.STALE_WRITES.labels(where="restore")
    before = dropped._value.get()
    key = b"actor:north-korea"
    index_state.data.pop(key, None)
    index_state.data.pop(b"global", None)
    index_state.apply_changelog_batch(
        [changelog_event(key, before_freeze), changelog_event(key, successor)]
    )
    # The late write comes in a later batch, with another key's write and a tombstone behind it.
    index_state.apply_changelog_batch(
        [
            changelog_event(key, frozen),
            changelog_event(b"global", other),
            changelog_event(b"global", None),
        ]
    )
    assert index_state.data[key] == successor
    assert b"global" not in index_state.data
    assert dropped._value.get() == before + 1
    # Within one batch too, and a newer write after an older one still wins.
    index_state.data.pop(key, None)
    index_state.apply_changelog_batch(
        [changelog_event(key, successor), changelog_event(key, frozen)]
    )
    assert index_state.data[key] == successor
    index_state.apply_changelog_batch([changelog_event(key, dict(successor, last_alert_hour=3))])
    assert index_state.data[key]["last_alert_hour"] == 3
    index_state.data.pop(key, None)
