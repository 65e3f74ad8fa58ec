"""The classify stage's CPU work (scoring.py): in pieces of bounded text, in order, off the
event loop; and a hostile article through the whole stage stays small and is counted."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from prometheus_client import REGISTRY
from worker_support import ARTICLE, Handled, Outbox, run

from detente import bounds
from detente.bounds import Cuts
from detente.events import Article, ArticleStances, StanceEvent
from detente_worker import agents, classify, scoring, topics
from detente_worker.app import settings
from detente_worker.classify import handle_articles
from detente_worker.engine import get_engine
from detente_worker.records import Record

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample" / "articles.jsonl"


def article(n: int, size: int) -> Article:
    return Article(
        id=f"a-{n}", published_at=datetime(2026, 3, 1, tzinfo=UTC), source="unit",
        text="x" * size,
    )  # fmt: skip


@dataclass
class RecordingEngine:
    """A stand-in engine: records each call (its thread and articles), busy for `busy` s."""

    busy: float = 0.0
    fail_on: str | None = None
    calls: list[tuple[str, list[str]]] = field(default_factory=list)

    def classify_counted(self, articles: Sequence[Article]) -> list[tuple[ArticleStances, Cuts]]:
        self.calls.append((threading.current_thread().name, [a.id for a in articles]))
        if any(a.id == self.fail_on for a in articles):
            raise ValueError(f"cannot classify {self.fail_on}")
        end = time.perf_counter() + self.busy
        while time.perf_counter() < end:  # pure-Python work: it holds the GIL
            pass
        return [
            (
                ArticleStances(id=a.id, published_at=a.published_at, model_version="t", actors=[]),
                Cuts(),
            )
            for a in articles
        ]


def classify_pieces(
    engine: object, articles: Sequence[Article], limit: int | None = None
) -> tuple[list[scoring.Result], int]:
    """Every piece's results in order, and how many pieces beyond the first there were."""

    async def collect() -> list[list[scoring.Result]]:
        return [r.results async for r in scoring.classify_in_pieces(engine, articles, limit)]  # type: ignore[arg-type]

    pieces = run(collect())
    return [result for piece in pieces for result in piece], len(pieces) - 1


def test_a_batch_is_classified_in_pieces_of_bounded_text_in_order() -> None:
    engine = RecordingEngine()
    batch = [article(n, size) for n, size in enumerate([40, 50, 30, 120, 10, 10])]
    results, extra = classify_pieces(engine, batch, limit=100)
    assert [ids for _, ids in engine.calls] == [["a-0", "a-1"], ["a-2"], ["a-3"], ["a-4", "a-5"]]
    assert extra == 3
    assert [r[0].id for r in results] == [a.id for a in batch]  # type: ignore[index]
    assert {thread for thread, _ in engine.calls} == {"detente-classify_0"}


def test_one_failing_article_is_retried_alone_and_spares_its_neighbours() -> None:
    engine = RecordingEngine(fail_on="a-1")
    results, extra = classify_pieces(engine, [article(n, 10) for n in range(3)])
    assert extra == 0
    assert isinstance(results[1], ValueError)
    assert [r[0].id for r in (results[0], results[2])] == ["a-0", "a-2"]  # type: ignore[index]


def test_the_event_loop_keeps_running_while_a_piece_is_classified() -> None:
    engine = RecordingEngine(busy=1.0)

    async def scenario() -> tuple[int, float]:
        ticks = 0
        longest = 0.0
        done = asyncio.Event()

        async def tick() -> None:
            nonlocal ticks, longest
            while not done.is_set():
                started = time.perf_counter()
                await asyncio.sleep(0.01)
                longest = max(longest, time.perf_counter() - started)
                ticks += 1

        ticker = asyncio.create_task(tick())
        async for _ in scoring.classify_in_pieces(engine, [article(0, 10)]):  # type: ignore[arg-type]
            pass
        done.set()
        await ticker
        return ticks, longest

    ticks, longest = run(scenario())
    # Inline, the loop would not tick once in that second; off the loop it ticks throughout
    # (generous bounds: a shared two-core machine).
    assert ticks >= 10
    assert longest < 0.5


