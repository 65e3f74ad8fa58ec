"""A worker that classifies in a process of its own (DETENTE_CLASSIFY_PROCESS): the same
stances as the engine run offline, and when that process is killed, the worker restarts
and loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from detente.topics import TopicNames

from harness import (
    BIN,
    ROOT,
    Services,
    complete_article,
    group_progress,
    produce,
    read_all,
    wait_for,
)

pytestmark = pytest.mark.integration

SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"


def classifier_of(worker_pid: int) -> int:
    """The worker's classifying process (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{worker_pid}/task/{worker_pid}/children").read_text().split()
    for child in map(int, children):
        command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"spawn_main" in command:
            return child
    raise AssertionError(f"no classifying process among {children}")


def test_stances_match_offline_and_a_killed_classifier_loses_nothing(
    bootstrap: str, topics: TopicNames, services: Services
) -> None:
    lines = [line for line in SAMPLE.read_text().splitlines() if line.strip()]
    articles = [json.loads(line) for line in lines]
    offline = subprocess.run(
        [str(BIN / "detente"), "classify", str(SAMPLE)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    expected = {
        a["id"]: {s["actor"]: s["stance"] for s in a["actors"]}
        for a in map(json.loads, offline.stdout.splitlines())
    }
    records = [(a["id"].encode(), line.encode()) for a, line in zip(articles, lines, strict=True)]
    half = len(records) // 2
    worker = services.worker(DETENTE_CLASSIFY_PROCESS="true")
    api = services.api()

    def shown(ids: list[str]) -> dict[str, dict[str, str]] | None:
        out = {}
        for article_id in ids:
            body = complete_article(api, article_id)
            if body is None:  # not there yet, or only part of its stances
                return None
            out[article_id] = {s["actor"]: s["stance"] for s in body["actors"]}
        return out

    try:
        produce(bootstrap, topics.articles, records[:half])
        first = [a["id"] for a in articles[:half] if expected[a["id"]]]
        wait_for(lambda: shown(first), 180, "the first half in the API")
        os.kill(classifier_of(worker.pid), signal.SIGKILL)
        produce(bootstrap, topics.articles, records[half:])
        # The worker finds its classifier gone at the next batch and exits to read it again.
        assert worker.wait(timeout=120) == 75
        services.worker("worker-2", DETENTE_CLASSIFY_PROCESS="true")
        every = [a["id"] for a in articles if expected[a["id"]]]
        result = wait_for(lambda: shown(every), 180, "every article in the API")
    except AssertionError:
        print(services.logs(tail=12000))
        for topic in (topics.articles, topics.contributions):
            progress = group_progress(bootstrap, services.app_id, topic)
            print(f"{topic} (committed, end) per partition: {progress}")
        print(f"dead letters: {len(read_all(bootstrap, topics.articles_dlq))}")
        raise
    assert result == {i: expected[i] for i in every}
