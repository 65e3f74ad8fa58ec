"""Forgetting idle subjects: a sweep, whenever it runs, changes no published index."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from detente import forgetting, indices
from detente.events import Contribution

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
R = indices.RETENTION_HOURS
LATENESS = 168


def made(subject: str, hour: int, n: int, hardline: bool = True) -> Contribution:
    """Article n, published `hour` hours after T0, read at offset n of partition 0."""
    return Contribution(
        subject=subject, subject_kind="actor", actors=[subject.split(":")[1]],
        article_id=f"a-{n}", published_at=T0 + timedelta(hours=hour, minutes=n % 60),
        hardline_weight=0.8 if hardline else 0.0, weight=0.8, statements=2,
        source_partition=0, source_offset=n,
    )  # fmt: skip


def folded(*contributions: Contribution) -> dict[str, Any]:
    state = indices.empty_state()
    for contribution in contributions:
        state = indices.apply(state, contribution)
    return state


def test_a_subject_silent_past_the_retention_starts_afresh_but_keeps_its_fences() -> None:
    before = folded(made("actor:chad", 0, 1), made("actor:chad", 5, 2))
    back = indices.apply(before, made("actor:chad", 5 + R + 1, 3, hardline=False))
    assert back["articles"] == 1 and back["statements"] == 2
    assert [b[0] for b in back["buckets"]] == [back["watermark_hour"]]
    assert back["recent"] == [[back["watermark_hour"], "a-3", 0.0, 0.8]]
    assert back["sources"] == {"0": 3}  # a replay of articles 1 and 2 is still fenced
    assert indices.already_applied(back, made("actor:chad", 0, 1))
    # Silent for exactly the retention: its oldest bucket falls out, its totals go on.
    edge = indices.apply(before, made("actor:chad", 5 + R, 3))
    assert edge["articles"] == 3 and [b[0] for b in edge["buckets"]] == [
        before["watermark_hour"],
        edge["watermark_hour"],
    ]


def test_an_index_after_a_fresh_start_is_newer_than_the_ones_before_it() -> None:
    before = folded(*(made("actor:chad", h, h) for h in range(6)))
    back = indices.apply(before, made("actor:chad", 5 + R + 1, 9))
    old = indices.index_update("actor:chad", "actor", ["chad"], before)
    new = indices.index_update("actor:chad", "actor", ["chad"], back)
    assert new.total_articles < old.total_articles
    assert indices.outdated(old, new) and not indices.outdated(new, old)


def test_the_bounds_of_the_partition_rules() -> None:
    newest = 10_000
    oldest_accepted = newest - R - LATENESS
    assert not forgetting.behind_partition(oldest_accepted, newest, LATENESS)
    assert forgetting.behind_partition(oldest_accepted - 1, newest, LATENESS)
    assert not forgetting.behind_partition(0, None, LATENESS)  # nothing applied there yet

    def state(watermark: int | None) -> dict[str, Any]:
        return {**indices.empty_state(), "watermark_hour": watermark}

    assert forgetting.forgettable(state(oldest_accepted - R - 1), newest, LATENESS)
    assert not forgetting.forgettable(state(oldest_accepted - R), newest, LATENESS)
    assert not forgetting.forgettable(state(None), newest, LATENESS)
    assert not forgetting.forgettable(state(0), None, LATENESS)


class Partition:
    """Stage two's rules over one partition of `index-contributions`, in plain Python
    (aggregate.fold): the partition's lateness, duplicates, the subject's lateness, then
    `apply`."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}
        self.newest: int | None = None

    def fold(self, contribution: Contribution) -> Any:
        subject = contribution.subject
        state = self.states.get(subject) or indices.empty_state()
        hour = indices.hour_of(contribution.published_at)
        if forgetting.behind_partition(hour, self.newest, LATENESS):
            return "late"
        if indices.already_applied(state, contribution):
            return "duplicate"
        if indices.is_late(state, contribution.published_at, timedelta(hours=LATENESS)):
            return "late"
        state = self.states[subject] = indices.apply(state, contribution)
        self.newest = hour if self.newest is None else max(self.newest, hour)
        update = indices.index_update(subject, "actor", contribution.actors, state)
        return update.model_dump(exclude={"updated_at"})

    def sweep(self) -> int:
        idle = [s for s, state in self.states.items()
                if forgetting.forgettable(state, self.newest, LATENESS)]  # fmt: skip
        for subject in idle:
            del self.states[subject]
        return len(idle)

    def rebuilt_newest(self) -> int | None:
        """What a restart rebuilds P from: the newest watermark among the states left."""
        hours = [s["watermark_hour"] for s in self.states.values()]
        return max(hours) if hours else None


@pytest.mark.parametrize("seed", range(30))
def test_sweeps_at_any_moment_publish_the_same_indices_as_none(seed: int) -> None:
    # Subjects that come and go over months: bursts, long silences, late and replayed
    # contributions, and articles far behind the partition (an archive replayed).
    rng = random.Random(seed)
    subjects = [f"actor:s{n}" for n in range(6)]
    stream: list[Contribution] = []
    clock = 0
    for n in range(400):
        clock += rng.choice([0, 1, 2, 5, 40, 24 * 9]) if rng.random() < 0.97 else 24 * 30
        hour = clock - rng.choice([0, 0, 0, 3, 100, 300, 500, 900])
        stream.append(made(rng.choice(subjects), hour, n, hardline=rng.random() < 0.5))
        if rng.random() < 0.05 and stream:  # a replay of something already sent
            stream.append(rng.choice(stream))
    kept, swept = Partition(), Partition()
    forgotten = 0
    for contribution in stream:
        assert kept.fold(contribution) == swept.fold(contribution)
        if rng.random() < 0.2:
            forgotten += swept.sweep()
            assert swept.rebuilt_newest() == swept.newest  # a restart finds the same P
    assert set(swept.states) <= set(kept.states)
    if seed == 0:
        assert forgotten > 0  # the draw does forget subjects
