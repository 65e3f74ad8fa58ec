"""Stage one: article records → stances, and each article's contributions to its subjects.

Reads `articles` (key: article id). Every article is checked, deduplicated and classified;
its stances go to `stances`, and its contributions travel to `index-contributions` as one
ContributionBundle per partition, placed by subject so that stage two (aggregate.py) finds
every subject's contributions and its state in the same partition."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from functools import lru_cache

from aiokafka.partitioner import DefaultPartitioner
from pydantic import ValidationError

from detente import bounds, indices
from detente.dedup import Sighting, Watermarks
from detente.event_time import written_at
from detente.events import Article, ArticleStances, Contribution, ContributionBundle, StanceEvent
from detente.indices import hour_of
from detente.registry import ActorRegistry
from detente.stances import UnprocessableArticle
from detente_worker import cpus, delivery, fencing, metrics, scoring, stall
from detente_worker.app import settings
from detente_worker.engine import get_engine, lateness_hours
from detente_worker.records import Record
from detente_worker.tables import seen_articles
from detente_worker.topics import contributions_topic, stances_topic

log = logging.getLogger(__name__)

# Publication-time watermarks of the `articles` partitions, rebuilt from `seen-articles`
# after partitions are assigned (the agents run once the table has been restored).
article_watermarks = Watermarks()

SUBJECT_PARTITIONS = list(range(settings.partitions))

# The engine in the classifying thread or in a process of its own, decided once at start
# (DETENTE_CLASSIFY_PROCESS; `auto` by the CPUs this worker may use, cpus.py).
CPUS = cpus.available_cpus()
IN_PROCESS = cpus.classify_in_process(settings.classify_process, lambda: CPUS)


@lru_cache(maxsize=1 << 16)  # called per contribution; subjects repeat (global in every article)
def subject_partition(subject: str) -> int:
    """The partition of `index-contributions` that holds a subject's contributions.

    The producer's default partitioner over the subject's bytes: the same placement the
    `index-state` table gives the subject's state (tables.py), so they stay co-partitioned.
    """
    return int(DefaultPartitioner()(subject.encode(), SUBJECT_PARTITIONS, SUBJECT_PARTITIONS))


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
        await delivery.dead_letter(reason, str(exc)[:2000], record)
        return None


async def handle_articles(records: Sequence[Record]) -> None:
    """Classify a batch of raw article records; anything wrong goes to the DLQ, never up."""
    if article_watermarks.stale:
        article_watermarks.rebuild(Sighting.decode(v) for v in seen_articles.values())
    engine = metrics.instrumented(get_engine())
    now = datetime.now(UTC)  # when a record has no timestamp of its own
    accepted: list[tuple[Record, Article]] = []
    positions: dict[str, str] = {}
    for record in records:
        metrics.consumed(record.topic).inc()
        article = await parse_article(record)
        if article is None:
            continue
        if record.key != article.id.encode():
            # The key places the article's partition, and with it the state that counts it
            # once: a copy under another key (or none) would be counted again elsewhere.
            await delivery.dead_letter(
                "key_not_id",
                f"article {article.id}: the record's key {record.key!r} is not its id",
                record,
            )
            continue
        # A wrong date (2099, 1900) must never reach a watermark: refused before anything else.
        refused = settings.event_time.check(
            article.published_at, written_at(record.produced_at, now)
        )
        if refused is not None:
            await delivery.dead_letter(
                refused.reason, f"article {article.id}: {refused.detail}", record
            )
            continue
        hour = hour_of(article.published_at)
        if article_watermarks.is_late(record.partition, hour, lateness_hours()):
            # Older than anything an index still counts, and too old to be remembered.
            metrics.LATE_EVENTS.labels(subject_kind="article").inc()
            await delivery.dead_letter(
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
            await delivery.dead_letter(exc.reason, str(exc), record)
            continue
        positions[article.id] = Sighting(record.partition, record.offset, hour).encode()
        # Observed here, not after classification, so that whether an article is late
        # depends on its partition's order alone, never on where a batch happened to end.
        article_watermarks.observe(record.partition, hour)
        accepted.append((record, article))
    if not accepted:
        return
    # Off the event loop, in pieces of bounded text (scoring.py), each piece's outputs sent
    # once it is done: articles early in a batch never wait for a huge one after them.
    unsent = iter(accepted)
    pieces = 0
    contributions: list[Contribution] = []
    started = time.perf_counter()
    classified = scoring.classify_in_pieces(
        engine, [a for _, a in accepted], in_process=IN_PROCESS,
        process_runs=settings.classify_process_runs,
        observe_model=metrics.METRICS.inference.observe,
        answer_within=settings.classify_timeout_seconds,
    )  # fmt: skip
    try:
        async for run in classified:
            per_article = (time.perf_counter() - started) / len(run.results)
            done = [next(unsent) for _ in run.results]
            contributions += await publish(
                done, run.results, positions, engine.registry, per_article
            )
            if run.ends_piece:
                # Once per piece, not per run: stage two publishes each subject once per
                # batch it reads, so more, smaller bundles would cost it more.
                await send_contributions(contributions)
                contributions = []
                pieces += 1
            started = time.perf_counter()
            stall.PROGRESS.progressed()  # a long batch of many runs is not a stalled one
    except BrokenProcessPool as exc:
        # Raising would let Faust acknowledge the batch: restart and read it again instead.
        delivery.exit_now(f"the classifying process died ({exc!r}); restarting", 75)
    except scoring.ClassifyingStuck as exc:
        # The same, for a classifier that stopped answering; the process dies with us.
        delivery.exit_now(f"{exc} (DETENTE_CLASSIFY_TIMEOUT_SECONDS); restarting", 75)
    metrics.count_bounded({bounds.BATCH_TEXT: max(pieces - 1, 0)})


async def publish(
    accepted: Sequence[tuple[Record, Article]],
    results: Sequence[scoring.Result],
    positions: dict[str, str],
    registry: ActorRegistry,
    per_article: float,
) -> list[Contribution]:
    """Classified articles out: stances to `stances`, an article that could not be
    classified to the DLQ; their contributions, for `send_contributions`."""
    classified_at = datetime.now(UTC)
    fencing.ensure_still_member()
    contributions: list[Contribution] = []
    for (record, article), result in zip(accepted, results, strict=True):
        metrics.PROCESSING_SECONDS.observe(per_article)
        if isinstance(result, UnprocessableArticle):
            await delivery.dead_letter(result.reason, str(result), record)
            continue
        if isinstance(result, Exception):  # a bug must not stall the partition
            log.error("classifying article %s failed: %r", article.id, result)
            await delivery.dead_letter("processing_error", repr(result), record)
            continue
        stances, cut = result
        metrics.count_bounded(cut)
        await seen_articles.write(article.id.encode(), positions[article.id])
        await send_stances(article, stances, classified_at)
        # Where the article was read fences replays; its Kafka timestamp carries over, so
        # the end-to-end delay counts from when the article was produced.
        placed = indices.contributions(
            stances, registry, source_partition=record.partition,
            source_offset=record.offset, article_produced_at=record.produced_at,
        )  # fmt: skip
        contributions.extend(placed)
    return contributions


async def send_stances(article: Article, stances: ArticleStances, classified_at: datetime) -> None:
    for stance in stances.actors:
        event = StanceEvent(
            article_id=article.id, published_at=article.published_at, title=article.title,
            model_version=stances.model_version, stance=stance, classified_at=classified_at,
            mentioned=stances.mentioned, stance_takers=len(stances.actors),
        )  # fmt: skip
        await delivery.send(stances_topic, key=stance.actor.encode(), value=event.to_json_bytes())


async def send_contributions(contributions: Iterable[Contribution]) -> None:
    """One record per partition (split past `contributions_per_record`), in reading order."""
    by_partition: dict[int, list[Contribution]] = defaultdict(list)
    for contribution in contributions:
        by_partition[subject_partition(contribution.subject)].append(contribution)
    size = settings.contributions_per_record
    for partition, bound in sorted(by_partition.items()):
        for start in range(0, len(bound), size):
            bundle = ContributionBundle(contributions=bound[start : start + size])
            await delivery.send(
                contributions_topic, value=bundle.to_json_bytes(), partition=partition
            )


def forget_old_articles() -> int:
    """Drop remembered ids too old to matter (a replay of them is refused as late); how many."""
    if article_watermarks.stale:
        return 0
    remembered = [(key, Sighting.decode(value)) for key, value in seen_articles.items()]
    expired = article_watermarks.expired(remembered, lateness_hours())
    for key in expired:
        del seen_articles[key]
    return len(expired)
