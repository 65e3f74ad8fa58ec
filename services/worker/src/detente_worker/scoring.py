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
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from detente import bounds
from detente.bounds import Cuts
from detente.events import Article, ArticleStances
from detente.stances import StanceEngine

# One thread: pieces never overlap, and the engine is only ever used by one thread at once.
_CLASSIFIER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detente-classify")

Result = tuple[ArticleStances, Cuts] | Exception


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

    async def classify(
        self, articles: Sequence[Article], observe_model: Callable[[float], None]
    ) -> list[Result]:
        loop = asyncio.get_running_loop()
        results, seconds = await loop.run_in_executor(
            self.pool(), _remote().classify_piece, articles
        )
        for value in seconds:
            observe_model(value)
        return results


CLASSIFYING_PROCESS = ClassifyingProcess()


async def classify_in_pieces(
    engine: StanceEngine,
    articles: Sequence[Article],
    limit: int | None = None,
    *,
    in_process: bool = False,
    observe_model: Callable[[float], None] = lambda seconds: None,
) -> AsyncIterator[list[Result]]:
    """`classify_batch` over the batch piece by piece on the classifying thread (or, with
    `in_process`, in the classifying process): each piece's results, in reading order, as
    soon as that piece is done. A classifying process that died raises BrokenProcessPool."""
    loop = asyncio.get_running_loop()
    for piece in pieces(articles, limit):
        if in_process:
            yield await CLASSIFYING_PROCESS.classify(piece, observe_model)
        else:
            yield await loop.run_in_executor(_CLASSIFIER, classify_batch, engine, piece)
