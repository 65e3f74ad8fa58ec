"""On the real broker: when `ensure_topics` returns, a client that asks at once finds every
topic with all its partitions (a worker started right after creation joins with them)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient

from detente.topics import TopicNames, topic_specs
from detente_producer.topics_admin import ensure_topics

from harness import ROOT, Services, create_topics, produce, read_all, wait_for

SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"


def test_created_topics_are_in_the_metadata_when_ensure_topics_returns(bootstrap: str) -> None:
    specs = topic_specs(TopicNames(f"vis-{uuid.uuid4().hex[:10]}-"), 4)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="detente-tests")
    try:
        created = ensure_topics(admin, specs)
    finally:
        admin.close()
    assert created == [spec.name for spec in specs]
    fresh = KafkaConsumer(bootstrap_servers=bootstrap)  # its first metadata request is now
    try:
        for spec in specs:
            assert fresh.partitions_for_topic(spec.name) == set(range(spec.partitions))
    finally:
        fresh.close()


def test_a_worker_started_before_its_topics_exist_exits_to_be_started_again(
    bootstrap: str, tmp_path: Path
) -> None:
    names = TopicNames(f"late-{uuid.uuid4().hex[:10]}-")
    services = Services(bootstrap, names, tmp_path)
    try:
        early = services.worker("early")
        assert early.wait(timeout=120) == 75  # EX_TEMPFAIL: its supervisor starts it again
        assert "input topic" in (tmp_path / "early.log").read_text(errors="replace")
        create_topics(bootstrap, names)
        services.worker("again")
        article = json.loads(SAMPLE.read_text().splitlines()[0])
        produce(bootstrap, names.articles, [(article["id"].encode(), json.dumps(article).encode())])
        wait_for(lambda: read_all(bootstrap, names.stances), 120, "the article's stances")
        assert read_all(bootstrap, names.articles_dlq) == []
    except (AssertionError, subprocess.TimeoutExpired):
        print(services.logs())
        raise
    finally:
        services.stop()
