"""detente.logs: repeated lines collapsed into a first line and a summary with a count."""

from __future__ import annotations

import logging

import pytest

from detente.logs import RepeatCollapser, collapse_repeats


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


@pytest.fixture
def setup(request):
    """A logger tree of its own, a handler on its root, a collapser on the tree."""
    root = logging.getLogger(f"repeats_{request.node.name}")
    child = logging.getLogger(f"{root.name}.client")
    lines = Lines()
    root.addHandler(lines)
    root.setLevel(logging.INFO)
    root.propagate = False
    clock = Clock()
    collapser = collapse_repeats(root.name, collapser=RepeatCollapser(5.0, 60.0, clock=clock))
    yield child, lines.lines, clock, collapser
    for logger in (root, child):
        logger.removeFilter(collapser)
    root.removeHandler(lines)


def test_an_outage_is_two_lines_not_thousands(setup):
    log, lines, clock, _ = setup
    for attempt in range(2393):
        log.error("Unable connect to node with id %s: %s", attempt % 3, "Connect call failed")
        clock.now += 20 / 2393
    assert len(lines) == 1
    assert lines[0].startswith("ERROR") and "Unable connect to node with id 0" in lines[0]
    clock.now += 6  # quiet: the episode is over; the next line (any) says how it went
    log.info("connected to node 1")
    assert len(lines) == 3
    assert "repeated 2392 times over 20s" in lines[1] and "stopped" in lines[1]
    assert lines[1].startswith("ERROR")
    assert lines[2] == f"INFO {log.name}: connected to node 1"


def test_a_long_outage_gets_a_summary_now_and_then(setup):
    log, lines, clock, _ = setup
    for _ in range(200):  # one a second for 200 s
        log.warning("reconnecting in 5s")
        clock.now += 1
    summaries = [line for line in lines if "still repeating" in line]
    assert len(lines) == 1 + len(summaries) and len(summaries) == 3  # at 60, 120, 180 s
    assert "repeated 60 more times in 60s" in summaries[0]


def test_different_lines_pass_and_a_new_episode_starts_after_quiet(setup):
    log, lines, clock, collapser = setup
    log.warning("a")
    log.warning("b")
    log.error("a")  # another level: another line
    log.warning("a")
    assert len(lines) == 3
    clock.now += 10
    log.warning("a")  # after quiet: a new episode, with the old one's summary first
    assert "repeated 1 times" in lines[3] and lines[4] == f"WARNING {log.name}: a"
    log.warning("a")
    collapser.flush()
    assert "repeated 1 times" in lines[-1]
    collapser.flush()  # nothing left
    assert len(lines) == 6


def test_loggers_created_before_are_covered_by_prefix():
    parent = logging.getLogger("repeats_prefix_lib")
    deep = logging.getLogger("repeats_prefix_lib.a.b")
    unrelated = logging.getLogger("repeats_prefix_library")
    collapser = collapse_repeats("repeats_prefix_lib")
    try:
        assert collapser in parent.filters and collapser in deep.filters
        assert collapser not in unrelated.filters
        assert collapse_repeats("repeats_prefix_lib", collapser=collapser) is collapser
        assert deep.filters.count(collapser) == 1
    finally:
        parent.removeFilter(collapser)
        deep.removeFilter(collapser)
