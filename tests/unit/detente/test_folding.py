"""A batch folded at once (`SubjectFold`) gives the state of applying it one at a time,
forgetting included (detente.forgetting)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from detente import forgetting, indices
from detente.events import Contribution
from detente.folding import SubjectFold
from detente.indices import RECENT_ARTICLES, RETENTION_HOURS, hour_of

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATENESS_HOURS = 48
LATENESS = timedelta(hours=LATENESS_HOURS)
SUBJECTS = {"global": 8, "actor:russia": 4, "actor:chad": 2, "actor:mali": 1, "actor:peru": 1}


def one_at_a_time(state: dict[str, Any], contribution: Contribution) -> dict[str, Any]:
    """`indices.apply` as it was written before folds: a whole new state per contribution."""
    hour = hour_of(contribution.published_at)
    if indices.idle_too_long(state, hour):
        state = indices.afresh(state)
    buckets = {int(b[0]): list(b) for b in state["buckets"]}
    bucket = buckets.setdefault(hour, [hour, 0.0, 0.0, 0, 0])
    bucket[1] = round(bucket[1] + contribution.hardline_weight, 6)
    bucket[2] = round(bucket[2] + contribution.weight, 6)
    bucket[3] += contribution.statements
    bucket[4] += 1
    watermark = max(hour, state["watermark_hour"] if state["watermark_hour"] is not None else hour)
    horizon = watermark - RETENTION_HOURS - 1
    kept = sorted((b for h, b in buckets.items() if h > horizon), key=lambda b: b[0])
    entry = [hour, contribution.article_id, contribution.hardline_weight, contribution.weight]
    recent = sorted([*state.get("recent", []), entry], key=lambda e: (e[0], e[1]))
    sources = dict(state.get("sources", {}))
    if contribution.source_partition is not None and contribution.source_offset is not None:
        key = str(contribution.source_partition)
        sources[key] = max(sources.get(key, -1), contribution.source_offset)
    return {
        **state,
        "sources": sources,
        "buckets": kept,
        "watermark_hour": watermark,
        "statements": state["statements"] + contribution.statements,
        "articles": state["articles"] + 1,
        "last": contribution.article_id,
        "recent": [e for e in recent if e[0] > watermark - 24][-RECENT_ARTICLES:],
    }


def random_contributions(
    rng: random.Random, count: int, any_offsets: bool = True
) -> list[Contribution]:
    """A few subjects on one partition of `index-contributions`: time mostly creeping, now
    and then jumping past the retention (a subject back from idleness starts afresh), hours
    behind the subject's watermark or the partition's newest (late), repeated article ids
    and hours (ties in the recent list), weights that need rounding, and replays: offsets
    that step back (`any_offsets`) or, as a real replay, copies of what was sent before."""
    offsets = {0: 0, 1: 0, 2: 0}
    clock = 0
    out = []
    for _ in range(count):
        partition = rng.choice([0, 1, 2, None])
        if partition is not None:
            offsets[partition] += rng.choice([-3, 1, 1, 2] if any_offsets else [1, 1, 2])
        clock += rng.choice([0, 0, 1, 5, 23, 30]) if rng.random() < 0.9 else rng.choice([100, 400])
        hour = clock - rng.choice([0, 0, 0, 1, 5, 30, 60, 100, 300])
        weight = round(rng.uniform(0.5, 3.0), rng.choice([1, 3, 6, 9]))
        subject = rng.choices(list(SUBJECTS), weights=list(SUBJECTS.values()))[0]
        out.append(Contribution(
            subject=subject, subject_kind="actor", actors=["russia"],
            article_id=f"a{rng.randrange(40)}",
            published_at=T0 + timedelta(hours=hour, minutes=rng.randrange(60)),
            hardline_weight=rng.choice([0.0, weight, weight / 3]), weight=weight,
            statements=rng.randrange(1, 4), source_partition=partition,
            source_offset=None if partition is None else offsets[partition],
        ))  # fmt: skip
        if not any_offsets and rng.random() < 0.05:
            out.append(rng.choice(out))
    return out


class Partition:
    """Stage two's rules over one partition (aggregate.fold): the partition's lateness, the
    duplicate fence, the subject's lateness, then the contribution is added."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}
        self.newest: int | None = None
        self.verdicts: list[str] = []
        self.afresh = 0  # contributions that found their subject idle past the retention

    def refused(self, contribution: Contribution, subject: Any) -> str | None:
        """Why `contribution` is refused, judged against `subject` (a state or a fold)."""
        hour = hour_of(contribution.published_at)
        if forgetting.behind_partition(hour, self.newest, LATENESS_HOURS):
            return "late for the partition"
        if isinstance(subject, SubjectFold):
            duplicate = subject.already_applied(contribution)
            late = subject.is_late(contribution.published_at, LATENESS)
        else:
            duplicate = indices.already_applied(subject, contribution)
            late = indices.is_late(subject, contribution.published_at, LATENESS)
        return "duplicate" if duplicate else "late" if late else None

    def accepted(self, contribution: Contribution, why: str | None) -> bool:
        self.verdicts.append(why or "applied")
        if why is None:
            hour = hour_of(contribution.published_at)
            self.newest = hour if self.newest is None else max(self.newest, hour)
        return why is None

    def one_at_a_time(self, batch: list[Contribution]) -> set[str]:
        """The subjects this batch added to, each applied one contribution at a time."""
        touched = set()
        for contribution in batch:
            state = self.states.get(contribution.subject) or indices.empty_state()
            if self.accepted(contribution, self.refused(contribution, state)):
                hour = hour_of(contribution.published_at)
                self.afresh += indices.idle_too_long(state, hour)
                self.states[contribution.subject] = one_at_a_time(state, contribution)
                touched.add(contribution.subject)
        return touched

    def folded(self, batch: list[Contribution]) -> set[str]:
        """The subjects this batch added to, each folded at once."""
        folds: dict[str, SubjectFold] = {}
        touched = set()
        for contribution in batch:
            subject = contribution.subject
            if subject not in folds:
                folds[subject] = SubjectFold(self.states.get(subject) or indices.empty_state())
            fold = folds[subject]
            if self.accepted(contribution, self.refused(contribution, fold)):
                fold.add(contribution)
                touched.add(subject)
        for subject in touched:
            self.states[subject] = folds[subject].state()
        return touched

    def sweep(self) -> int:
        idle = [s for s, state in self.states.items()
                if forgetting.forgettable(state, self.newest, LATENESS_HOURS)]  # fmt: skip
        for subject in idle:
            del self.states[subject]
        return len(idle)

    def published(self, subjects: set[str]) -> dict[str, Any]:
        """The indices of `subjects` (the worker publishes those a batch added to)."""
        return {
            s: indices.index_update(s, "actor", [], self.states[s]).model_dump(
                exclude={"updated_at"}
            )
            for s in sorted(subjects)
        }


