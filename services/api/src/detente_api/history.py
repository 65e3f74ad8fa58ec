"""A subject's index over time: rebuilt from its hourly buckets, archived beyond them.

Every index update carries the subject's hourly buckets for the 7 days behind its latest
event, so any replica rebuilds that stretch of history alike with `detente.indices.series`,
at every hour whose window the buckets cover entirely. Older values exist only as this
process saw them published: the `Archive` keeps one point per hour for
`ARCHIVE_HOURLY_HOURS` past the 7 days, then the last point of each UTC day up to the
retention. Pure Python, no Kafka and no clock.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from detente.events import IndexUpdate, WindowValue
from detente.indices import HOUR, PRIOR_INDEX, WINDOWS, series

Step = Literal["1h", "1d"]
WINDOW_NAMES = tuple(WINDOWS)
# How far behind its latest event a subject's buckets reach: the rebuilt history.
REBUILD_HOURS = int(max(WINDOWS.values()))
# Archived points stay hourly this long past the rebuilt stretch, then one per day.
ARCHIVE_HOURLY_HOURS = 48
# One archived point, flat to stay small: (hour, then index, statements, low and high of
# each window in WINDOW_NAMES order).
_Entry = tuple[float | int | None, ...]


def hour_of(as_of: datetime) -> int:
    """The clock hour (hours since the epoch) that ends at `as_of` (or holds it)."""
    return int(-(-int(as_of.timestamp()) // HOUR) - 1)


def hour_end(hour: int) -> datetime:
    """The end of a clock hour: the `as_of` of a point for that hour."""
    return datetime.fromtimestamp((hour + 1) * HOUR, UTC)


def _hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * HOUR, UTC)


@dataclass(frozen=True, slots=True)
class Point:
    as_of: datetime
    index: float | None
    statements: int
    low: float | None = None  # the index's 90 % interval
    high: float | None = None


def rebuilt_from(update: IndexUpdate, window: str) -> int:
    """The first hour at which the update's buckets hold the whole window.

    The worker drops buckets older than 7 days behind the subject's latest event, so a
    window ending earlier would be summed over part of its hours: the 24h window is whole
    from 23 hours after the oldest bucket, the 7d window only at the last two hours. If no
    bucket was ever dropped (they hold every article of the subject), every hour is whole.
    """
    if not update.hourly:
        return sys.maxsize
    if sum(int(bucket[4]) for bucket in update.hourly) >= update.total_articles:
        return -sys.maxsize
    oldest = hour_of(update.as_of) - REBUILD_HOURS
    return oldest + int(WINDOWS[window]) - 1


def _values(value: WindowValue | None) -> tuple[float | None, int, float | None, float | None]:
    if value is None:
        return None, 0, None, None
    return value.index, value.statements, value.low, value.high


def _hour(entry: _Entry) -> int:
    return int(entry[0])  # type: ignore[arg-type]


class Archive:
    """The values one subject published, as this process saw them arrive (bounded).

    At most `REBUILD_HOURS + ARCHIVE_HOURLY_HOURS` hourly points (the newest hours, kept
    until they are old enough to be needed) plus one point per UTC day for the retention.
    """

    __slots__ = ("_daily", "_hourly", "_hourly_hours", "_retention_hours")

    def __init__(self, retention_hours: int) -> None:
        self._hourly: deque[_Entry] = deque()
        self._daily: deque[_Entry] = deque()  # the day's last point, one per day
        self._hourly_hours = REBUILD_HOURS + ARCHIVE_HOURLY_HOURS
        self._retention_hours = retention_hours

    def __len__(self) -> int:
        return len(self._hourly) + len(self._daily)

    def record(self, update: IndexUpdate) -> None:
        """Keep the update's windows as the point of its hour; a later update of the same
        hour replaces it. Watermarks only move forward, so an older hour is ignored."""
        hour = hour_of(update.as_of)
        entry: _Entry = (hour, *(v for n in WINDOW_NAMES for v in _values(update.windows.get(n))))
        if self._hourly and hour <= _hour(self._hourly[-1]):
            if hour == _hour(self._hourly[-1]):
                self._hourly[-1] = entry
            return
        self._hourly.append(entry)
        while self._hourly and _hour(self._hourly[0]) <= hour - self._hourly_hours:
            point = self._hourly.popleft()
            if self._daily and _hour(self._daily[-1]) // 24 == _hour(point) // 24:
                self._daily[-1] = point
            else:
                self._daily.append(point)
        horizon = hour - self._retention_hours
        for tier in (self._daily, self._hourly):
            while tier and _hour(tier[0]) <= horizon:
                tier.popleft()

    def points(self, window: str, first: int, last: int) -> Iterator[tuple[int, Point]]:
        """(hour, point) of every archived hour from `first` to `last`, oldest first."""
        slot = 1 + 4 * WINDOW_NAMES.index(window)
        for tier in (self._daily, self._hourly):
            for entry in tier:
                hour = _hour(entry)
                if first <= hour <= last:
                    index, statements = entry[slot], int(entry[slot + 1])  # type: ignore[arg-type]
                    low, high = entry[slot + 2], entry[slot + 3]
                    yield hour, Point(hour_end(hour), index, statements, low, high)


def history(
    update: IndexUpdate,
    archive: Archive | None,
    window: str,
    since: datetime,
    until: datetime,
    step: Step,
) -> list[Point]:
    """The window's index at every point whose `as_of` lies in [since, until], oldest first.

    `1h`: the end of every clock hour; `1d`: the end of every UTC day (00:00). Where the
    buckets hold the whole window (`rebuilt_from`), points are rebuilt from them, hours
    without statements in the window giving a null index. Before that they come from the
    archive: the hours (`1d`: the last of each day) this process saw published, if any.
    """
    first = hour_of(since)  # the first hour that ends at or after `since`
    last = int(until.timestamp()) // HOUR - 1  # the last hour that ends at or before `until`
    if last < first:
        return []
    start = max(first, rebuilt_from(update, window))
    rebuilt: list[Point] = []
    if step == "1h" and start <= last:
        rebuilt = [
            Point(p.as_of, p.index, p.statements, p.low, p.high)
            for p in series(update.hourly, window, _hour_start(start), _hour_start(last))
        ]
    elif start <= last:
        for hour in range(start + (23 - start % 24), last + 1, 24):
            (p,) = series(update.hourly, window, _hour_start(hour), _hour_start(hour))
            rebuilt.append(Point(p.as_of, p.index, p.statements, p.low, p.high))
    archived: list[Point] = []
    if archive is not None and first < start:
        old = list(archive.points(window, first, min(last, start - 1)))
        if step == "1d":
            # The last point of each day, for days without a rebuilt point at midnight.
            rebuilt_days = {hour_of(p.as_of) // 24 for p in rebuilt}
            daily = {hour // 24: point for hour, point in old}
            archived = [daily[day] for day in sorted(daily) if day not in rebuilt_days]
        else:
            archived = [point for _, point in old]
    return archived + rebuilt


def change(update: IndexUpdate, window: str) -> tuple[float | None, float | None]:
    """(the window's index 24 hours before the latest event, the change since), from the
    hourly buckets. A window that then had no statements stood at the prior, so a subject's
    first flare-up is a move from 50. None where unknown: the buckets do not hold that
    earlier window whole, or the window has no statements now."""
    now = update.windows.get(window)
    hour = hour_of(update.as_of) - 24
    if window not in WINDOWS or hour < rebuilt_from(update, window):
        return None, None
    earlier = _hour_start(hour)
    (before,) = series(update.hourly, window, earlier, earlier)
    previous = before.index if before.index is not None else PRIOR_INDEX
    if now is None or now.index is None:
        return previous, None
    return previous, round(now.index - previous, 2)
