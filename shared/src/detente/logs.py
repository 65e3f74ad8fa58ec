"""Repeated log lines collapsed: once when they start, once with a count when they stop.

A client library that cannot reach its broker logs every attempt (aiokafka wrote 2,393
identical "Unable connect to node" errors in a 20 s outage). `RepeatCollapser` lets the first
line of such an episode through, swallows its repeats, and logs one summary with their count
when the episode ends (no repeat for `quiet_seconds`) or, while it goes on, every
`summary_seconds`. Lines that differ only in their numbers count as repeats.

An episode's end is noticed at the next line any of the filtered loggers writes (or at
`flush()`), so the summary may come a little after the last repeat; it says when that was.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_NUMBERS = re.compile(r"\d+")
# Set on the summaries this module writes, so that they pass its own filter.
_SUMMARY_ATTRIBUTE = "detente_repeat_summary"

Key = tuple[str, int, str]


@dataclass
class _Episode:
    name: str
    levelno: int
    message: str
    first: float
    last: float
    since_summary: float
    repeats: int = 0
    total: int = 0


class RepeatCollapser(logging.Filter):
    def __init__(
        self,
        quiet_seconds: float = 30.0,
        summary_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.quiet_seconds = quiet_seconds
        self.summary_seconds = summary_seconds
        self._clock = clock
        self._episodes: dict[Key, _Episode] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _SUMMARY_ATTRIBUTE, False):
            return True
        now = self._clock()
        message = record.getMessage()
        key = (record.name, record.levelno, _NUMBERS.sub("#", message))
        with self._lock:
            due = self._ended(now, keep=key)
            episode = self._episodes.get(key)
            if episode is None or now - episode.last >= self.quiet_seconds:
                if episode is not None and episode.repeats:
                    due.append(_summary(episode, now, ongoing=False))
                self._episodes[key] = _Episode(
                    record.name, record.levelno, message, now, now, since_summary=now
                )
                passed = True
            else:
                episode.last = now
                episode.repeats += 1
                episode.total += 1
                passed = False
                if now - episode.since_summary >= self.summary_seconds:
                    due.append(_summary(episode, now, ongoing=True))
        # Outside the lock: the summaries go through this filter again.
        for summary in due:
            _write(*summary)
        return passed

    def flush(self) -> None:
        """Write the summary of every episode with swallowed repeats (at shutdown)."""
        now = self._clock()
        with self._lock:
            due = [_summary(e, now, ongoing=False) for e in self._episodes.values() if e.repeats]
            self._episodes.clear()
        for summary in due:
            _write(*summary)

    def _ended(self, now: float, keep: Key) -> list[_Summary]:
        due = []
        for key, episode in list(self._episodes.items()):
            if key != keep and now - episode.last >= self.quiet_seconds:
                del self._episodes[key]
                if episode.repeats:
                    due.append(_summary(episode, now, ongoing=False))
        return due


_Summary = tuple[str, int, str, tuple[object, ...]]


def _summary(episode: _Episode, now: float, *, ongoing: bool) -> _Summary:
    if ongoing:
        text = "%s [repeated %d more times in %.0fs; still repeating]"
        args: tuple[object, ...] = (episode.message, episode.repeats, now - episode.since_summary)
        episode.repeats = 0
        episode.since_summary = now
    else:
        text = "%s [repeated %d times over %.0fs, the last %.0fs ago; stopped]"
        args = (episode.message, episode.total, episode.last - episode.first, now - episode.last)
    return episode.name, episode.levelno, text, args


def _write(name: str, levelno: int, text: str, args: tuple[object, ...]) -> None:
    logger = logging.getLogger(name)
    extra = {_SUMMARY_ATTRIBUTE: True}
    record = logger.makeRecord(name, levelno, "(repeats)", 0, text, args, None, extra=extra)
    logger.handle(record)


def collapse_repeats(*prefixes: str, collapser: RepeatCollapser | None = None) -> RepeatCollapser:
    """Attach one collapser to the loggers named by `prefixes` and to every existing logger
    below them (a filter on a logger applies only to what that logger itself writes, so
    import the libraries first). Returns the collapser (its `flush()` for shutdown)."""
    collapser = collapser if collapser is not None else RepeatCollapser()
    names = set(prefixes)
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and any(
            name.startswith(f"{prefix}.") for prefix in prefixes
        ):
            names.add(name)
    for name in sorted(names):
        logger = logging.getLogger(name)
        if collapser not in logger.filters:
            logger.addFilter(collapser)
    return collapser
