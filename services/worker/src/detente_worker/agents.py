"""The worker's wiring: two agents, their timers and rebalance hooks.

Articles → stances → per-subject index contributions → indices, in two stages re-keyed
through Kafka the way Kafka Streams repartitions:

- `classify_articles` (classify.py) reads `articles` (key: article id), classifies, and
  sends stances and contribution bundles placed by subject;
- `aggregate_indices` (aggregate.py) reads `index-contributions` (key: subject), so every
  subject's state lives in exactly one partition of `index-state`, and any number of
  worker processes in the group give the same indices as one.

Both stages take records in small batches (`batch_max_records` within `batch_max_seconds`):
the model scores a whole batch of statements in one call, and a subject touched many
times in a batch has its state written and its index published once. Offsets are
acknowledged only after the whole batch is handled and its outputs delivered
(recovery.handle_batch, delivery.flush_outputs), so a crash replays the batch; the fences
in both stages make that harmless.
"""

from __future__ import annotations

import logging
from typing import Any

from detente_worker import aggregate, classify, idle_subjects, metrics, recovery, stall
from detente_worker.app import app, settings
from detente_worker.topics import articles_topic, contributions_topic

log = logging.getLogger(__name__)


@app.agent(articles_topic)
async def classify_articles(stream):  # type: ignore[no-untyped-def]
    batches = stream.take_events(settings.batch_max_records, within=settings.batch_max_seconds)
    async for events in batches:
        await recovery.handle_batch("classify", classify.handle_articles, events)


@app.agent(contributions_topic)
async def aggregate_indices(stream):  # type: ignore[no-untyped-def]
    batches = stream.take_events(settings.batch_max_records, within=settings.batch_max_seconds)
    async for events in batches:
        await recovery.handle_batch("aggregate", aggregate.handle_contributions, events)


# Registered apart so that the check itself stays a plain coroutine (the timer loops).
app.timer(interval=settings.skipped_records_check_seconds, name="detente-skipped-records")(
    recovery.find_records_never_handed_over
)


@app.timer(interval=settings.skipped_records_check_seconds, name="detente-stall")
async def restart_if_stalled() -> None:
    sources = [articles_topic.get_topic_name(), contributions_topic.get_topic_name()]
    await stall.check(
        app, sources, settings.stall_seconds, metrics.consumer_lags, recovery.restart_now,
        interval=settings.skipped_records_check_seconds,
    )  # fmt: skip


app.on_partitions_assigned.connect(recovery.load_changelog_metadata)
app.on_partitions_assigned.connect(recovery.check_partition_counts)


@app.on_partitions_assigned.connect
async def rebuild_watermarks(sender: Any, assigned: Any, **kwargs: Any) -> None:
    classify.article_watermarks.invalidate()
    idle_subjects.subject_clock.invalidate()


@app.task
async def say_where_it_classifies() -> None:
    """Once at start, with logging set up: where the engine runs, and why."""
    log.info(
        "classifying in %s (DETENTE_CLASSIFY_PROCESS=%s, %d CPUs usable)",
        "a process of its own" if classify.IN_PROCESS else "a thread",
        str(settings.classify_process).lower(), classify.CPUS,
    )  # fmt: skip


@app.timer(interval=settings.seen_expiry_interval_seconds, name="detente-forget-old-articles")
async def forget_old_articles() -> None:
    forgotten = classify.forget_old_articles()
    if forgotten:
        log.info("forgot %d article ids older than the allowed lateness", forgotten)
