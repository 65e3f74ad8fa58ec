"""Worker metrics (documented in docs/metrics.md), served on the worker's own port."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CONSUMED = Counter("detente_worker_events_consumed_total", "Records consumed", ["topic"])
PRODUCED = Counter("detente_worker_events_produced_total", "Records produced", ["topic"])
DEAD_LETTERS = Counter(
    "detente_worker_dead_letters_total", "Records sent to the dead-letter topic", ["reason"]
)
LATE_EVENTS = Counter(
    "detente_worker_late_events_total", "Contributions older than the allowed lateness",
    ["subject_kind"],
)  # fmt: skip
DUPLICATES = Counter("detente_worker_duplicate_articles_total", "Articles seen before, skipped")
PROCESSING_SECONDS = Histogram(
    "detente_worker_article_processing_seconds", "Time to classify one article",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)  # fmt: skip
