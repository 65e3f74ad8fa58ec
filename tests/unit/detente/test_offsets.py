"""detente.offsets: a consumer's hand-over of a partition's offsets, one after another."""

from __future__ import annotations

import pytest

from detente.offsets import Gap, OffsetContinuity, SkippedRecords


def test_consecutive_offsets_and_steps_back_pass() -> None:
    continuity = OffsetContinuity()
    for offset in (180, 181, 182, 182, 150, 151):  # a repeat, then a seek back
        continuity.admit("articles", 3, offset, generation=3)


def test_a_hole_within_a_generation_names_the_skipped_offsets() -> None:
    continuity = OffsetContinuity()
    for offset in range(180, 191):
        continuity.admit("articles", 3, offset, generation=3)
    with pytest.raises(SkippedRecords) as raised:
        continuity.admit("articles", 3, 192, generation=3)
    assert raised.value.gap == Gap("articles", 3, 191, 191)
    assert "skipped offsets 191-191 of articles[3]" in str(raised.value)


def test_partitions_and_generations_are_apart() -> None:
    continuity = OffsetContinuity()
    continuity.admit("articles", 0, 10, generation=2)
    continuity.admit("articles", 1, 500, generation=2)  # another partition
    continuity.admit("index-contributions", 0, 90, generation=2)  # another topic
    continuity.admit("articles", 0, 40, generation=3)  # after a rebalance: a fresh start
    with pytest.raises(SkippedRecords):
        continuity.admit("articles", 0, 42, generation=3)


def test_a_new_generation_must_start_at_the_committed_offset() -> None:
    """A new owner whose consumer starts past the committed offset never applies what lies
    between (issue #13: offsets 308-318 were never handed over after a rebalance)."""
    continuity = OffsetContinuity()
    continuity.admit("articles", 3, 307, generation=3)
    with pytest.raises(SkippedRecords) as raised:
        continuity.admit("articles", 3, 319, generation=4, resumed_from=308)
    assert raised.value.gap == Gap("articles", 3, 308, 318)
    fresh = OffsetContinuity()  # a process that just started: its first generation too
    with pytest.raises(SkippedRecords):
        fresh.admit("articles", 3, 319, generation=1, resumed_from=308)
    fresh.admit("articles", 3, 308, generation=1, resumed_from=308)
    fresh.admit("articles", 3, 300, generation=2, resumed_from=308)  # a replay: fine
    fresh.admit("articles", 3, 250, generation=1)  # fetched before the rebalance: not judged
    with pytest.raises(SkippedRecords):
        fresh.admit("articles", 3, 302, generation=2)  # the new generation still is
    # Unknown committed offset (none yet): nothing to compare the first record with.
    OffsetContinuity().admit("articles", 3, 319, generation=4, resumed_from=None)


def test_an_accepted_gap_lets_the_partition_go_on_after_it() -> None:
    marker = Gap("articles", 3, 191, 191)
    continuity = OffsetContinuity()
    continuity.admit("articles", 3, 190, generation=1)
    with pytest.raises(SkippedRecords) as raised:
        continuity.admit("articles", 3, 192, generation=1)
    assert raised.value.gap == marker
    continuity.accept(marker, generation=1)
    continuity.admit("articles", 3, 192, generation=1)
    continuity.admit("articles", 3, 193, generation=1)
    with pytest.raises(SkippedRecords):
        continuity.admit("articles", 3, 195, generation=1)  # any other hole still counts


def test_accepting_a_gap_never_moves_a_partition_back() -> None:
    continuity = OffsetContinuity()
    continuity.admit("articles", 0, 50, generation=2)
    continuity.accept(Gap("articles", 0, 10, 12), generation=2)  # long passed
    with pytest.raises(SkippedRecords):
        continuity.admit("articles", 0, 53, generation=2)
    # The watchdog's gap at a partition nothing was handed over from yet in this generation.
    continuity.accept(Gap("articles", 1, 7, 7), generation=2)
    continuity.admit("articles", 1, 8, generation=2, resumed_from=7)


def test_behind_lists_positions_past_what_was_handed_over_in_this_generation() -> None:
    continuity = OffsetContinuity()
    continuity.admit("articles", 0, 41, generation=3)
    continuity.admit("articles", 1, 9, generation=3)
    continuity.admit("articles", 2, 70, generation=2)  # an older generation: not judged
    positions = {("articles", 0): 44, ("articles", 1): 10, ("articles", 2): 99, ("x", 0): 5}
    assert continuity.behind(positions, generation=3) == [Gap("articles", 0, 42, 43)]
