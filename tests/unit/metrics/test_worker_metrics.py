"""Worker metrics on their own registry: bounded tension gauges, delays, model, lag, tables."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from detente.events import Article, IndexUpdate, WindowValue
from detente.model import StanceModel
from detente.registry import ActorRegistry
from detente.stances import StanceEngine
from detente_worker.metrics import MetricsSettings, WorkerMetrics

NOW = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
HOUR = 3600


def make_update(
    subject: str,
    *,
    index_24h: float | None = 80.0,
    statements_24h: int = 10,
    index_1h: float | None = 90.0,
    hourly: list[tuple[int, float, float, int, int]] | None = None,
) -> IndexUpdate:
    kind = "global" if subject == "global" else subject.split(":")[0]
    actors = [] if kind == "global" else subject.split(":")[1].split("|")
    return IndexUpdate(
        subject=subject,
        subject_kind=kind,  # type: ignore[arg-type]
        actors=actors,
        as_of=NOW.replace(minute=0) + timedelta(hours=1),
        windows={
            "1h": WindowValue(index=index_1h, statements=2, articles=2),
            "24h": WindowValue(
                index=index_24h,
                statements=statements_24h,
                articles=5,
                low=None if index_24h is None else index_24h - 15,
            ),
            "7d": WindowValue(index=50.0, statements=40, articles=20),
        },
        ewma=60.0,
        ewma_half_life_hours=24.0,
        total_statements=40,
        total_articles=20,
        last_article_id="a-1",
        updated_at=NOW,
        hourly=hourly or [],
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def prom() -> CollectorRegistry:
    """This test's own Prometheus registry (`registry` is the actor registry fixture)."""
    return CollectorRegistry()


@pytest.fixture
def make_metrics(prom: CollectorRegistry, clock: Clock) -> Callable[..., WorkerMetrics]:
    def make(**settings: Any) -> WorkerMetrics:
        metrics = WorkerMetrics(prom, MetricsSettings(**settings))
        metrics.subjects._clock = clock  # deterministic idle times
        return metrics

    return make


def value(prom: CollectorRegistry, name: str, **labels: str) -> float | None:
    return prom.get_sample_value(name, labels)


def subjects_with_series(prom: CollectorRegistry) -> set[str]:
    return {
        sample.labels["subject"]
        for family in prom.collect()
        if family.name in ("detente_worker_tension_index", "detente_worker_tension_statements")
        for sample in family.samples
    }


def test_index_gauges_per_window_including_ewma_and_baseline(prom, make_metrics):
    metrics = make_metrics()
    hour = int(NOW.timestamp()) // HOUR
    # Baseline (the 6 days before the 24 h window): 3 statements, all conciliatory.
    hourly = [(hour - 48, 0.0, 2.7, 3, 3), (hour, 9.0, 9.0, 10, 5)]
    metrics.observe_index(make_update("actor:north-korea", hourly=hourly))

    labels = {"subject": "actor:north-korea", "subject_kind": "actor"}
    index = "detente_worker_tension_index"
    statements = "detente_worker_tension_statements"
    assert value(prom, index, **labels, window="24h") == 80.0
    assert value(prom, index, **labels, window="1h") == 90.0
    assert value(prom, index, **labels, window="7d") == 50.0
    assert value(prom, index, **labels, window="ewma") == 60.0
    # Computed from the buckets like every index: the posterior of 0 hardline in 2.7 weight.
    assert value(prom, index, **labels, window="baseline") == round(100 * 2 / (4 + 2.7), 2)
    assert value(prom, index, **labels, window="24h_low") == 65.0  # the interval's low end
    assert value(prom, statements, **labels, window="24h") == 10.0
    assert value(prom, statements, **labels, window="baseline") == 3.0
    assert value(prom, "detente_worker_tension_subjects_exported") == 1.0


