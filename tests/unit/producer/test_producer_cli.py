from __future__ import annotations

from datetime import UTC, datetime

from detente.event_time import EventTimeBounds
from detente.events import Article
from detente_producer.cli import out_of_bounds

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