def batches(
    rng: random.Random, any_offsets: bool = True, most: int | None = None
) -> list[list[Contribution]]:
    """A random stream cut into batches of any size up to `most`."""
    stream = random_contributions(rng, rng.choice([1, 5, 60, 300, 600]), any_offsets)
    out = []
    while stream:
        size = rng.randrange(1, min(len(stream), most or len(stream)) + 1)
        out.append(stream[:size])
        stream = stream[size:]
    return out


@pytest.mark.parametrize("seed", range(40))
def test_a_folded_batch_is_the_state_of_one_contribution_at_a_time(seed: int) -> None:
    rng = random.Random(seed)
    expected, folded = Partition(), Partition()
    for batch in batches(rng):  # each batch starts from the states the last one left
        expected.one_at_a_time(batch)
        folded.folded(batch)
        assert folded.verdicts == expected.verdicts
        assert {s: json.dumps(v) for s, v in folded.states.items()} == {
            s: json.dumps(v) for s, v in expected.states.items()
        }
    if len(expected.verdicts) >= 300:  # the long draws do forget and refuse
        assert expected.afresh > 0
        assert {"late for the partition", "late", "duplicate"} <= set(expected.verdicts)


@pytest.mark.parametrize("seed", range(20))
def test_folded_batches_with_sweeps_publish_what_one_at_a_time_does(seed: int) -> None:
    rng = random.Random(seed)
    expected, swept = Partition(), Partition()
    forgotten = 0
    # A forgotten subject's fences go with it: only a true replay (same hour) stays refused.
    for batch in batches(rng, any_offsets=False, most=50):
        touched = expected.one_at_a_time(batch)
        swept.folded(batch)
        assert swept.verdicts == expected.verdicts
        assert swept.published(touched) == expected.published(touched)
        if rng.random() < 0.5:  # between batches, as idle_subjects.sweep_if_due runs
            forgotten += swept.sweep()
    if len(expected.verdicts) >= 300:  # the long draws do forget subjects
        assert forgotten > 0


def test_a_fold_without_contributions_is_the_state_given() -> None:
    state = indices.empty_state()
    assert SubjectFold(state).state() is state
    assert indices.apply(state, random_contributions(random.Random(1), 1)[0]) != state