def test_a_window_without_index_loses_its_series(prom, make_metrics):
    metrics = make_metrics()
    metrics.observe_index(make_update("actor:france", index_1h=40.0))
    metrics.observe_index(make_update("actor:france", index_1h=None))

    labels = {"subject": "actor:france", "subject_kind": "actor"}
    assert value(prom, "detente_worker_tension_index", **labels, window="1h") is None
    assert value(prom, "detente_worker_tension_index", **labels, window="24h") == 80.0
    # No buckets in the update: no baseline series either.
    assert value(prom, "detente_worker_tension_index", **labels, window="baseline") is None
    # The series comes back with the window's next index, and follows it.
    metrics.observe_index(make_update("actor:france", index_1h=55.0, index_24h=70.0))
    assert value(prom, "detente_worker_tension_index", **labels, window="1h") == 55.0
    assert value(prom, "detente_worker_tension_index", **labels, window="24h") == 70.0


def test_top_k_keeps_the_most_active_subjects_and_removes_the_others(prom, make_metrics, clock):
    metrics = make_metrics(top_subjects=2)
    for subject, activity in (("actor:a", 5), ("actor:b", 10)):
        clock.now += 1
        metrics.observe_index(make_update(subject, statements_24h=activity))
    # Not more active than the weakest (5): not exported.
    metrics.observe_index(make_update("actor:c", statements_24h=5))
    assert subjects_with_series(prom) == {"actor:a", "actor:b"}

    # More active: displaces actor:a, whose series disappear.
    metrics.observe_index(make_update("actor:d", statements_24h=6))
    assert subjects_with_series(prom) == {"actor:b", "actor:d"}
    assert value(prom, "detente_worker_tension_subjects_dropped_total", reason="displaced") == 1


def test_global_and_the_allow_list_are_always_exported(prom, make_metrics):
    metrics = make_metrics(top_subjects=1, subjects=["dyad:nato|russia"])
    metrics.observe_index(make_update("actor:busy", statements_24h=100))
    metrics.observe_index(make_update("global", statements_24h=1))
    metrics.observe_index(make_update("dyad:nato|russia", statements_24h=1))
    metrics.observe_index(make_update("actor:busier", statements_24h=200))

    assert subjects_with_series(prom) == {"actor:busier", "global", "dyad:nato|russia"}
    assert value(prom, "detente_worker_tension_subjects_exported") == 3


def test_cardinality_stays_bounded_whatever_the_input(prom, make_metrics):
    metrics = make_metrics(top_subjects=5)
    for n in range(500):
        metrics.observe_index(make_update(f"actor:invented-{n}", statements_24h=n))
    series = [
        s
        for family in prom.collect()
        if family.name == "detente_worker_tension_index"
        for s in family.samples
    ]
    assert subjects_with_series(prom) == {f"actor:invented-{n}" for n in range(495, 500)}
    assert len(series) <= 5 * 5  # subjects x windows (1h, 24h, 7d, ewma, baseline)


def test_zero_top_k_exports_only_pinned_subjects(prom, make_metrics):
    metrics = make_metrics(top_subjects=0)
    metrics.observe_index(make_update("actor:russia", statements_24h=1000))
    metrics.observe_index(make_update("global"))
    assert subjects_with_series(prom) == {"global"}


def test_idle_subjects_are_swept(prom, make_metrics, clock):
    metrics = make_metrics(subject_idle_hours=1)
    metrics.observe_index(make_update("actor:quiet"))
    clock.now += 1800
    metrics.observe_index(make_update("actor:busy"))
    clock.now += 2400  # quiet: 70 min without an update, busy: 40 min

    metrics.subjects.sweep()

    assert subjects_with_series(prom) == {"actor:busy"}
    assert value(prom, "detente_worker_tension_subjects_dropped_total", reason="idle") == 1


def test_subjects_of_partitions_moved_away_are_dropped(prom, make_metrics):
    metrics = make_metrics()
    metrics.observe_index(make_update("actor:a"), partition=0)
    metrics.observe_index(make_update("actor:b"), partition=1)
    metrics.observe_index(make_update("global"), partition=2)

    metrics.subjects.retain_partitions([1])

    assert subjects_with_series(prom) == {"actor:b"}
    assert value(prom, "detente_worker_tension_subjects_dropped_total", reason="revoked") == 2


