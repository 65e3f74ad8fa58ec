"""Stream processors: articles → stances → per-subject index contributions → indices.

Two stages, re-keyed through Kafka the way Kafka Streams repartitions: `classify_articles`
reads `articles` (key: article id); `aggregate_indices` reads `index-contributions` (key:
subject), so every subject's state lives in exactly one partition of `index-state`, and any
number of worker processes in the group give the same indices as one.

Both stages take records in small batches (`batch_max_records` within `batch_max_seconds`):
the model scores a whole batch of statements in one call, a batch's contributions travel as
one record per partition of `index-contributions` (a ContributionBundle), and a subject
touched many times in a batch has its state written and its index published once. Offsets
are acknowledged only after the whole batch is handled, so a crash replays the batch (the
fences below make that harmless).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from aiokafka.partitioner import DefaultPartitioner
from pydantic import ValidationError

from detente import alerts, indices
from detente.dedup import Sighting, Watermarks
from detente.events import (
    Article,
    ArticleStances,
    Contribution,
    ContributionBundle,
    DeadLetter,
    StanceEvent,
)
from detente.indices import hour_of
from detente.offsets import Gap, OffsetContinuity, SkippedRecords
from detente.stances import StanceEngine, UnprocessableArticle
from detente_worker import metrics
from detente_worker.app import app, settings
from detente_worker.engine import allowed_lateness, get_engine, lateness_hours
from detente_worker.tables import index_state, seen_articles
from detente_worker.topics import (
    alerts_topic,
    articles_topic,
    contributions_topic,
    dead_letters_topic,
    indices_topic,
    stances_topic,
)

log = logging.getLogger(__name__)

# Publication-time watermarks of the `articles` partitions, rebuilt from `seen-articles`
# after partitions are assigned (the agents run once the table has been restored).
article_watermarks = Watermarks()

# The next offset expected from each source partition in this generation (detente.offsets).
continuity = OffsetContinuity(
    Gap.decode(settings.tolerated_gap) if settings.tolerated_gap else None
)

# Batches being handled now, by either agent: the skipped-records watchdog judges only
# an idle worker (a batch waiting on the broker is slow, not lost).
handling = 0
# What the watchdog found at its last look: (topic, partition, first offset not handed over).
suspects: set[tuple[str, int, int]] = set()

# Sends not yet checked: flush_outputs checks them (both agents') before a batch is acknowledged.
deliveries: list[Any] = []


async def send(
    topic: Any, *, value: bytes, key: bytes | None = None, partition: int | None = None
) -> None:
    """Hand one record to the producer; `flush_outputs` checks that it was delivered.

    Straight to the producer, not through `topic.send`: Faust's channel path (a future
    message, its producer buffer, a callback per record) cost the worker about a sixth of
    its throughput at about eight outputs per article (docs/performance.md)."""
    name = topic.get_topic_name()
    deliveries.append(await app.producer.send(name, key, value, partition, None, None))
    metrics.PRODUCED.labels(topic=name).inc()


SUBJECT_PARTITIONS = list(range(settings.partitions))


@lru_cache(maxsize=1 << 16)  # called per contribution; subjects repeat (global in every article)
def subject_partition(subject: str) -> int:
    """The partition of `index-contributions` that holds a subject's contributions.

    The producer's default partitioner over the subject's bytes: the same placement the
    `index-state` table gives the subject's state (tables.py), so they stay co-partitioned.
    """
    return int(DefaultPartitioner()(subject.encode(), SUBJECT_PARTITIONS, SUBJECT_PARTITIONS))


@dataclass(frozen=True)
class Record:
    """One consumed Kafka record, as the handlers need it."""

    value: bytes
    key: bytes | None
    topic: str
    partition: int
    offset: int
    produced_at: float | None = None  # the Kafka timestamp, seconds
    generation: int = 0  # the consumer group generation it was fetched in

    @classmethod
    def of(cls, event: Any) -> Record:
        message = event.message
        return cls(
            event.value, event.key, message.topic, message.partition, message.offset,
            message.timestamp, message.generation_id or 0,
        )  # fmt: skip


async def dead_letter(
    reason: str, detail: str, record: Record, raw: bytes | None = None, key: bytes | None = None
) -> None:
    """Send `record` to the DLQ, or only `raw` (keyed `key`), the part of it that failed."""
    metrics.DEAD_LETTERS.labels(reason=reason).inc()
    raw = record.value if raw is None else raw
    key = record.key if key is None else key
    letter = DeadLetter.for_record(
        reason=reason, detail=detail, source_topic=record.topic, raw=raw, key=key,
        partition=record.partition, offset=record.offset,
    )  # fmt: skip
    await send(dead_letters_topic, key=key, value=letter.to_json_bytes())


async def parse_article(record: Record) -> Article | None:
    """The article, or None once the record has been dead-lettered with its reason."""
    try:
        return Article.model_validate_json(record.value)
    except ValidationError as exc:
        errors = exc.errors()
        invalid_json = any(e["type"] == "json_invalid" for e in errors)
        reason = "invalid_json" if invalid_json else "invalid_schema"
        if not invalid_json and any(e["loc"][:1] == ("schema_version",) for e in errors):
            reason = "unsupported_schema_version"
        elif any(e["loc"] == ("text",) and e["type"] == "string_too_long" for e in errors):
            reason = "text_too_large"
        await dead_letter(reason, str(exc)[:2000], record)
        return None


def classify_batch(
    engine: StanceEngine, articles: Sequence[Article]
) -> list[ArticleStances | Exception]:
    """Stances for every article, or the exception that one article alone raised."""
    try:
        return list(engine.classify_many(articles))
    except Exception:  # one bad article must not fail its neighbours: retry them singly
        results: list[ArticleStances | Exception] = []
        for article in articles:
            try:
                results.append(engine.classify(article))
            except Exception as exc:
                results.append(exc)
        return results


async def handle_articles(records: Sequence[Record]) -> None:
    """Classify a batch of raw article records; anything wrong goes to the DLQ, never up."""
    if article_watermarks.stale:
        article_watermarks.rebuild(Sighting.decode(v) for v in seen_articles.values())
    engine = metrics.instrumented(get_engine())
    accepted: list[tuple[Record, Article]] = []
    positions: dict[str, str] = {}
    for record in records:
        metrics.CONSUMED.labels(topic=record.topic).inc()
        article = await parse_article(record)
        if article is None:
            continue
        hour = hour_of(article.published_at)
        if article_watermarks.is_late(record.partition, hour, lateness_hours()):
            # Older than anything an index still counts, and too old to be remembered.
            metrics.LATE_EVENTS.labels(subject_kind="article").inc()
            await dead_letter(
                "late_event",
                f"article {article.id}: published_at {article.published_at.isoformat()} is "
                "older than its partition's watermark minus the allowed lateness",
                record,
            )
            continue
        # An article seen at another position is a duplicate (a replayed file, a producer
        # retry). Seen at this very position, it is our own replay after a crash: process
        # it again, since its outputs may not all have been written; the subjects'
        # source-offset fence drops the contributions that were.
        previous = positions.get(article.id) or seen_articles.get(article.id.encode())
        if previous is not None and not Sighting.decode(previous).same_position(
            record.partition, record.offset
        ):
            metrics.DUPLICATES.inc()
            continue
        try:
            engine.check(article)
        except UnprocessableArticle as exc:
            await dead_letter(exc.reason, str(exc), record)
            continue
        positions[article.id] = Sighting(record.partition, record.offset, hour).encode()
        # Observed here, not after classification, so that whether an article is late
        # depends on its partition's order alone, never on where a batch happened to end.
        article_watermarks.observe(record.partition, hour)
        accepted.append((record, article))
    if not accepted:
        return
    started = time.perf_counter()
    results = classify_batch(engine, [article for _, article in accepted])
    per_article = (time.perf_counter() - started) / len(accepted)
    now = datetime.now(UTC)
    contributions: list[Contribution] = []
    for (record, article), result in zip(accepted, results, strict=True):
        metrics.PROCESSING_SECONDS.observe(per_article)
        if isinstance(result, UnprocessableArticle):
            await dead_letter(result.reason, str(result), record)
            continue
        if isinstance(result, Exception):  # a bug must not stall the partition
            log.error("classifying article %s failed: %r", article.id, result)
            await dead_letter("processing_error", repr(result), record)
            continue
        seen_articles[article.id.encode()] = positions[article.id]
        await send_stances(article, result, now)
        contributions.extend(
            # Where the article was read fences replays; its Kafka timestamp carries over,
            # so the end-to-end delay counts from when the article was produced.
            contribution.model_copy(
                update={
                    "source_partition": record.partition,
                    "source_offset": record.offset,
                    "article_produced_at": record.produced_at,
                }
            )
            for contribution in indices.contributions(result, engine.registry)
        )
    await send_contributions(contributions)


async def send_stances(article: Article, stances: ArticleStances, classified_at: datetime) -> None:
    for stance in stances.actors:
        event = StanceEvent(
            article_id=article.id, published_at=article.published_at, title=article.title,
            model_version=stances.model_version, stance=stance, classified_at=classified_at,
            mentioned=stances.mentioned,
        )  # fmt: skip
        await send(stances_topic, key=stance.actor.encode(), value=event.to_json_bytes())


async def send_contributions(contributions: Iterable[Contribution]) -> None:
    """One record per partition (split past `contributions_per_record`), in reading order."""
    by_partition: dict[int, list[Contribution]] = defaultdict(list)
    for contribution in contributions:
        by_partition[subject_partition(contribution.subject)].append(contribution)
    size = settings.contributions_per_record
    for partition, bound in sorted(by_partition.items()):
        for start in range(0, len(bound), size):
            bundle = ContributionBundle(contributions=bound[start : start + size])
            await send(contributions_topic, value=bundle.to_json_bytes(), partition=partition)


@dataclass
class SubjectBatch:
    """A subject's state after the batch's contributions, and what they were."""

    state: dict[str, Any]
    last: Contribution
    partition: int
    applied: list[tuple[float | None, datetime]] = field(default_factory=list)


async def handle_contributions(records: Sequence[Record]) -> None:
    """Fold a batch of contribution bundles into their subjects; publish each subject once."""
    touched: dict[str, SubjectBatch] = {}
    for record in records:
        metrics.CONSUMED.labels(topic=record.topic).inc()
        for contribution in await unbundle(record):
            await fold(touched, contribution, record)
    for subject, batch in touched.items():
        await publish_subject(subject, batch)


async def unbundle(record: Record) -> list[Contribution]:
    """The record's valid contributions; the invalid go to the DLQ, each alone if it can."""
    try:
        return ContributionBundle.model_validate_json(record.value).contributions
    except ValidationError:
        pass
    try:  # a record sent before contributions were bundled, still in the topic
        return [Contribution.model_validate_json(record.value)]
    except ValidationError:
        pass
    try:
        entries = json.loads(record.value)["contributions"]
        if not isinstance(entries, list):
            raise TypeError("contributions is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        await dead_letter("invalid_contribution", f"not a contribution bundle: {exc!r}", record)
        return []
    valid = []
    for entry in entries:
        try:
            valid.append(Contribution.model_validate(entry))
        except ValidationError as exc:
            raw = json.dumps(entry).encode()
            await dead_letter("invalid_contribution", str(exc)[:2000], record, raw=raw)
    return valid


async def fold(
    touched: dict[str, SubjectBatch], contribution: Contribution, record: Record
) -> None:
    """Add one contribution to its subject's state in this batch, unless fenced or late."""
    subject = contribution.subject
    batch = touched.get(subject)
    state = batch.state if batch else index_state.get(subject.encode()) or indices.empty_state()
    if indices.already_applied(state, contribution):
        metrics.DUPLICATES.inc()
        return
    if indices.is_late(state, contribution.published_at, allowed_lateness()):
        metrics.LATE_EVENTS.labels(subject_kind=contribution.subject_kind).inc()
        await dead_letter(
            "late_event",
            f"{subject}: published_at {contribution.published_at.isoformat()} is older "
            "than the subject's watermark minus the allowed lateness",
            record,
            raw=contribution.to_json_bytes(),  # not the whole bundle
            key=subject.encode(),
        )
        return
    state = indices.apply(state, contribution)
    if batch is None:
        batch = touched[subject] = SubjectBatch(state, contribution, record.partition)
    batch.state, batch.last = state, contribution
    batch.applied.append((contribution.article_produced_at, contribution.published_at))


async def publish_subject(subject: str, batch: SubjectBatch) -> None:
    kind, actors = batch.last.subject_kind, batch.last.actors
    state = batch.state
    alert = alerts.detect_spike(subject, kind, actors, state)
    if alert is not None:
        state = alerts.mark_alerted(state)
    index_state[subject.encode()] = state
    update = indices.index_update(subject, kind, actors, state)
    await send(indices_topic, key=subject.encode(), value=update.to_json_bytes())
    if alert is not None:
        await send(alerts_topic, key=subject.encode(), value=alert.to_json_bytes())
        log.info("tension spike: %s %.1f over baseline %.1f", subject, alert.value, alert.baseline)
    metrics.observe_index(update, partition=batch.partition, delays=batch.applied)


async def flush_outputs() -> None:
    """Return once everything sent so far, table changelogs included, is on the broker.

    A batch's offsets are acknowledged (and later committed) when its handler returns, so
    its outputs must be delivered first: otherwise a `kill -9` after a commit loses them.
    Faust flushes before it commits, but its buffer flush gives up after 0.1 s without a
    send, which a busy event loop easily exceeds (seen here as lost table updates).
    If a send failed, the process exits before the batch is acknowledged, so it is read
    again after the restart: a later record that did arrive must not move a fence past one
    that did not. (Raising would not do: Faust acknowledges a batch whose handler raised.)
    """
    producer = app.producer
    while producer.buffer.size:
        await producer.buffer.flush()
    await producer.flush()
    sent = deliveries[:]
    deliveries.clear()
    failures = [r for r in await asyncio.gather(*sent, return_exceptions=True)
                if isinstance(r, BaseException)]  # fmt: skip
    if failures:
        why = f"{len(failures)} of {len(sent)} outputs not delivered: {failures[0]!r}"
        exit_now(f"{why}; exiting before the batch is acknowledged, to read it again", 75)


def in_order(events: Iterable[Any]) -> list[Record]:
    """The batch's records; if the consumer skipped some, restart before anything of the
    batch is handled or acknowledged."""
    records = [Record.of(event) for event in events]
    for record in records:
        try:
            continuity.admit(record.topic, record.partition, record.offset, record.generation)
        except SkippedRecords as exc:
            restart_now(str(exc), exc.gap)
    return records


def restart_now(why: str, gap: Gap) -> None:
    """Replace this process with a fresh worker, as a crash and restart would: nothing is
    committed on the way out. The gap goes along: if it is there again after the restart,
    it holds no records (a transaction marker) and is accepted."""
    log.critical("%s; restarting to read them again from the committed offset", why)
    logging.shutdown()
    environment = {**os.environ, "DETENTE_TOLERATED_GAP": gap.encode()}
    os.execve(sys.executable, [sys.executable, "-m", "detente_worker"], environment)


def exit_now(why: str, status: int) -> None:
    """Stop at once: a graceful stop would commit the offsets of what Faust acknowledged."""
    log.critical(why)
    logging.shutdown()
    os._exit(status)


async def handle_batch(handle: Any, events: Sequence[Any]) -> None:
    """One batch from `take_events`: handled, and its outputs delivered, before Faust
    acknowledges it (when the agent asks for the next batch)."""
    global handling
    handling += 1
    try:
        await handle(in_order(events))
        await flush_outputs()
    finally:
        handling -= 1


@app.agent(articles_topic)
async def classify_articles(stream):  # type: ignore[no-untyped-def]
    batches = stream.take_events(settings.batch_max_records, within=settings.batch_max_seconds)
    async for events in batches:
        await handle_batch(handle_articles, events)


@app.agent(contributions_topic)
async def aggregate_indices(stream):  # type: ignore[no-untyped-def]
    batches = stream.take_events(settings.batch_max_records, within=settings.batch_max_seconds)
    async for events in batches:
        await handle_batch(handle_contributions, events)


async def find_records_never_handed_over() -> None:
    """A record skipped last in its partition leaves no hole for `in_order` to see: the
    consumer's position is then past what the handlers got, and stays there. Seen twice in a
    row with the worker idle, restart to read it again (detente.offsets)."""
    global suspects

    def idle() -> bool:  # a batch in hand, or a rebalance, moves positions on its own
        return not (handling or app.rebalancing or app.in_recovery)

    if not idle():
        suspects = set()
        return
    sources = {articles_topic.get_topic_name(), contributions_topic.get_topic_name()}
    positions = {}
    for tp in app.consumer.assignment():
        if tp.topic in sources:
            try:
                position = await app.consumer.position(tp)
            except Exception:  # not fetched yet, or being revoked: nothing to judge
                continue
            if position is not None:
                positions[(tp.topic, tp.partition)] = position
    if not idle():  # it changed while we asked
        suspects = set()
        return
    gaps = continuity.behind(positions, app.consumer_generation_id)
    for gap in gaps:
        if (gap.topic, gap.partition, gap.first) in suspects:
            restart_now(f"the consumer took {gap} from Kafka and never handed them over", gap)
    suspects = {(gap.topic, gap.partition, gap.first) for gap in gaps}


# Registered apart so that the check itself stays a plain coroutine (the timer loops).
app.timer(interval=settings.skipped_records_check_seconds, name="detente-skipped-records")(
    find_records_never_handed_over
)


@app.on_partitions_assigned.connect
async def rebuild_watermarks(sender: Any, assigned: Any, **kwargs: Any) -> None:
    article_watermarks.invalidate()


@app.on_partitions_assigned.connect
async def load_changelog_metadata(sender: Any, assigned: Any, **kwargs: Any) -> None:
    """A table write places its changelog record with the producer's partitioner there and
    then, which fails (and crashes the agent) while the producer has no metadata for the
    changelog topic yet: seen once in CI on a loaded machine, in the first batch after the
    worker started (Faust creates the changelog topics after its producer has started)."""
    producer = app.producer._ensure_producer()  # aiokafka's; Faust's wrapper has no such call
    for table in (index_state, seen_articles):
        await producer.partitions_for(table.changelog_topic.get_topic_name())


@app.on_partitions_assigned.connect
async def check_partition_counts(sender: Any, assigned: Any, **kwargs: Any) -> None:
    """Tables place keys over `settings.partitions`; input topics with another count would
    keep a subject's contributions and its state in different partitions, and Faust does
    not check this for tables that place keys by partitioner."""
    for topic in (articles_topic, contributions_topic):
        name = topic.get_topic_name()
        found = app.consumer.topic_partitions(name)
        if found is not None and found != settings.partitions:
            exit_now(
                f"topic {name} has {found} partitions, DETENTE_PARTITIONS says "
                f"{settings.partitions}: recreate the topic or fix the setting",
                78,  # EX_CONFIG
            )


@app.timer(interval=settings.seen_expiry_interval_seconds, name="detente-forget-old-articles")
async def forget_old_articles() -> None:
    """Drop remembered ids too old to matter: a replay of them is refused as late."""
    if article_watermarks.stale:
        return
    remembered = [(key, Sighting.decode(value)) for key, value in seen_articles.items()]
    expired = article_watermarks.expired(remembered, lateness_hours())
    for key in expired:
        del seen_articles[key]
    if expired:
        log.info("forgot %d article ids older than the allowed lateness", len(expired))