def bounded(reason: str) -> float:
    return REGISTRY.get_sample_value("detente_worker_bounded_total", {"reason": reason}) or 0.0


def test_a_huge_article_goes_through_small_and_counted(
    outbox: Outbox, articles_handled: Handled
) -> None:
    clause = "Russia warned NATO that any new deployment would be met with force, "
    huge = {**ARTICLE, "id": "huge-1", "title": "", "text": clause * (199_000 // len(clause))}
    before = {reason: bounded(reason) for reason in bounds.REASONS}

    async def scenario() -> None:
        async with agents.classify_articles.test_context() as agent:
            await agent.put(json.dumps(huge).encode(), key=b"huge-1")
            await articles_handled.records(1)

    run(scenario())
    records = [value for _, value in outbox.of(topics.stances_topic)]
    assert records and all(len(value) < 10_000 for value in records)
    stances = [StanceEvent.model_validate_json(value) for value in records]
    assert {s.stance.actor for s in stances} >= {"russia"}
    assert bounded(bounds.SENTENCE_LENGTH) == before[bounds.SENTENCE_LENGTH] + 1
    assert bounded(bounds.MENTIONS_PER_ARTICLE) > before[bounds.MENTIONS_PER_ARTICLE]


def article_records(prefix: str, count: int) -> list[Record]:
    return [
        Record(json.dumps({**ARTICLE, "id": f"{prefix}-{n}"}).encode(), f"{prefix}-{n}".encode(),
               "articles", 0, n)
        for n in range(count)
    ]  # fmt: skip


def handle_in_stage_one(records: list[Record]) -> None:
    async def scenario() -> None:
        async with agents.classify_articles.test_context():
            await handle_articles(records)

    run(scenario())


def test_a_piece_is_sent_before_the_next_one_is_classified(
    outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounds, "MAX_BATCH_CHARS", 1)  # one article per piece
    sent_before: list[int] = []
    classify = scoring.classify_batch

    def recording(engine: object, piece: Sequence[Article]) -> list[scoring.Result]:
        sent_before.append(len(outbox.of(topics.stances_topic)))
        return classify(engine, piece)  # type: ignore[arg-type]

    monkeypatch.setattr(scoring, "classify_batch", recording)
    handle_in_stage_one(article_records("p", 3))
    # Each piece's stances are out before the next piece starts: a huge article late in a
    # batch does not hold back the articles before it.
    assert sent_before[0] == 0 and sent_before[1] > 0 and sent_before[2] > sent_before[1]
    assert len(outbox.of(topics.stances_topic)) > sent_before[2]


def test_pieces_give_the_same_stances_as_one_call() -> None:
    engine = get_engine()
    sample = [
        Article.model_validate({**json.loads(line), "id": f"s-{n}"})
        for n, line in enumerate(SAMPLE.read_text().splitlines())
    ]
    whole = engine.classify_counted(sample)
    results, extra = classify_pieces(engine, sample, limit=5_000)
    assert extra > 5
    assert results == whole


def test_a_piece_splits_into_nearly_equal_runs_never_too_small() -> None:
    batch = [article(n, 10) for n in range(10)]
    assert [len(r) for r in scoring.split_evenly(batch, 4, smallest=2)] == [3, 3, 2, 2]
    assert [len(r) for r in scoring.split_evenly(batch, 4, smallest=4)] == [5, 5]
    assert [len(r) for r in scoring.split_evenly(batch, 4, smallest=16)] == [10]
    assert [len(r) for r in scoring.split_evenly(batch[:1], 4, smallest=1)] == [1]
    assert [a.id for r in scoring.split_evenly(batch, 3, smallest=1) for a in r] == [
        a.id for a in batch
    ]


class ScriptedProcess:
    """A stand-in classifying process: what was sent and handed back, in order. Each run's
    results are ready at once, unless `hold` keeps them pending."""

    def __init__(self, hold: bool = False) -> None:
        self.log: list[tuple[str, list[str]]] = []
        self.futures: list[asyncio.Future[list[scoring.Result]]] = []
        self.hold = hold

    def submit(
        self, run: Sequence[Article], observe: object
    ) -> asyncio.Future[list[scoring.Result]]:
        self.log.append(("sent", [a.id for a in run]))
        future: asyncio.Future[list[scoring.Result]] = asyncio.get_running_loop().create_future()
        if not self.hold:
            future.set_result(RecordingEngine().classify_counted(run))  # type: ignore[arg-type]
        self.futures.append(future)
        return future


def test_in_the_process_the_next_run_is_sent_before_this_one_is_handed_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    process = ScriptedProcess()
    monkeypatch.setattr(scoring, "CLASSIFYING_PROCESS", process)
    monkeypatch.setattr(scoring, "MIN_PROCESS_RUN", 1)
    batch = [article(n, size) for n, size in enumerate([30, 30, 30, 30, 100])]

    async def consume() -> list[bool]:
        ends = []
        async for classified in scoring.classify_in_pieces(
            None,  # type: ignore[arg-type]
            batch,
            limit=100,
            in_process=True,
            process_runs=2,
        ):
            handed = [r[0].id for r in classified.results]  # type: ignore[index]
            process.log.append(("handed", handed))
            ends.append(classified.ends_piece)
        return ends

    ends = run(consume())
    # Pieces of bounded text (a-0…a-2, a-3, a-4), the first in two runs; each run is in
    # the process's hands before the one before it comes back.
    assert process.log == [
        ("sent", ["a-0", "a-1"]), ("sent", ["a-2"]), ("handed", ["a-0", "a-1"]),
        ("sent", ["a-3"]), ("handed", ["a-2"]),
        ("sent", ["a-4"]), ("handed", ["a-3"]),
        ("handed", ["a-4"]),
    ]  # fmt: skip
    assert ends == [False, True, True, True]


def test_runs_still_in_the_process_are_dropped_when_the_batch_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    process = ScriptedProcess(hold=True)
    monkeypatch.setattr(scoring, "CLASSIFYING_PROCESS", process)
    monkeypatch.setattr(scoring, "MIN_PROCESS_RUN", 1)

    async def fail_while_publishing() -> None:
        runs = scoring.classify_in_pieces(
            None,  # type: ignore[arg-type]
            [article(n, 10) for n in range(4)],
            in_process=True,
            process_runs=4,
        )
        waiting = asyncio.ensure_future(runs.__anext__())
        await asyncio.sleep(0)
        process.futures[0].set_result([])
        await waiting
        await runs.aclose()  # as `async for` does when its body raises

    run(fail_while_publishing())
    assert len(process.futures) == 2  # never more than one run ahead
    assert process.futures[1].cancelled()


def test_stances_go_out_per_run_and_contributions_once_per_piece(
    outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen_at_submit: list[tuple[int, int]] = []
    engine = get_engine()

    class InlineProcess:
        def submit(
            self, run: Sequence[Article], observe: object
        ) -> asyncio.Future[list[scoring.Result]]:
            seen_at_submit.append(
                (len(outbox.of(topics.stances_topic)), len(outbox.of(topics.contributions_topic)))
            )
            future: asyncio.Future[list[scoring.Result]] = (
                asyncio.get_running_loop().create_future()
            )
            future.set_result(scoring.classify_batch(engine, run))
            return future

    monkeypatch.setattr(classify, "IN_PROCESS", True)
    monkeypatch.setattr(scoring, "CLASSIFYING_PROCESS", InlineProcess())
    monkeypatch.setattr(scoring, "MIN_PROCESS_RUN", 1)
    monkeypatch.setattr(settings, "classify_process_runs", 3)
    handle_in_stage_one(article_records("r", 3))
    stances = len(outbox.of(topics.stances_topic))
    # Three runs of one article; the third is sent once the first's stances are out.
    assert seen_at_submit[:2] == [(0, 0), (0, 0)]
    assert 0 < seen_at_submit[2][0] < stances and seen_at_submit[2][1] == 0
    # Contributions leave once, bundled by partition, for the whole piece: stage two
    # publishes each subject once per batch, and more, smaller bundles would cost it more.
    partitions = [p for p, _ in outbox.bundles()]
    assert partitions and len(partitions) == len(set(partitions))
    assert {c.article_id for _, b in outbox.bundles() for c in b.contributions} == {
        "r-0",
        "r-1",
        "r-2",
    }


def test_with_one_run_per_piece_nothing_is_sent_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    process = ScriptedProcess()
    monkeypatch.setattr(scoring, "CLASSIFYING_PROCESS", process)
    batch = [article(n, 60) for n in range(3)]  # a piece each at limit 100

    async def consume() -> None:
        async for classified in scoring.classify_in_pieces(
            None,  # type: ignore[arg-type]
            batch,
            limit=100,
            in_process=True,
        ):
            process.log.append(("handed", [r[0].id for r in classified.results]))  # type: ignore[index]

    run(consume())
    assert process.log == [
        ("sent", ["a-0"]), ("handed", ["a-0"]),
        ("sent", ["a-1"]), ("handed", ["a-1"]),
        ("sent", ["a-2"]), ("handed", ["a-2"]),
    ]  # fmt: skip


def test_a_process_that_stops_answering_is_taken_as_stuck(monkeypatch: pytest.MonkeyPatch) -> None:
    process = ScriptedProcess(hold=True)  # stopped: nothing ever comes back
    monkeypatch.setattr(scoring, "CLASSIFYING_PROCESS", process)
    monkeypatch.setattr(scoring, "MIN_PROCESS_RUN", 1)

    async def consume() -> None:
        async for _ in scoring.classify_in_pieces(
            None,  # type: ignore[arg-type]
            [article(n, 10) for n in range(4)],
            in_process=True,
            process_runs=2,
            answer_within=0.2,
        ):
            pass

    started = time.perf_counter()
    with pytest.raises(scoring.ClassifyingStuck, match=r"within 0\.2 s"):
        run(consume())
    assert time.perf_counter() - started < 30  # a deadline, not a hang
    assert all(future.cancelled() for future in process.futures)


def test_a_thread_that_stops_answering_is_taken_as_stuck_and_a_slow_one_is_not() -> None:
    async def classify(engine: RecordingEngine, within: float) -> int:
        runs = scoring.classify_in_pieces(engine, [article(0, 10)], answer_within=within)  # type: ignore[arg-type]
        return len([classified async for classified in runs])

    with pytest.raises(scoring.ClassifyingStuck):
        run(classify(RecordingEngine(busy=1.0), within=0.1))
    assert run(classify(RecordingEngine(busy=0.1), within=5.0)) == 1


def test_a_stuck_classifier_restarts_the_worker_before_its_batch_is_acknowledged(
    outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def stuck(*args: object, **kwargs: object) -> AsyncIterator[scoring.Classified]:
        raise scoring.ClassifyingStuck("no answer from the classifier within 0.1 s")
        yield  # an async generator, as classify_in_pieces is

    monkeypatch.setattr(scoring, "classify_in_pieces", stuck)
    with mock.patch.object(classify.delivery, "exit_now") as exit_now:
        handle_in_stage_one(article_records("stuck", 2))
    exit_now.assert_called_once()
    why, status = exit_now.call_args.args
    assert status == 75
    assert "no answer from the classifier" in why
    assert outbox.of(topics.stances_topic) == []
