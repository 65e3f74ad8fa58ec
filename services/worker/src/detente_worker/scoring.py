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
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor

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


async def classify_in_pieces(
    engine: StanceEngine, articles: Sequence[Article], limit: int | None = None
) -> AsyncIterator[list[Result]]:
    """`classify_batch` over the batch piece by piece on the classifying thread: each
    piece's results, in reading order, as soon as that piece is done."""
    loop = asyncio.get_running_loop()
    for piece in pieces(articles, limit):
        yield await loop.run_in_executor(_CLASSIFIER, classify_batch, engine, piece)
