"""The classifying process: the same stances as the thread, and it never outlives the worker."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from detente.events import Article
from detente.stances import UnprocessableArticle
from detente_worker import classify_process, scoring
from detente_worker.engine import get_engine

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"


def sample(n: int) -> list[Article]:
    lines = [line for line in SAMPLE.read_text().splitlines() if line.strip()][:n]
    return [Article.model_validate_json(line) for line in lines]


async def collect(articles: list[Article], *, in_process: bool, seconds: list[float]) -> list:
    out: list = []
    async for run in scoring.classify_in_pieces(
        get_engine(), articles, 20_000, in_process=in_process, process_runs=3,
        observe_model=seconds.append,
    ):  # fmt: skip
        out.extend(run.results)
    return out


def test_the_process_gives_the_threads_stances_and_a_dead_one_fails_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    process = scoring.ClassifyingProcess()
    monkeypatch.setattr(scoring, "CLASSIFYING_PROCESS", process)
    monkeypatch.setattr(scoring, "MIN_PROCESS_RUN", 2)  # several runs, overlapping
    articles = sample(12)
    seconds: list[float] = []
    in_thread = asyncio.run(collect(articles, in_process=False, seconds=[]))
    in_process = asyncio.run(collect(articles, in_process=True, seconds=seconds))
    assert [json.loads(s.model_dump_json()) for s, _ in in_process] == [
        json.loads(s.model_dump_json()) for s, _ in in_thread
    ]
    assert [cuts for _, cuts in in_process] == [cuts for _, cuts in in_thread]
    assert seconds and all(s > 0 for s in seconds)  # the model's calls, timed over there
    # A classifying process that died (OOM-killed, say) fails the next piece.
    (child,) = process.pool()._processes
    os.kill(child, signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        asyncio.run(collect(articles[:1], in_process=True, seconds=[]))


def test_errors_cross_the_pipe_whole_or_as_their_repr() -> None:
    class Unpicklable(Exception):
        def __init__(self, a: int, b: int) -> None:
            super().__init__(a)

    refused = classify_process._portable(UnprocessableArticle("empty_text", "blank"))
    assert isinstance(refused, UnprocessableArticle) and refused.reason == "empty_text"
    odd = classify_process._portable(Unpicklable(1, 2))
    assert isinstance(odd, RuntimeError) and "Unpicklable" in str(odd)


def test_the_classifying_process_dies_with_a_worker_killed_with_minus_nine(
    tmp_path: Path,
) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from detente_worker.scoring import CLASSIFYING_PROCESS
        CLASSIFYING_PROCESS.start()
        print(*CLASSIFYING_PROCESS.pool()._processes, flush=True)
        time.sleep(600)
        """
    )
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        child = int(worker.stdout.readline())
        os.kill(child, 0)  # alive while the worker is
    finally:
        worker.kill()
        worker.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, signal.SIGKILL)
    raise AssertionError("the classifying process outlived its worker")
