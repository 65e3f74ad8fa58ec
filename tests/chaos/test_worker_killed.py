"""`kill -9` of a worker mid-stream, then a restart: the result equals an undisturbed run."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from detente.events import IndexUpdate, StanceEvent
from detente.topics import TopicNames

from harness import ROOT, Services, create_topics, produce, read_all, settled, wait_for

pytestmark = pytest.mark.chaos

ARTICLES = int(os.environ.get("DETENTE_CHAOS_ARTICLES", "2000"))
NOW = datetime.now(UTC).replace(microsecond=0)


def corpus() -> list[tuple[bytes, bytes]]:
    """The sample, re-identified and spread over the last day so every article counts."""
    sample = [
        json.loads(line) for line in (ROOT / "data/sample/articles.jsonl").read_text().splitlines()
    ]
    records = []
    for n in range(ARTICLES):
        event = dict(sample[n % len(sample)])
        event["id"] = f"chaos-{n}"
        event["published_at"] = (NOW - timedelta(seconds=(ARTICLES - n) * 30)).isoformat()
        records.append((event["id"].encode(), json.dumps(event).encode()))
    return records


def outcome(bootstrap: str, names: TopicNames) -> tuple[dict[str, object], set[tuple[str, ...]]]:
    """Final indices per subject, and the set of per-article stances."""
    indices: dict[str, object] = {}
    for key, value in read_all(bootstrap, names.indices, timeout_ms=10_000):
        update = IndexUpdate.model_validate_json(value)
        indices[(key or b"").decode()] = update.model_dump(
            mode="json", exclude={"updated_at", "last_article_id"}
        )
    stances = set()
    for _, value in read_all(bootstrap, names.stances, timeout_ms=10_000):
        event = StanceEvent.model_validate_json(value)
        s = event.stance
        stances.add((event.article_id, s.actor, s.stance, f"{s.p_hardline:.4f}"))
    return indices, stances


def run(
    services: Services, kill_after: int | None
) -> tuple[dict[str, object], set[tuple[str, ...]]]:
    names = services.names
    worker = services.worker("worker-a")
    wait_for(
        lambda: "Ready" in (services.log_dir / "worker-a.log").read_text(errors="replace"),
        120,
        "worker ready",
    )
    produce(services.bootstrap, names.articles, corpus())

    def counted() -> int:
        total = 0
        for key, value in read_all(services.bootstrap, names.indices):
            if key == b"global":
                total = max(total, IndexUpdate.model_validate_json(value).total_articles)
        return total

    if kill_after is not None:
        wait_for(lambda: counted() >= kill_after, 300, f"{kill_after} articles counted")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        print(f"killed the worker with -9 after {counted()} articles were counted")
        time.sleep(2)
        services.worker("worker-b")
    wait_for(lambda: counted() >= ARTICLES, 900, f"all {ARTICLES} articles counted")
    return settled(lambda: outcome(services.bootstrap, names), 120, "indices and stances")  # type: ignore[no-any-return]


def test_kill_9_mid_stream_then_restart_equals_an_undisturbed_run(
    bootstrap: str, topics: TopicNames, tmp_path: Path, services: Services
) -> None:
    calm_indices, calm_stances = run(services, kill_after=None)
    services.stop()

    (tmp_path / "chaos").mkdir()
    chaos = Services(bootstrap, TopicNames(topics.prefix + "kill-"), tmp_path / "chaos")
    create_topics(bootstrap, chaos.names)
    try:
        hit_indices, hit_stances = run(chaos, kill_after=ARTICLES // 3)
    except AssertionError:
        print(chaos.logs())
        raise
    finally:
        chaos.stop()

    differing = [s for s in calm_indices if calm_indices[s] != hit_indices.get(s)]
    print(
        f"compared {len(calm_indices)} subjects' final indices and {len(calm_stances)} "
        f"per-article stances; differing subjects: {len(differing)}; stances only in one run: "
        f"{len(calm_stances ^ hit_stances)}"
    )
    assert calm_indices.keys() == hit_indices.keys()
    assert differing == [], differing[:5]
    assert calm_stances == hit_stances
