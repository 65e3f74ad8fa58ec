"""Two worker processes in one consumer group give the same indices as one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detente.events import IndexUpdate
from detente.topics import TopicNames

from harness import ROOT, Services, create_topics, produce, read_all, settled, wait_for

pytestmark = pytest.mark.integration

SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"


def final_indices(bootstrap: str, topic: str) -> dict[str, dict[str, object]]:
    """The latest update per subject, as the compacted topic will keep it."""
    latest: dict[str, dict[str, object]] = {}
    for key, value in read_all(bootstrap, topic):
        update = IndexUpdate.model_validate_json(value)
        latest[(key or b"").decode()] = update.model_dump(
            mode="json", exclude={"updated_at", "last_article_id"}
        )
    return latest


def run_pipeline(services: Services, workers: int) -> dict[str, dict[str, object]]:
    names = services.names
    processes = [services.worker(f"worker-{n}") for n in range(workers)]
    logs = [services.log_dir / f"worker-{n}.log" for n in range(workers)]

    def all_joined() -> bool:
        alive = all(p.poll() is None for p in processes)
        return alive and all("Ready" in log.read_text(errors="replace") for log in logs)

    lines = [line for line in SAMPLE.read_text().splitlines() if line.strip()]
    try:
        # Produce only once every worker holds its partitions, so no rebalance moves work.
        wait_for(all_joined, 120, f"{workers} worker(s) to join the group")
        keyed = [(json.loads(line)["id"].encode(), line.encode()) for line in lines]
        produce(services.bootstrap, names.articles, keyed)
        wait_for(
            lambda: (
                final_indices(services.bootstrap, names.indices)
                .get("global", {})
                .get("total_articles")
                == len(lines)
            ),
            180,
            "the global index to count every article",
        )
        return settled(lambda: final_indices(services.bootstrap, names.indices), 60, "indices")  # type: ignore[no-any-return]
    except AssertionError:
        print(services.logs())
        raise


def test_two_workers_split_the_work_and_agree_with_one(
    bootstrap: str, topics: TopicNames, tmp_path: Path, services: Services
) -> None:
    one = run_pipeline(services, 1)
    services.stop()

    (tmp_path / "two").mkdir()
    pair = Services(bootstrap, TopicNames(topics.prefix + "two-"), tmp_path / "two")
    create_topics(bootstrap, pair.names)
    try:
        two = run_pipeline(pair, 2)
    finally:
        pair.stop()

    print(f"subjects: {len(one)} with one worker, {len(two)} with two")
    assert len(one) > 50
    assert one.keys() == two.keys()
    differing = [subject for subject in one if one[subject] != two[subject]]
    assert differing == [], f"indices differ for {differing[:5]}"
