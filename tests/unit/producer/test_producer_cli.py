from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from detente.event_time import EventTimeBounds
from detente.events import Article
from detente_producer.cli import out_of_bounds
from detente_producer.settings import Settings

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def article(id: str, published_at: str) -> Article:
    return Article.model_validate(
        {"schema_version": 1, "id": id, "published_at": published_at, "source": "test",
         "url": "", "title": "T", "text": "Body.", "language": "en"}
    )  # fmt: skip


def test_dates_the_worker_will_refuse_are_named_before_sending() -> None:
    articles = [
        article("fine", "2026-12-06T11:00:00Z"),
        article("rss-future", "2099-06-01T13:00:00Z"),
        article("epoch", "1970-01-01T00:00:00Z"),
    ]
    warnings = out_of_bounds(articles, EventTimeBounds(), NOW)
    assert len(warnings) == 2
    assert warnings[0].startswith("article rss-future: published_at 2099-06-01")
    assert warnings[0].endswith("(published_in_future)")
    assert warnings[1].startswith("article epoch:") and "(published_before_floor)" in warnings[1]


def test_the_bounds_are_read_from_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_EVENT_TIME__FUTURE_TOLERANCE_MINUTES", "90")
    monkeypatch.setenv("DETENTE_EVENT_TIME__FLOOR", "2000-01-01T00:00:00Z")
    bounds = Settings().event_time
    assert bounds.check(NOW + timedelta(minutes=80), NOW) is None
    assert bounds.check(datetime(1999, 12, 31, tzinfo=UTC), NOW) is not None
