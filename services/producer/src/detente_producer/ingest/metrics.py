"""Prometheus metrics of the ingester, per feed (docs/metrics.md, "Ingester").

Feeds come from a file an operator writes, so the `feed` label is bounded by that file;
`reason` and `language` are bounded sets of codes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from detente_producer.ingest.feeds import Feed


class _FeedClock(Collector):
    """Seconds since each feed's last successful poll (since start before the first one),
    and each feed's poll interval, computed when Prometheus scrapes."""

    def __init__(self, feeds: Iterable[Feed], clock: Callable[[], float]) -> None:
        self.clock = clock
        self.intervals = {feed.name: feed.poll_seconds for feed in feeds}
        started = clock()
        self.last_success = dict.fromkeys(self.intervals, started)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        now = self.clock()
        staleness = GaugeMetricFamily(
            "detente_ingest_feed_staleness_seconds",
            "Seconds since the feed's last successful poll (a 200 or a 304), or since start",
            labels=["feed"],
        )
        interval = GaugeMetricFamily(
            "detente_ingest_feed_poll_interval_seconds",
            "The feed's configured poll interval",
            labels=["feed"],
        )
        for feed, seconds in self.intervals.items():
            staleness.add_metric([feed], max(0.0, now - self.last_success.get(feed, math.nan)))
            interval.add_metric([feed], seconds)
        yield staleness
        yield interval


class IngestMetrics:
    def __init__(
        self,
        registry: CollectorRegistry,
        feeds: Iterable[Feed],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.polls = Counter(
            "detente_ingest_polls",
            "Feed polls by result: ok (200), not_modified (304) or error",
            ["feed", "result"],
            registry=registry,
        )
        self.sent = Counter(
            "detente_ingest_articles_sent",
            "New items sent to the articles topic as article events",
            ["feed"],
            registry=registry,
        )
        self.duplicates = Counter(
            "detente_ingest_duplicates",
            "Items not sent because their article id was sent before (this or another feed, "
            "this or an earlier run, this or another replica)",
            ["feed"],
            registry=registry,
        )
        self.fetch_errors = Counter(
            "detente_ingest_fetch_errors",
            "Failed fetches of a feed or of an item's page, by reason",
            ["feed", "target", "reason"],
            registry=registry,
        )
        self.skipped_language = Counter(
            "detente_ingest_skipped_language",
            "Items not sent because the engine does not support their language",
            ["feed", "language"],
            registry=registry,
        )
        self.summary_fallbacks = Counter(
            "detente_ingest_summary_fallbacks",
            "Items sent with the feed's summary because their page gave no text",
            ["feed"],
            registry=registry,
        )
        self.abandoned = Counter(
            "detente_ingest_items_abandoned",
            "Items given up after every attempt failed and the feed had no summary",
            ["feed"],
            registry=registry,
        )
        self._clock = _FeedClock(feeds, clock)
        registry.register(self._clock)
        for feed in self._clock.intervals:  # every feed's series exists from the start
            for result in ("ok", "not_modified", "error"):
                self.polls.labels(feed, result)
            self.sent.labels(feed)
            self.duplicates.labels(feed)

    def poll_succeeded(self, feed: str, modified: bool) -> None:
        self.polls.labels(feed, "ok" if modified else "not_modified").inc()
        self._clock.last_success[feed] = self._clock.clock()

    def poll_failed(self, feed: str, reason: str) -> None:
        self.polls.labels(feed, "error").inc()
        self.fetch_errors.labels(feed, "feed", reason).inc()

    def page_failed(self, feed: str, reason: str) -> None:
        self.fetch_errors.labels(feed, "page", reason).inc()
