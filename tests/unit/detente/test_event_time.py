from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from detente.event_time import (
    PUBLISHED_BEFORE_FLOOR,
    PUBLISHED_IN_FUTURE,
    EventTimeBounds,
    written_at,
)

WRITTEN = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("published", "reason"),
    [
        (WRITTEN, None),
        (WRITTEN + timedelta(minutes=15), None),  # clock skew within the tolerance
        (WRITTEN + timedelta(minutes=15, seconds=1), PUBLISHED_IN_FUTURE),
        (datetime(2099, 6, 1, 13, tzinfo=UTC), PUBLISHED_IN_FUTURE),
        (datetime(1990, 1, 1, tzinfo=UTC), None),
        (datetime(1989, 12, 31, 23, 59, tzinfo=UTC), PUBLISHED_BEFORE_FLOOR),
        (datetime(1900, 1, 1, tzinfo=UTC), PUBLISHED_BEFORE_FLOOR),
        (datetime(1970, 1, 1, tzinfo=UTC), PUBLISHED_BEFORE_FLOOR),  # a zero timestamp
        (WRITTEN - timedelta(days=3650), None),  # an archive replayed years later
    ],
)
def test_bounds_by_default(published: datetime, reason: str | None) -> None:
    refused = EventTimeBounds().check(published, WRITTEN)
    assert (refused and refused.reason) == reason


def test_the_reason_says_how_far_ahead_and_what_is_allowed() -> None:
    wrong = datetime(2099, 6, 1, 13, tzinfo=UTC)
    refused = EventTimeBounds().check(wrong, WRITTEN)
    assert refused is not None
    assert "2099-06-01T13:00:00+00:00" in refused.detail
    assert f"{(wrong - WRITTEN).days} days after the record was written" in refused.detail
    assert "at most 15 minutes ahead" in refused.detail


def test_time_zones_compare_as_instants() -> None:
    # 13:10 in Paris (UTC+1 in December) is 12:10 UTC: ten minutes ahead, accepted.
    paris = datetime(
        2026, 12, 6, 13, 10, tzinfo=datetime.fromisoformat("2026-01-01T00:00+01:00").tzinfo
    )
    assert EventTimeBounds().check(paris, WRITTEN) is None
    assert EventTimeBounds(future_tolerance_minutes=0).check(paris, WRITTEN) is not None


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        EventTimeBounds(future_tolerance_minutes=-1)
    with pytest.raises(ValidationError, match="timezone"):
        EventTimeBounds(floor=datetime(1990, 1, 1))


def test_written_at_is_the_record_timestamp_or_now() -> None:
    assert written_at(WRITTEN.timestamp(), datetime(2030, 1, 1, tzinfo=UTC)) == WRITTEN
    assert written_at(None, WRITTEN) == WRITTEN
    assert written_at(-1.0, WRITTEN) == WRITTEN  # Kafka's "no timestamp"