def test_delays_from_produce_time_and_publication(prom, make_metrics):
    metrics = make_metrics()
    now = NOW.timestamp()
    # The second contribution has no Kafka timestamp and a clock-skewed future publication.
    metrics.observe_index(
        make_update("global"),
        delays=[(now - 0.2, NOW - timedelta(hours=2)), (None, NOW + timedelta(minutes=5))],
        now=now,
    )

    e2e = "detente_worker_end_to_end_delay_seconds"
    assert value(prom, f"{e2e}_count") == 1
    assert value(prom, f"{e2e}_bucket", le="0.25") == 1
    assert value(prom, f"{e2e}_bucket", le="0.1") == 0
    publication = "detente_worker_publication_delay_seconds"
    assert value(prom, f"{publication}_count") == 2
    assert value(prom, f"{publication}_bucket", le="60.0") == 1  # clamped at 0
    assert value(prom, f"{publication}_bucket", le="10800.0") == 2


class FakePipeline:
    classes_ = np.array(["conciliatory", "hardline"])

    def __init__(self) -> None:
        self.calls = 0

    def predict_proba(self, texts: list[str]) -> Any:
        self.calls += 1
        return np.array([[0.1, 0.9] for _ in texts])


def test_instrumented_engine_times_model_calls_and_publishes_the_version(
    prom, make_metrics, registry: ActorRegistry
):
    metrics = make_metrics()
    pipeline = FakePipeline()
    model = StanceModel(pipeline, "stance-test-1", ("conciliatory", "hardline"))
    engine = StanceEngine.create(registry, model)

    timed = metrics.instrumented(engine)
    article = Article(
        id="a1", published_at=NOW, source="test", text="Russia threatened to retaliate."
    )
    stances = timed.classify(article)

    assert metrics.instrumented(engine) is timed  # built once
    assert pipeline.calls == 1
    assert stances.model_version == "stance-test-1"
    assert value(prom, "detente_worker_model_inference_seconds_count") == 1
    assert value(prom, "detente_worker_model_info", version="stance-test-1") == 1


