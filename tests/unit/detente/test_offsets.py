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


def test_a_tolerated_gap_passes_once_it_recurs_exactly() -> None:
    marker = Gap("articles", 3, 191, 191)
    assert Gap.decode(marker.encode()) == marker
    assert Gap.decode(Gap("it-x-articles:v2", 0, 5, 9).encode()) == Gap("it-x-articles:v2", 0, 5, 9)
    continuity = OffsetContinuity(tolerated=marker)
    continuity.admit("articles", 3, 190, generation=1)
    continuity.admit("articles", 3, 192, generation=1)
    continuity.admit("articles", 3, 193, generation=1)
    with pytest.raises(SkippedRecords):
        continuity.admit("articles", 3, 195, generation=1)  # any other hole still counts


def test_behind_lists_positions_past_what_was_handed_over_in_this_generation() -> None:
    continuity = OffsetContinuity()
    continuity.admit("articles", 0, 41, generation=3)
    continuity.admit("articles", 1, 9, generation=3)
    continuity.admit("articles", 2, 70, generation=2)  # an older generation: not judged
    positions = {("articles", 0): 44, ("articles", 1): 10, ("articles", 2): 99, ("x", 0): 5}
    assert continuity.behind(positions, generation=3) == [Gap("articles", 0, 42, 43)]
