"""The single source of truth for the project's Kafka topics.

The producer's `detente-topics` command creates them from here, the worker and the API read
their names from here, and the Kubernetes `KafkaTopic` manifests are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 60 * 60 * 1000
MIB = 1024 * 1024
# Oversized articles (a 10 MB paste, a scraped binary) must still reach the worker, so it
# can dead-letter them with a reason instead of the producer losing them at the broker.
MAX_ARTICLE_RECORD_BYTES = 16 * MIB
# A dead letter carries the raw record base64-encoded (4/3 of its size) plus the reason.
MAX_DEAD_LETTER_BYTES = 24 * MIB
# What the worker's producer must be allowed to send: the largest dead letter, and headroom.
MAX_PRODUCER_REQUEST_BYTES = MAX_DEAD_LETTER_BYTES + MIB


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class TopicNames:
    """Topic names under an optional prefix, so tests and tenants never share topics."""

    prefix: str = ""

    @property
    def articles(self) -> str:
        return f"{self.prefix}articles"

    @property
    def articles_dlq(self) -> str:
        return f"{self.prefix}articles-dlq"

    @property
    def stances(self) -> str:
        return f"{self.prefix}stances"

    @property
    def contributions(self) -> str:
        return f"{self.prefix}index-contributions"

    @property
    def indices(self) -> str:
        return f"{self.prefix}tension-indices"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}tension-alerts"

    @property
    def ingest_state(self) -> str:
        return f"{self.prefix}ingest-state"


def topic_specs(names: TopicNames, partitions: int = 6) -> list[TopicSpec]:
    """Every topic the pipeline needs, with its partitions and retention policy.

    Partitions bound the number of worker processes that can share the work, so all
    keyed topics use the same count.
    """
    return [
        TopicSpec(
            names.articles,
            partitions,
            {
                "cleanup.policy": "delete",
                "retention.ms": str(7 * DAY_MS),
                "max.message.bytes": str(MAX_ARTICLE_RECORD_BYTES),
                # The broker's clock dates each record: event-time bounds are judged
                # against it (detente.event_time), not against a producer's clock.
                "message.timestamp.type": "LogAppendTime",
            },
            "Article events from producers, key: article id.",
        ),
        TopicSpec(
            names.articles_dlq,
            1,
            {
                "cleanup.policy": "delete",
                "retention.ms": str(30 * DAY_MS),
                "max.message.bytes": str(MAX_DEAD_LETTER_BYTES),
            },
            "Records the worker could not process: raw bytes plus the reason.",
        ),
        TopicSpec(
            names.stances,
            partitions,
            {"cleanup.policy": "delete", "retention.ms": str(30 * DAY_MS)},
            "One stance per actor per article, key: actor id.",
        ),
        TopicSpec(
            names.contributions,
            partitions,
            {"cleanup.policy": "delete", "retention.ms": str(7 * DAY_MS)},
            "Per-article contributions re-keyed by index subject (repartition topic).",
        ),
        TopicSpec(
            names.indices,
            partitions,
            {
                "cleanup.policy": "compact",
                "min.compaction.lag.ms": "60000",
                "segment.ms": str(DAY_MS),
            },
            "Latest tension index per subject (actor, dyad, global), key: subject.",
        ),
        TopicSpec(
            names.alerts,
            partitions,
            {"cleanup.policy": "delete", "retention.ms": str(30 * DAY_MS)},
            "Tension spikes with the articles that drove them, key: subject.",
        ),
        TopicSpec(
            names.ingest_state,
            1,
            {
                "cleanup.policy": "compact",
                "min.compaction.lag.ms": "60000",
                "segment.ms": str(DAY_MS),
            },
            "What detente-ingest has handled (sent, skipped), key: article or link id.",
        ),
    ]
