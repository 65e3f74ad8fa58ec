"""A restarted worker restores its tables from their changelogs and carries on counting."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from detente.events import IndexUpdate
from detente.topics import TopicNames

from harness import Services, group_progress, produce, read_all, wait_for

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def article(n: int) -> tuple[bytes, bytes]:
    event = {
        "schema_version": 1, "id": f"recovery-{n}",
        "published_at": (NOW - timedelta(minutes=n)).isoformat(),
        "source": "test", "url": "", "title": f"Dispatch {n}",
        "text": f"NATO warned Russia over the incident number {n}. "
        "The Kremlin rejected the accusation and threatened a response.",
        "language": "en",
    }  # fmt: skip
    return event["id"].encode(), json.dumps(event).encode()


def global_totals(bootstrap: str, names: TopicNames) -> list[int]:
    """Every article count the global index has published, oldest first."""
    return [
        IndexUpdate.model_validate_json(value).total_articles
        for key, value in read_all(bootstrap, names.indices)
        if key == b"global"
    ]


def global_articles(bootstrap: str, names: TopicNames) -> int:
    totals = global_totals(bootstrap, names)
    return totals[-1] if totals else 0


def diagnose(bootstrap: str, names: TopicNames, services: Services) -> str:
    """What a failure needs to be understood: the group's progress and every global total."""
    lines = [services.logs(tail=12000), f"global totals: {global_totals(bootstrap, names)}"]
    for topic in (names.articles, names.contributions):
        progress = group_progress(bootstrap, services.app_id, topic)
        lines.append(f"{topic} (committed, end) per partition: {progress}")
    lines.append(f"dead letters: {len(read_all(bootstrap, names.articles_dlq))}")
    return "\n".join(lines)


def test_restarted_worker_recovers_its_tables(
    bootstrap: str, topics: TopicNames, services: Services
) -> None:
    first = services.worker("worker-1")
    produce(bootstrap, topics.articles, [article(n) for n in range(6)])
    try:
        wait_for(lambda: global_articles(bootstrap, topics) == 6, 120, "6 articles counted")
        first.terminate()
        first.wait(timeout=60)

        second = services.worker("worker-2")
        # A replay of the first six must be recognised (seen-articles restored), and the
        # global index must continue from 6 (index-state restored).
        produce(bootstrap, topics.articles, [article(n) for n in range(9)])
        wait_for(lambda: global_articles(bootstrap, topics) >= 9, 180, "9 articles counted")
    except AssertionError:
        print(diagnose(bootstrap, topics, services))
        raise
    log = (services.log_dir / "worker-2.log").read_text(errors="replace")
    assert "has no attribute 'from_data'" not in log
    assert second.poll() is None
    assert global_articles(bootstrap, topics) == 9
    print("global index counted 6 articles, restarted, replay of 6 skipped, then 9 in all")
