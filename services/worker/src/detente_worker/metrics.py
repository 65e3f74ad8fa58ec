"""Worker metrics (documented in docs/metrics.md), served on the worker's own port.

Everything is built by `WorkerMetrics` on a registry it is given, so tests use their own
`CollectorRegistry`; the process uses one instance on the default registry, whose collectors
the agents reach through the module-level names below (`CONSUMED`, `observe_index`, ...).

Per-subject tension gauges have bounded cardinality (`detente_worker.subject_gauges`).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, Info
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from detente.bounds import REASONS
from detente.events import IndexUpdate
from detente.stances import StanceEngine
from detente.vectorise import CachedTextPipeline
from detente_worker.subject_gauges import SubjectGauges

log = logging.getLogger(__name__)

_SECONDS_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_SECONDS_PIPELINE = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600)
_SECONDS_NEWS = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400,
                 7 * 86400, 30 * 86400)  # fmt: skip


class MetricsSettings(BaseSettings):
    """DETENTE_METRICS_* variables (DETENTE_METRICS_HOST, _PORT, _TIMEOUT_SECONDS and
    _MAX_CONNECTIONS belong to the worker's Settings: the server, not the series)."""

    model_config = SettingsConfigDict(env_prefix="DETENTE_METRICS_")

    # Subjects with per-subject tension series, besides the allow-list and `global`.
    top_subjects: int = Field(default=50, ge=0)
    # Always exported (JSON list): DETENTE_METRICS_SUBJECTS='["actor:russia","dyad:nato|russia"]'
    subjects: list[str] = []
    # A subject without updates for this long (wall clock) loses its series.
    subject_idle_hours: float = Field(default=24.0, gt=0)
    # How often consumer lag and table sizes are refreshed.
    refresh_seconds: float = Field(default=10.0, gt=0)


class _TimedClassifier:
    """Wraps the model's pipeline so each `predict_proba` call is timed."""

    def __init__(self, inner: Any, observe: Callable[[float], None]) -> None:
        self._inner = inner
        self._observe = observe

    def predict_proba(self, texts: Sequence[str]) -> Any:
        started = time.perf_counter()
        try:
            return self._inner.predict_proba(texts)
        finally:
            self._observe(time.perf_counter() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def timed(engine: StanceEngine, observe: Callable[[float], None]) -> StanceEngine:
    """`engine` with the seconds of each model call passed to `observe`."""
    # Time the fast path (detente.vectorise): a wrapped sklearn pipeline no longer has the
    # shape the model recognises, and would count n-grams the slow way.
    pipeline = engine.model.pipeline
    fast = CachedTextPipeline.of(pipeline) or pipeline
    model = dataclasses.replace(engine.model, pipeline=_TimedClassifier(fast, observe))
    return dataclasses.replace(engine, model=model)


def observe_many(histogram: Histogram, amounts: Sequence[float]) -> None:
    """`histogram.observe(a)` for every amount, counted per bucket first: a subject's index
    update folds in a dozen contributions or more, each one observation, and observing them
    one by one (a lock and a walk over the buckets each) was a tenth of the aggregation
    stage's time. Reads the histogram's buckets as prometheus_client 0.26 keeps them; a test
    compares the exposition with plain `observe` (tests/unit/metrics)."""
    if not amounts:
        return
    bounds = histogram._upper_bounds  # ascending, +Inf last: the first bound >= amount
    counts: dict[int, int] = {}
    for amount in amounts:
        index = bisect_left(bounds, amount)
        counts[index] = counts.get(index, 0) + 1
    histogram._sum.inc(sum(amounts))
    for index, count in counts.items():
        histogram._buckets[index].inc(count)


class ConsumerLag:
    """`detente_worker_consumer_lag_messages` per assigned source partition."""

    def __init__(self, gauge: Gauge) -> None:
        self._gauge = gauge
        self._labels: set[tuple[str, str]] = set()

    def set(self, lags: Mapping[tuple[str, int], int]) -> None:
        labels = {(topic, str(partition)): lag for (topic, partition), lag in lags.items()}
        for gone in self._labels - labels.keys():
            self._gauge.remove(*gone)
        for key, lag in labels.items():
            self._gauge.labels(*key).set(lag)
        self._labels = set(labels)


async def consumer_lags(app: Any, sources: Iterable[str]) -> dict[tuple[str, int], int]:
    """Records between the committed offset (or, before the first commit since start, the
    consumer's position) and the end, per assigned partition of `sources`."""
    wanted = set(sources)
    consumer = app.consumer
    partitions = sorted(tp for tp in consumer.assignment() if tp.topic in wanted)
    ends = await consumer.highwaters(*partitions) if partitions else {}
    committed = app.monitor.tp_committed_offsets
    lags: dict[tuple[str, int], int] = {}
    for tp in partitions:
        end = ends.get(tp)
        position = committed.get(tp)
        if position is None:  # nothing committed since start: where the consumer is
            position = await consumer.position(tp)
        if end is not None and position is not None:
            lags[(tp.topic, tp.partition)] = max(0, end - position)
    return lags


class WorkerMetrics:
    def __init__(
        self, registry: CollectorRegistry = REGISTRY, settings: MetricsSettings | None = None
    ) -> None:
        settings = settings if settings is not None else MetricsSettings()
        self.settings = settings

        def counter(name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
            return Counter(name, doc, labels, registry=registry)

        def gauge(name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
            return Gauge(name, doc, labels, registry=registry)

        def histogram(
            name: str, doc: str, buckets: Sequence[float], labels: Sequence[str] = ()
        ) -> Histogram:
            return Histogram(name, doc, labels, buckets=buckets, registry=registry)

        self.consumed = counter("detente_worker_events_consumed", "Records consumed", ["topic"])
        self.produced = counter("detente_worker_events_produced", "Records produced", ["topic"])
        self.dead_letters = counter(
            "detente_worker_dead_letters", "Records sent to the dead-letter topic", ["reason"]
        )
        self.late_events = counter(
            "detente_worker_late_events", "Contributions older than the allowed lateness",
            ["subject_kind"],
        )  # fmt: skip
        self.duplicates = counter(
            "detente_worker_duplicate_articles", "Articles seen before, skipped"
        )
        self.bounded = counter(
            "detente_worker_bounded",
            "Things cut to the hot path's bounds (detente.bounds), by what was bounded",
            ["reason"],
        )
        for reason in REASONS:  # every reason shows, at 0 until it is first hit
            self.bounded.labels(reason=reason)
        self.stale_writes = counter(
            "detente_worker_stale_writes_dropped",
            "Subject states older than one already held, not applied: a frozen worker's late "
            "writes, read back from the changelog (where=restore), or batches not written because "
            "the worker was stopped past its session and restarted (where=paused)",
            ["where"],
        )  # fmt: skip
        self.holes = counter(
            "detente_worker_offset_holes",
            "Offsets the consumer went past without handing them over, by what the broker "
            "held there: records (read from it and handled in their place) or nothing (a "
            "transaction marker, records deleted by retention); docs/guarantees.md",
            ["topic", "held"],
        )  # fmt: skip
        self.subjects_forgotten = counter(
            "detente_worker_subjects_forgotten",
            "Subjects idle long enough that their state was dropped and their index "
            "tombstoned on tension-indices (docs/indices.md, Forgetting)",
        )
        self.processing = histogram(
            "detente_worker_article_processing_seconds",
            "Time to classify one article (attribution and model)", _SECONDS_FAST,
        )  # fmt: skip
        self.inference = histogram(
            "detente_worker_model_inference_seconds",
            "Time of one model call (predict_proba over an article's statements)", _SECONDS_FAST,
        )  # fmt: skip
        self.end_to_end = histogram(
            "detente_worker_end_to_end_delay_seconds",
            "From the article's Kafka timestamp (produce time) to each index update it causes",
            _SECONDS_PIPELINE,
        )  # fmt: skip
        self.batch_phases = histogram(
            "detente_worker_batch_phase_seconds",
            "Where a batch's time goes, per stage: queued (from its oldest record's Kafka "
            "timestamp to the stage taking it up), handle, deliver (outputs on the broker)",
            _SECONDS_FAST, ["stage", "phase"],
        )  # fmt: skip
        self.publication = histogram(
            "detente_worker_publication_delay_seconds",
            "From the article's published_at to each index update it causes", _SECONDS_NEWS,
        )  # fmt: skip
        self.model = Info("detente_worker_model", "The stance model in use", registry=registry)
        self.table_keys = gauge(
            "detente_worker_table_keys", "Keys in this process's local table store", ["table"]
        )
        lag = gauge(
            "detente_worker_consumer_lag_messages",
            "Records between the committed offset and the end of each assigned source partition",
            ["topic", "partition"],
        )  # fmt: skip
        self.lag = ConsumerLag(lag)
        labels = ["subject", "subject_kind", "window"]
        self.subjects = SubjectGauges(
            gauge(
                "detente_worker_tension_index",
                "Tension index (0-100) of an exported subject, per window, as of its latest event",
                labels,
            ),
            gauge(
                "detente_worker_tension_statements",
                "Statements behind an exported subject's index, per window",
                labels,
            ),
            gauge(
                "detente_worker_tension_subjects_exported",
                "Subjects with tension series (top-K most active, allow-list and global)",
            ),
            counter(
                "detente_worker_tension_subjects_dropped",
                "Subjects whose tension series were removed (displaced, idle, revoked)",
                ["reason"],
            ),
            top=settings.top_subjects,
            pinned=settings.subjects,
            idle_seconds=settings.subject_idle_hours * 3600,
        )
        self._instrumented: tuple[StanceEngine, StanceEngine] | None = None

    def instrumented(self, engine: StanceEngine) -> StanceEngine:
        """`engine` with its model calls timed (built once), publishing the model version."""
        if self._instrumented is None or self._instrumented[0] is not engine:
            self.model.info({"version": engine.model.version})
            self._instrumented = (engine, timed(engine, self.inference.observe))
        return self._instrumented[1]

    def count_bounded(self, cuts: Mapping[str, int]) -> None:
        """What the bounds cut of an article or a batch (`detente.bounds`), by reason."""
        for reason, n in cuts.items():
            if n > 0:
                self.bounded.labels(reason=reason).inc(n)

    def observe_index(
        self,
        update: IndexUpdate,
        *,
        partition: int | None = None,
        delays: Iterable[tuple[float | None, datetime]] = (),
        now: float | None = None,
    ) -> None:
        """One index update sent, and for each contribution it folds in (its article's
        Kafka timestamp in seconds, its publication time) the delays until now; the
        subject's gauges if it is exported."""
        now = time.time() if now is None else now
        delays = list(delays)
        observe_many(
            self.end_to_end, [max(0.0, now - produced) for produced, _ in delays if produced]
        )
        observe_many(
            self.publication, [max(0.0, now - published.timestamp()) for _, published in delays]
        )
        self.subjects.observe(update, partition)

    def observe_batch(
        self, stage: str, *, queued: float | None, handle: float, deliver: float
    ) -> None:
        """One batch's phases (`detente_worker_batch_phase_seconds`); `queued` is None when
        its records carry no Kafka timestamp, and a producer's clock ahead of ours reads as
        no wait."""
        phases = self.batch_phases
        if queued is not None:
            phases.labels(stage, "queued").observe(max(0.0, queued))
        phases.labels(stage, "handle").observe(handle)
        phases.labels(stage, "deliver").observe(deliver)

    def set_table_sizes(self, tables: Mapping[str, Any]) -> None:
        for name, table in tables.items():
            self.table_keys.labels(table=name).set(len(table))

    async def refresh(self, app: Any, sources: Iterable[str], tables: Mapping[str, Any]) -> None:
        """Periodic (on the event loop): consumer lag, table sizes, idle subjects."""
        self.subjects.sweep()
        self.set_table_sizes(tables)
        lags = await consumer_lags(app, sources)
        self.lag.set(lags)

    def install(
        self, app: Any, *, sources: Sequence[str], subjects_topic: str, tables: Mapping[str, Any]
    ) -> None:
        """Hook into the Faust app: a refresh timer, and dropping the subjects of partitions
        of `subjects_topic` that a rebalance moved to another worker."""
        for topic in sources:
            self.consumed.labels(topic=topic)  # exported at 0 before the first record

        failing = False

        async def refresh_metrics() -> None:
            nonlocal failing
            try:
                await self.refresh(app, sources, tables)
            except Exception as exc:  # metrics must never take the worker down
                if not failing:  # once per run of failures, not every tick
                    log.warning("refreshing metrics failed: %r", exc)
                failing = True
            else:
                failing = False

        async def on_assigned(sender: Any, assigned: Any, **kwargs: Any) -> None:
            self.subjects.retain_partitions(
                tp.partition for tp in assigned if tp.topic == subjects_topic
            )

        app.timer(self.settings.refresh_seconds, name="detente-metrics-refresh")(refresh_metrics)
        app.on_partitions_assigned.connect(on_assigned)


METRICS = WorkerMetrics()


@cache
def produced(topic: str) -> Any:
    """The produced-records counter of `topic` (a label lookup costs a lock and a tuple per
    record, and the worker sends several records per article)."""
    return METRICS.produced.labels(topic=topic)


@cache
def consumed(topic: str) -> Any:
    """The consumed-records counter of `topic`, looked up once."""
    return METRICS.consumed.labels(topic=topic)


CONSUMED = METRICS.consumed
PRODUCED = METRICS.produced
DEAD_LETTERS = METRICS.dead_letters
LATE_EVENTS = METRICS.late_events
DUPLICATES = METRICS.duplicates
STALE_WRITES = METRICS.stale_writes
SUBJECTS_FORGOTTEN = METRICS.subjects_forgotten
PROCESSING_SECONDS = METRICS.processing
instrumented = METRICS.instrumented
count_bounded = METRICS.count_bounded
observe_index = METRICS.observe_index
