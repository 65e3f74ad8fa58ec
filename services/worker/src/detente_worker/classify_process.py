"""The classifying process (`DETENTE_CLASSIFY_PROCESS=true`): the engine in a process of
its own, so that it and the worker's event loop each hold a GIL of their own.

In a thread, the engine and the event loop (Kafka, both stages' bookkeeping) share one
interpreter lock, so one worker never uses much more than one core: its throughput is
bounded by the sum of the two. In a process of its own, by the larger of them
(docs/performance.md). The cost: a second copy of the model in memory, and articles and
stances pickled across a pipe.

This module runs in that process: it loads the engine from the same settings (the
environment is inherited) and imports nothing of Faust.
"""

from __future__ import annotations

import contextlib
import ctypes
import pickle
import signal
from collections.abc import Sequence

from detente import heap
from detente.events import Article
from detente.stances import StanceEngine
from detente_worker.engine import get_engine
from detente_worker.metrics import timed
from detente_worker.scoring import Result, classify_batch

_PR_SET_PDEATHSIG = 1
_engine: StanceEngine | None = None
_model_seconds: list[float] = []


def start() -> None:
    """The process's initializer: die with the worker, leave Ctrl-C to it, load the engine."""
    # A worker killed with -9 must not leave its classifier behind (Linux only).
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _engine
    _engine = timed(get_engine(), _model_seconds.append)
    heap.settle()


def classify_piece(articles: Sequence[Article]) -> tuple[list[Result], list[float]]:
    """`scoring.classify_batch` here, with the seconds of each model call for the worker's
    histogram. Exceptions that would not survive pickling travel as their repr."""
    assert _engine is not None, "start() runs first"
    _model_seconds.clear()
    results = classify_batch(_engine, articles)
    return [_portable(r) for r in results], list(_model_seconds)


def ready() -> str:
    """The model version, once the engine is loaded: the worker waits on it at start."""
    assert _engine is not None
    return _engine.model.version


def _portable(result: Result) -> Result:
    if not isinstance(result, Exception):
        return result
    try:
        pickle.loads(pickle.dumps(result))
    except Exception:
        return RuntimeError(repr(result))
    return result