def test_instrumented_engine_keeps_the_fast_features(
    prom, make_metrics, registry: ActorRegistry, monkeypatch: pytest.MonkeyPatch
):
    """Timing the model must not put it back on scikit-learn's slow n-gram counting (the
    worker ran at 0.44 of the classify ceiling until it did not)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    texts = ["SPEAKER warned of war", "SPEAKER welcomed the talks", "SPEAKER threatened ACTOR",
             "SPEAKER praised the ceasefire"]  # fmt: skip
    pipeline = Pipeline([("words", TfidfVectorizer()), ("classifier", LogisticRegression())])
    pipeline.fit(texts, ["hardline", "conciliatory", "hardline", "conciliatory"])
    model = StanceModel(pipeline, "stance-test-2", ("conciliatory", "hardline"))
    plain = StanceEngine.create(registry, model)
    article = Article(id="a1", published_at=NOW, source="test", text="Russia warned of war.")
    expected = plain.classify(article)

    def slow_path(*_: object, **__: object) -> None:
        raise AssertionError("scikit-learn's TfidfVectorizer.transform was called")

    monkeypatch.setattr(TfidfVectorizer, "transform", slow_path)
    timed = make_metrics().instrumented(plain)
    assert timed.classify(article) == expected
    assert value(prom, "detente_worker_model_inference_seconds_count") == 1


class FakeConsumer:
    def __init__(self, assignment: set[Any], ends: dict[Any, int], positions: dict[Any, int]):
        self._assignment = assignment
        self._ends = ends
        self._positions = positions

    def assignment(self) -> set[Any]:
        return self._assignment

    async def highwaters(self, *partitions: Any) -> dict[Any, int]:
        return {tp: self._ends[tp] for tp in partitions}

    async def position(self, tp: Any) -> int | None:
        return self._positions.get(tp)


def tp(topic: str, partition: int) -> Any:
    from faust.types import TP

    return TP(topic, partition)


def test_refresh_sets_consumer_lag_and_table_sizes(prom, make_metrics):
    metrics = make_metrics()
    assignment = {tp("articles", 0), tp("articles", 1), tp("detente-index-state-changelog", 0)}
    consumer = FakeConsumer(
        assignment,
        ends={tp("articles", 0): 120, tp("articles", 1): 40},
        positions={tp("articles", 1): 35},
    )
    app = SimpleNamespace(
        consumer=consumer,
        monitor=SimpleNamespace(tp_committed_offsets={tp("articles", 0): 100}),
    )
    tables = {"index-state": {"global": 1, "actor:a": 2}, "seen-articles": {}}

    asyncio.run(metrics.refresh(app, ["articles"], tables))

    lag = "detente_worker_consumer_lag_messages"
    assert value(prom, lag, topic="articles", partition="0") == 20  # committed offset
    assert value(prom, lag, topic="articles", partition="1") == 5  # position, nothing committed
    assert value(prom, lag, topic="detente-index-state-changelog", partition="0") is None
    assert value(prom, "detente_worker_table_keys", table="index-state") == 2
    assert value(prom, "detente_worker_table_keys", table="seen-articles") == 0

    # A rebalance took partition 1 away: its series goes.
    consumer._assignment = {tp("articles", 0)}
    asyncio.run(metrics.refresh(app, ["articles"], tables))
    assert value(prom, lag, topic="articles", partition="1") is None
    assert value(prom, lag, topic="articles", partition="0") == 20


def test_install_adds_a_timer_initialises_counters_and_follows_assignments(prom, make_metrics):
    metrics = make_metrics(refresh_seconds=3)
    timers: list[tuple[float, str, Any]] = []
    receivers: list[Any] = []

    def timer(interval: float, name: str) -> Callable[[Any], Any]:
        def register(fun: Any) -> Any:
            timers.append((interval, name, fun))
            return fun

        return register

    app = SimpleNamespace(
        timer=timer, on_partitions_assigned=SimpleNamespace(connect=receivers.append)
    )
    metrics.install(
        app, sources=["articles", "index-contributions"], subjects_topic="index-contributions",
        tables={},
    )  # fmt: skip
    metrics.observe_index(make_update("actor:a"), partition=0)
    metrics.observe_index(make_update("actor:b"), partition=3)

    assert [(i, n) for i, n, _ in timers] == [(3, "detente-metrics-refresh")]
    consumed = "detente_worker_events_consumed_total"
    assert value(prom, consumed, topic="articles") == 0
    assert value(prom, consumed, topic="index-contributions") == 0
    asyncio.run(receivers[0](app, {tp("index-contributions", 3), tp("articles", 0)}, signal=None))
    assert subjects_with_series(prom) == {"actor:b"}
    # A failing refresh (no consumer on this fake app) is swallowed, never raised.
    asyncio.run(timers[0][2]())


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("DETENTE_METRICS_TOP_SUBJECTS", "7")
    monkeypatch.setenv("DETENTE_METRICS_SUBJECTS", '["actor:russia", "dyad:nato|russia"]')
    monkeypatch.setenv("DETENTE_METRICS_PORT", "9999")  # the worker's, ignored here
    settings = MetricsSettings()
    assert settings.top_subjects == 7
    assert settings.subjects == ["actor:russia", "dyad:nato|russia"]


def test_many_delays_observed_at_once_expose_what_one_at_a_time_does() -> None:
    from prometheus_client import Histogram, generate_latest

    from detente_worker.metrics import observe_many

    # Amounts on bucket bounds, between them, past the last, and sums exact in binary.
    amounts = [0.0, 0.01, 0.0125, 0.25, 0.5, 0.75, 1.0, 2.5, 3.0, 900.0, 5000.0, 0.25]
    exposed = []
    for many in (False, True):
        registry = CollectorRegistry()
        histogram = Histogram("delays_seconds", "d", buckets=(0.01, 0.25, 1.0, 2.5, 900.0),
                              registry=registry)  # fmt: skip
        if many:
            observe_many(histogram, amounts)
            observe_many(histogram, [])
        else:
            for amount in amounts:
                histogram.observe(amount)
        exposed.append(
            [line for line in generate_latest(registry).splitlines() if b"_created" not in line]
        )
    assert exposed[0] == exposed[1]
    assert b'delays_seconds_bucket{le="0.25"} 5.0' in exposed[1]
