"""Bounds on event time: which `published_at` a record may carry, given when it was written.

Watermarks only move forward, so one article dated 2099 would carry its partition, its
subjects and the global index out of the present for good, and one dated 1900 first on an
empty stack would be counted against nothing. An article is therefore accepted only if
its `published_at` lies between a fixed floor and the moment its record was written plus
a tolerance for clock skew. "Written" is the record's Kafka timestamp (the broker's clock
on `articles`, whose topic keeps LogAppendTime), not the worker's clock, so a replay an
hour or a year later makes the same decision (docs/indices.md, "Event time").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Feeds and pages get time zones wrong by a few hours at most once normalised to UTC;
# anything further ahead than this is a wrong date, not skew.
DEFAULT_FUTURE_TOLERANCE_MINUTES = 15.0
# Before any news a user would replay, after the usual broken defaults (1900, 1970).
DEFAULT_FLOOR = datetime(1990, 1, 1, tzinfo=UTC)

PUBLISHED_IN_FUTURE = "published_in_future"
PUBLISHED_BEFORE_FLOOR = "published_before_floor"


@dataclass(frozen=True)
class OutOfBounds:
    """Why a record's event time is refused: a stable reason code and a sentence."""

    reason: str
    detail: str


class EventTimeBounds(BaseModel):
    """The bounds, as plain data: the worker's and the producer's Settings embed it
    (`DETENTE_EVENT_TIME__FUTURE_TOLERANCE_MINUTES`, `DETENTE_EVENT_TIME__FLOOR`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    future_tolerance_minutes: float = Field(default=DEFAULT_FUTURE_TOLERANCE_MINUTES, ge=0)
    floor: AwareDatetime = DEFAULT_FLOOR

    def check(self, published_at: datetime, written_at: datetime) -> OutOfBounds | None:
        """None if `published_at` may count, else why not."""
        tolerance = timedelta(minutes=self.future_tolerance_minutes)
        if published_at > written_at + tolerance:
            ahead = published_at - written_at
            return OutOfBounds(
                PUBLISHED_IN_FUTURE,
                f"published_at {published_at.isoformat()} is {_span(ahead)} after the record "
                f"was written ({written_at.isoformat()}); at most "
                f"{_span(tolerance)} ahead is accepted",
            )
        if published_at < self.floor:
            return OutOfBounds(
                PUBLISHED_BEFORE_FLOOR,
                f"published_at {published_at.isoformat()} is before the event-time floor "
                f"{self.floor.isoformat()}",
            )
        return None


def written_at(timestamp_seconds: float | None, now: datetime) -> datetime:
    """When a record was written: its Kafka timestamp, or `now` for a record without one."""
    if timestamp_seconds is None or timestamp_seconds <= 0:
        return now
    return datetime.fromtimestamp(timestamp_seconds, UTC)


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86_400:
        return f"{seconds // 86_400} days"
    if seconds >= 2 * 3_600:
        return f"{seconds // 3_600} hours"
    return f"{seconds // 60} minutes"
