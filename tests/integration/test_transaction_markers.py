"""Articles from a transactional producer: each commit marker takes an offset of every
partition the transaction wrote to, which no consumer is handed. The worker asks the
broker what such a hole holds (detente_worker.holes), finds nothing, and goes on: no
restart, no article lost."""

from __future__ import annotations

import pytest
from kafka import KafkaProducer

from detente.topics import TopicNames

from harness import Services, complete_article, counter_totals, sample_classified_offline, wait_for

pytestmark = pytest.mark.integration


def send_in_transactions(
    bootstrap: str, topic: str, records: list[tuple[bytes, bytes]], per_transaction: int
) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"{topic}-tx")
    producer.init_transactions()
    for start in range(0, len(records), per_transaction):
        producer.begin_transaction()
        for key, value in records[start : start + per_transaction]:
            producer.send(topic, key=key, value=value)
        producer.commit_transaction()
    producer.close()


def test_commit_markers_cost_no_restart_and_no_article(
    bootstrap: str, topics: TopicNames, services: Services
) -> None:
    _, records, expected = sample_classified_offline()
    # Articles without a stance-taker send no stance record, so the API never shows them.
    taking = [article_id for article_id, stances in expected.items() if stances]
    worker = services.worker()
    api = services.api()
    metrics = f"http://127.0.0.1:{services.metrics_ports['worker']}/metrics"
    try:
        send_in_transactions(bootstrap, topics.articles, records, per_transaction=4)
        wait_for(
            lambda: all(complete_article(api, i) is not None for i in taking), 180, "the articles"
        )
        holes = counter_totals(metrics, "detente_worker_offset_holes", "held")
        logs = services.logs(tail=400000)
    except AssertionError:
        print(services.logs(tail=12000))
        raise
    assert worker.poll() is None
    assert "restarting" not in logs
    assert holes.get("nothing", 0) >= 1 and holes.get("records", 0) == 0, holes
