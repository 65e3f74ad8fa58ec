from __future__ import annotations

from detente.dedup import Sighting, Watermarks

LATENESS = 168


def test_a_sighting_round_trips_and_reads_entries_without_an_hour() -> None:
    sighting = Sighting(3, 1200, 493_000)
    assert Sighting.decode(sighting.encode()) == sighting
    assert Sighting.decode("2:17") == Sighting(2, 17, None)
    assert sighting.same_position(3, 1200) and not sighting.same_position(3, 1201)


def test_watermarks_are_per_partition_and_only_rise() -> None:
    marks = Watermarks()
    marks.observe(0, 1000)
    marks.observe(0, 900)
    marks.observe(1, 500)
    assert marks.hours == {0: 1000, 1: 500}
    assert marks.is_late(0, 1000 - LATENESS - 1, LATENESS)
    assert not marks.is_late(0, 1000 - LATENESS, LATENESS)
    # Partition 1 is judged by its own past only; an unseen partition has nothing late yet.
    assert not marks.is_late(1, 400, LATENESS)
    assert not marks.is_late(2, 0, LATENESS)


def test_expired_ids_are_exactly_those_a_replay_would_find_late() -> None:
    marks = Watermarks()
    remembered = {
        "old": Sighting(0, 1, 1000),
        "edge": Sighting(0, 2, 1000 + 32),
        "new": Sighting(0, 3, 1200),
        "other-partition": Sighting(1, 1, 1000),
        "legacy": Sighting(0, 4, None),
    }
    marks.rebuild(remembered.values())
    assert marks.hours == {0: 1200, 1: 1000}
    expired = marks.expired(remembered.items(), LATENESS)
    assert expired == ["old"]
    for article_id, sighting in remembered.items():
        if sighting.hour is not None:
            late = marks.is_late(sighting.partition, sighting.hour, LATENESS)
            assert late == (article_id in expired)
