"""The garbage collector's settings for a process that has loaded its model and will now
classify or stream for a long time (the worker, its classifying process, `detente
classify`, the bench that measures them).

Python collects its youngest generation every 700 net allocations of container objects.
The engine and the stages allocate far more than that per article (tokens, n-gram tuples,
pydantic models, dicts), nearly all short-lived and freed by reference counting, so most
collections find nothing; and every full collection walks the model and the registry,
hundreds of thousands of objects that live as long as the process. `settle()` moves what
is loaded so far out of the collector's sight (`gc.freeze`) and collects the youngest
generation every 50,000 allocations. Measured (docs/performance.md, The collector): the
worker's event loop spent 1.39 ms of CPU per article instead of 1.60; the engine alone
gained about 1 %. Cycles are still collected, only less often.
"""

from __future__ import annotations

import gc

# Allocations between collections of the youngest generation; the older two keep
# Python's own ratios (every 10 collections of the one below).
YOUNG_COLLECTION_EVERY = 50_000
OLDER_COLLECTION_RATIOS = (10, 10)


def settle() -> None:
    """Freeze everything alive now (call it once the model is loaded) and collect the
    youngest generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *OLDER_COLLECTION_RATIOS)
