"""Idle subjects are forgotten on a real broker: a tombstone on `tension-indices`, the API
drops the actor, the worker drops its state, and the actor comes back afresh when named."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.partitioner import DefaultPartitioner
from prometheus_client.parser import text_string_to_metric_families

from detente.events import IndexUpdate
from detente.topics import TopicNames

from harness import PARTITIONS, Services, http_get, produce, read_all, wait_for

pytestmark = pytest.mark.integration

QUIET = "portugal"
CANDIDATES = "spain italy greece austria belgium ireland sweden finland norway denmark".split()


def partition(subject: str) -> int:
    partitions = list(range(PARTITIONS))
    return int(DefaultPartitioner()(subject.encode(), partitions, partitions))


def article(article_id: str, when: datetime, text: str) -> tuple[bytes, bytes]:
    event = {
        "schema_version": 1, "id": article_id, "published_at": when.isoformat(),
        "source": "integration test", "url": "", "title": text.split(" on ")[0],
        "text": text, "language": "en",
    }  # fmt: skip
    return article_id.encode(), json.dumps(event).encode()


def test_an_actor_idle_for_three_weeks_is_forgotten_and_comes_back_afresh(
    bootstrap: str, topics: TopicNames, services: Services
) -> None:
    # A busy neighbour: an actor whose contributions share QUIET's partition, so that its
    # news moves the partition's clock past QUIET.
    busy = next(c for c in CANDIDATES if partition(f"actor:{c}") == partition(f"actor:{QUIET}"))
    busy_name = busy.title()
    services.worker(DETENTE_IDLE_SUBJECT_SWEEP_SECONDS="1")
    api = services.api()
    metrics = f"http://127.0.0.1:{services.metrics_ports['worker']}/metrics"
    now = datetime.now(UTC)

    def indexed() -> dict[str, dict[str, object]]:
        status, page = http_get(f"{api}/v1/actors?limit=1000")
        return {a["actor"]: a for a in page["items"]} if status == 200 else {}

    def warned(n: int, days_ago: float) -> None:
        text = f"{busy_name} warned on Tuesday that it would retaliate against any provocation."
        produce(
            bootstrap, topics.articles, [article(f"busy-{n}", now - timedelta(days=days_ago), text)]
        )

    try:
        text = "Portugal called for calm on Monday and offered to host talks between the sides."
        produce(bootstrap, topics.articles, [article("quiet-1", now - timedelta(days=30), text)])
        wait_for(lambda: QUIET in indexed(), 90, "Portugal's index in the API")

        # 22 days later (8 days ago) only its neighbour speaks: Portugal is tombstoned at
        # the first sweep after that (sweeps run between batches, once a second here), and
        # its state is deleted at the next one, once the tombstone was delivered.
        def forgotten() -> float:
            with urllib.request.urlopen(metrics, timeout=5) as response:
                text = response.read().decode()
            return sum(
                sample.value
                for family in text_string_to_metric_families(text)
                if family.name == "detente_worker_subjects_forgotten"
                for sample in family.samples
                if sample.name.endswith("_total")
            )

        dropped_at = None
        for n in range(1, 60):
            warned(n, 8 - n / 100)
            time.sleep(1.0)
            shown = indexed()
            if dropped_at is None and busy in shown and QUIET not in shown:
                dropped_at = n
            if forgotten() >= 1:
                break
        assert dropped_at is not None, "Portugal dropped from the API"
        assert forgotten() == 1
        # Named again, it comes back with its totals from zero.
        produce(bootstrap, topics.articles, [article("quiet-2", now - timedelta(days=1), text)])
        back = wait_for(lambda: indexed().get(QUIET), 60, "Portugal back in the API")
    except AssertionError:
        print(services.logs())
        raise
    assert back["statements"] == 1
    records = read_all(bootstrap, topics.indices)
    mine = [value for key, value in records if key == f"actor:{QUIET}".encode()]
    assert None in mine, "a tombstone for the idle subject"
    after = mine[mine.index(None) + 1 :]
    assert after and IndexUpdate.model_validate_json(after[-1]).total_articles == 1
