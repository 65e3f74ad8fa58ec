"""The classify stage's CPU work: off the event loop, in pieces bounded by text.

Attribution and the model are pure Python and NumPy, seconds of work for a batch of long
articles. Run on the event loop, that work stopped Faust's timers, the other agent and the
metrics refresh for as long as it lasted (178 s for twenty 199 KB articles, issue #16).
So a batch is classified in pieces of at most `MAX_BATCH_CHARS` characters of text
(`detente.bounds`), one piece after the other, each on one worker thread, and each piece's
outputs are sent as soon as it is done. The engine holds the GIL most of the time, but
Python hands it over every few milliseconds (`sys.getswitchinterval`), so the loop still
runs its callbacks: measured on two cores, its longest wait while a thread classified
800 KB was about 0.1 s (docs/performance.md). Pieces run in the batch's order, so what the
stage sends is in reading order; offsets are still acknowledged only after the whole batch
(docs/guarantees.md).

With `DETENTE_CLASSIFY_PROCESS=true` the pieces go to one process of its own instead
(classify_process.py), which takes the engine's work out of the worker's interpreter lock.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from detente import bounds
from detente.bounds import Cuts
from detente.events import Article, ArticleStances
from detente.stances import StanceEngine

# One thread: pieces never overlap, and the engine is only ever used by one thread at once.
_CLASSIFIER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detente-classify")

Result = tuple[ArticleStances, Cuts] | Exception

# Fewer articles per call to the classifying process would cost more in pickling and
# round trips than the overlap wins.
MIN_PROCESS_RUN = 16


class ClassifyingStuck(RuntimeError):
    """The classifying process or thread gave no answer for a run within the time allowed:
    stopped (SIGSTOP, a frozen container), wedged, or starved far beyond any real piece."""


async def _answer(run: Awaitable[list[Result]], within: float | None) -> list[Result]:
    """The run's results, or ClassifyingStuck after `within` seconds (None: no limit). The
    event loop stays alive while a classifier hangs, so Faust would go on heartbeating and
    the partition would stall for good, unseen by the group: a deadline turns that into a
    restart."""
    if within is None:
        return await run
    try:
        return await asyncio.wait_for(run, within)
    except TimeoutError as exc:
        raise ClassifyingStuck(f"no answer from the classifier within {within:g} s") from exc


def classify_batch(engine: StanceEngine, articles: Sequence[Article]) -> list[Result]:
    """Stances and what the bounds cut for every article, or the exception that one
    article alone raised."""
    try:
        return list(engine.classify_counted(articles))
    except Exception:  # one bad article must not fail its neighbours: retry them singly
        results: list[Result] = []
        for article in articles:
            try:
                results.extend(engine.classify_counted([article]))
            except Exception as exc:
                results.append(exc)
        return results


def pieces(articles: Sequence[Article], limit: int | None = None) -> list[list[Article]]:
    """The batch in consecutive pieces of at most `limit` (by default the bound) characters
    of title and text."""
    limit = bounds.MAX_BATCH_CHARS if limit is None else limit
    return bounds.chunks_by_size(articles, lambda a: len(a.title) + len(a.text), limit)


def _remote() -> Any:
    """classify_process.py, which imports this module: imported when first needed."""
    from detente_worker import classify_process

    return classify_process


class ClassifyingProcess:
    """One process that classifies (classify_process.py), started on first use."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # `spawn`: a fork of a process running an event loop and Kafka clients would
            # inherit their threads' locks in whatever state they were.
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_remote().start,
            )
        return self._pool

    def start(self) -> str:
        """Start the process and wait until its engine is loaded; the model version."""
        return self.pool().submit(_remote().ready).result()

    def submit(
        self, articles: Sequence[Article], observe_model: Callable[[float], None]
    ) -> asyncio.Future[list[Result]]:
        """The piece's results, to be awaited; the process takes pieces in the order sent."""
        loop = asyncio.get_running_loop()
        done = loop.run_in_executor(self.pool(), _remote().classify_piece, articles)

        async def results() -> list[Result]:
            results, seconds = await done
            for value in seconds:
                observe_model(value)
            return results  # type: ignore[no-any-return]

        return asyncio.ensure_future(results())


CLASSIFYING_PROCESS = ClassifyingProcess()


def split_evenly(piece: list[Article], parts: int, smallest: int) -> list[list[Article]]:
    """`piece` in up to `parts` consecutive runs of nearly equal length, none shorter than
    `smallest` articles (unless the piece is)."""
    parts = max(1, min(parts, len(piece) // max(smallest, 1)))
    size, extra = divmod(len(piece), parts)
    runs, start = [], 0
    for n in range(parts):
        end = start + size + (1 if n < extra else 0)
        runs.append(piece[start:end])
        start = end
    return runs


@dataclass
class Classified:
    """One run's results, in reading order; `ends_piece`: the last run of its piece of
    bounded text, when the stage sends the piece's index contributions."""

    results: list[Result]
    ends_piece: bool = True


async def classify_in_pieces(
    engine: StanceEngine,
    articles: Sequence[Article],
    limit: int | None = None,
    *,
    in_process: bool = False,
    process_runs: int = 1,
    observe_model: Callable[[float], None] = lambda seconds: None,
    answer_within: float | None = None,
) -> AsyncIterator[Classified]:
    """`classify_batch` over the batch piece by piece on the classifying thread (or, with
    `in_process`, in the classifying process): each piece's results, in reading order, as
    soon as that piece is done. A classifying process that died raises BrokenProcessPool.

    In the process, each piece goes in up to `process_runs` runs, and each run is sent
    before the previous one's results are handed back: the process classifies the next
    run while the event loop publishes this one, instead of waiting for it.

    A run not answered within `answer_within` seconds raises ClassifyingStuck."""
    loop = asyncio.get_running_loop()
    if not in_process:
        for piece in pieces(articles, limit):
            on_thread = loop.run_in_executor(_CLASSIFIER, classify_batch, engine, piece)
            yield Classified(await _answer(on_thread, answer_within))
        return
    runs = [
        (run, n == len(piece_runs) - 1)
        for piece in pieces(articles, limit)
        for piece_runs in [split_evenly(piece, process_runs, MIN_PROCESS_RUN)]
        for n, run in enumerate(piece_runs)
    ]
    # One run ahead only when runs are asked for: with one run per piece (the default) each
    # piece is sent once the one before it is published, as before runs existed.
    ahead = 1 if process_runs > 1 else 0
    in_flight: deque[tuple[asyncio.Future[list[Result]], bool]] = deque()
    try:
        for run, ends_piece in runs:
            in_flight.append((CLASSIFYING_PROCESS.submit(run, observe_model), ends_piece))
            if len(in_flight) > ahead:
                done, ends = in_flight.popleft()
                yield Classified(await _answer(done, answer_within), ends)
        while in_flight:
            done, ends = in_flight.popleft()
            yield Classified(await _answer(done, answer_within), ends)
    finally:
        # Left behind when the batch failed while publishing: not wanted any more.
        for future, _ in in_flight:
            if future.done() and not future.cancelled():
                future.exception()  # seen, so asyncio does not log it as lost
            future.cancel()
