"""Stream processors: articles → stances → per-subject index contributions → indices.

Two stages, re-keyed through Kafka the way Kafka Streams repartitions: `classify_articles`
reads `articles` (key: article id); `aggregate_indices` reads `index-contributions` (key:
subject), so every subject's state lives in exactly one partition of `index-state`, and any
number of worker processes in the group give the same indices as one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pydantic import ValidationError

from detente import alerts, indices
from detente.events import Article, Contribution, DeadLetter, StanceEvent
from detente.stances import UnprocessableArticle
from detente_worker import metrics
from detente_worker.app import app
from detente_worker.engine import allowed_lateness, get_engine
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


async def dead_letter(
    reason: str, detail: str, raw: bytes, key: bytes | None, topic: str, partition: int, offset: int
) -> None:
    metrics.DEAD_LETTERS.labels(reason=reason).inc()
    letter = DeadLetter.for_record(
        reason=reason, detail=detail, source_topic=topic, raw=raw, key=key,
        partition=partition, offset=offset,
    )  # fmt: skip
    await dead_letters_topic.send(key=key, value=letter.to_json_bytes())


def parse_article(raw: bytes) -> Article:
    return Article.model_validate_json(raw)


async def handle_article(
    raw: bytes, key: bytes | None, topic: str, partition: int, offset: int,
    *, produced_at: float | None = None,
) -> None:  # fmt: skip
    """Classify one raw article record; anything wrong goes to the DLQ, never up the stack."""
    metrics.CONSUMED.labels(topic=topic).inc()
    try:
        article = parse_article(raw)
    except ValidationError as exc:
        invalid_json = any(e["type"] == "json_invalid" for e in exc.errors())
        reason = "invalid_json" if invalid_json else "invalid_schema"
        if not invalid_json and any(e["loc"][:1] == ("schema_version",) for e in exc.errors()):
            reason = "unsupported_schema_version"
        await dead_letter(reason, str(exc)[:2000], raw, key, topic, partition, offset)
        return
    # An article seen at another position is a duplicate (a replayed file, a producer
    # retry). Seen at this very position, it is our own replay after a crash: process it
    # again, since its outputs may not all have been written; the subjects' source-offset
    # fence drops the contributions that were.
    position = f"{partition}:{offset}"
    previous = seen_articles.get(article.id)
    if previous is not None and previous != position:
        metrics.DUPLICATES.inc()
        return
    engine = metrics.instrumented(get_engine())
    try:
        with metrics.PROCESSING_SECONDS.time():
            stances = engine.classify(article)
    except UnprocessableArticle as exc:
        await dead_letter(exc.reason, str(exc), raw, key, topic, partition, offset)
        return
    except Exception as exc:  # a bug must not stall the partition: park the record with its cause
        log.exception("classifying article %s failed", article.id)
        await dead_letter("processing_error", repr(exc), raw, key, topic, partition, offset)
        return
    seen_articles[article.id] = position
    now = datetime.now(UTC)
    for stance in stances.actors:
        event = StanceEvent(
            article_id=article.id, published_at=article.published_at, title=article.title,
            model_version=stances.model_version, stance=stance, classified_at=now,
        )  # fmt: skip
        await stances_topic.send(key=stance.actor.encode(), value=event.to_json_bytes())
        metrics.PRODUCED.labels(topic=stances_topic.get_topic_name()).inc()
    for contribution in indices.contributions(stances, engine.registry):
        contribution = contribution.model_copy(
            update={"source_partition": partition, "source_offset": offset}
        )
        # The article's Kafka timestamp carries over, as Kafka Streams does when it
        # repartitions: the end-to-end delay counts from when the article was produced.
        await contributions_topic.send(
            key=contribution.subject.encode(),
            value=contribution.to_json_bytes(),
            timestamp=produced_at,
        )
        metrics.PRODUCED.labels(topic=contributions_topic.get_topic_name()).inc()


async def handle_contribution(
    raw: bytes, key: bytes | None, topic: str, partition: int, offset: int,
    *, produced_at: float | None = None,
) -> None:  # fmt: skip
    metrics.CONSUMED.labels(topic=topic).inc()
    try:
        contribution = Contribution.model_validate_json(raw)
    except ValidationError as exc:
        await dead_letter(
            "invalid_contribution", str(exc)[:2000], raw, key, topic, partition, offset
        )
        return
    state = index_state.get(contribution.subject) or indices.empty_state()
    if indices.already_applied(state, contribution):
        metrics.DUPLICATES.inc()
        return
    if indices.is_late(state, contribution.published_at, allowed_lateness()):
        metrics.LATE_EVENTS.labels(subject_kind=contribution.subject_kind).inc()
        await dead_letter(
            "late_event",
            f"{contribution.subject}: published_at {contribution.published_at.isoformat()} is "
            "older "
            f"than the subject's watermark minus the allowed lateness",
            raw, key, topic, partition, offset,
        )  # fmt: skip
        return
    state = indices.apply(state, contribution)
    subject, kind, actors = contribution.subject, contribution.subject_kind, contribution.actors
    alert = alerts.detect_spike(subject, kind, actors, state)
    if alert is not None:
        state = alerts.mark_alerted(state)
    index_state[subject] = state
    update = indices.index_update(subject, kind, actors, state)
    await indices_topic.send(key=subject.encode(), value=update.to_json_bytes())
    metrics.PRODUCED.labels(topic=indices_topic.get_topic_name()).inc()
    if alert is not None:
        await alerts_topic.send(key=subject.encode(), value=alert.to_json_bytes())
        metrics.PRODUCED.labels(topic=alerts_topic.get_topic_name()).inc()
        log.info("tension spike: %s %.1f over baseline %.1f", subject, alert.value, alert.baseline)
    metrics.observe_index(
        update, partition=partition, produced_at=produced_at,
        published_at=contribution.published_at,
    )  # fmt: skip


@app.agent(articles_topic)
async def classify_articles(stream):  # type: ignore[no-untyped-def]
    async for event in stream.events():
        message = event.message
        await handle_article(
            event.value, event.key, message.topic, message.partition, message.offset,
            produced_at=message.timestamp,
        )  # fmt: skip


@app.agent(contributions_topic)
async def aggregate_indices(stream):  # type: ignore[no-untyped-def]
    async for event in stream.events():
        message = event.message
        await handle_contribution(
            event.value, event.key, message.topic, message.partition, message.offset,
            produced_at=message.timestamp,
        )  # fmt: skip
