"""detente.heap: what is loaded leaves the collector's sight, young objects are collected
less often, and cycles made afterwards are still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from detente import heap


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settle_freezes_what_is_loaded_and_collects_young_objects_less_often(
    restored_collector: None,
) -> None:
    loaded = [{"a model's": "weights"} for _ in range(1000)]
    heap.settle()
    assert gc.get_freeze_count() >= len(loaded)
    assert gc.get_threshold() == (heap.YOUNG_COLLECTION_EVERY, *heap.OLDER_COLLECTION_RATIOS)


def test_cycles_made_after_settling_are_still_collected(restored_collector: None) -> None:
    heap.settle()

    class Node:
        pass

    first, second = Node(), Node()
    first.other, second.other = second, first  # type: ignore[attr-defined]
    gone = weakref.ref(first)
    del first, second
    for _ in range(3):
        gc.collect()
    assert gone() is None
