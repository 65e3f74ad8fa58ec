"""A worker that classifies in a process of its own (DETENTE_CLASSIFY_PROCESS): the same
stances as the engine run offline, and when that process is killed, the worker restarts
and loses nothing."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from detente.topics import TopicNames

from harness import (
    Services,
    complete_article,
    group_progress,
    produce,
    read_all,
    sample_classified_offline,
    wait_for,
)

pytestmark = pytest.mark.integration


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
    articles, records, expected = sample_classified_offline()
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


def test_a_stopped_classifier_restarts_the_worker_and_loses_nothing(
    bootstrap: str, topics: TopicNames, services: Services
) -> None:
    """SIGSTOP leaves the classifying process alive and silent, and the worker's event loop
    alive too (so Faust goes on heartbeating and the group never reassigns the partition):
    only the deadline on each run turns the stall into a restart."""
    articles, records, expected = sample_classified_offline()
    # Articles without a stance-taker send no stance record, so the API never shows them.
    taking = [article_id for article_id, stances in expected.items() if stances]
    half = len(records) // 2
    deadline = {"DETENTE_CLASSIFY_PROCESS": "true", "DETENTE_CLASSIFY_TIMEOUT_SECONDS": "5"}
    worker = services.worker(**deadline)
    api = services.api()

    def shown(ids: list[str]) -> bool:
        return all(complete_article(api, article_id) is not None for article_id in ids)

    try:
        produce(bootstrap, topics.articles, records[:half])
        first = [i for i in taking if i in {a["id"] for a in articles[:half]}]
        wait_for(lambda: shown(first), 180, "the first half in the API")
        stopped = classifier_of(worker.pid)
        os.kill(stopped, signal.SIGSTOP)
        produce(bootstrap, topics.articles, records[half:])
        assert worker.wait(timeout=120) == 75
        # The stopped process died with its worker (PR_SET_PDEATHSIG sends SIGKILL, which a
        # stopped process cannot hold off).
        wait_for(lambda: not Path(f"/proc/{stopped}").exists(), 30, "the stopped classifier gone")
        services.worker("worker-2", **deadline)
        wait_for(lambda: shown(taking), 180, "every article in the API")
    except AssertionError:
        print(services.logs(tail=12000))
        raise
    assert "no answer from the classifier within 5 s" in services.logs(tail=200000)
