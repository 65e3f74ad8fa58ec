"""Worker memory over a long stream, for `make bench`: does it level off?

One real worker on the bench broker reads `count` short synthetic articles (written here,
from templates) whose publication times advance 30 s per article, so a million of them span
almost a year of event time: hourly buckets leave the 7-day windows, and remembered article
ids are forgotten once older than the allowed lateness. The worker's resident memory
(VmRSS) and its table sizes are sampled as the global count passes each checkpoint.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pipeline import BOOTSTRAP, KAFKA_ENV, KAFKA_SH, PARTITIONS, ROOT, Stack, start_empty_broker
from prometheus_client.parser import text_string_to_metric_families

from detente.events import IndexUpdate
from detente.registry import ActorRegistry

STEP = timedelta(seconds=30)
HARD = [
    "{a} warned {b} that any new deployment would be met with force.",
    "{a} accused {b} of violating the ceasefire and threatened retaliation.",
    "{a} rejected the demands of {b} outright.",
    "{a} said {b} would pay a heavy price for the provocation.",
]
SOFT = [
    "{a} said it was ready to resume talks with {b} without preconditions.",
    "{a} welcomed the proposal from {b} and called for calm.",
    "{a} offered to mediate and urged {b} to return to dialogue.",
    "{a} praised the constructive meeting with {b}.",
]


def synthetic(count: int, start: datetime, seed: int = 7) -> Iterator[tuple[bytes, bytes]]:
    """Articles naming two or three actors, drawn heavy-tailed from the registry."""
    rng = random.Random(seed)
    actors = [a.name for a in ActorRegistry.load() if a.kind in ("state", "organisation")]
    rng.shuffle(actors)
    weights = [1.0 / (rank + 1) for rank in range(len(actors))]  # a few actors dominate
    for n in range(count):
        a, b, c = rng.choices(actors, weights, k=3)
        sentences = [
            rng.choice(HARD if rng.random() < 0.5 else SOFT).format(a=a, b=b),
            rng.choice(HARD if rng.random() < 0.5 else SOFT).format(a=c, b=a),
        ]
        event = {
            "schema_version": 1, "id": f"mem-{n}",
            "published_at": (start + n * STEP).isoformat(), "source": "bench", "url": "",
            "title": f"Dispatch {n}", "text": " ".join(sentences), "language": "en",
        }  # fmt: skip
        yield event["id"].encode(), json.dumps(event).encode()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for {pid}")


def table_keys(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        sample.labels["table"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "detente_worker_table_keys"
        for sample in family.samples
    }


def run(count: int, checkpoints: int = 20) -> dict[str, Any]:
    start_empty_broker()
    log_dir = ROOT / ".run" / "bench-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    start = datetime.now(UTC) - count * STEP
    stack = Stack(1, log_dir, extra_env={
        "DETENTE_SEEN_EXPIRY_INTERVAL_SECONDS": "20",
        "DETENTE_METRICS_REFRESH_SECONDS": "5",
    })  # fmt: skip
    worker = stack.processes[0]
    samples: list[dict[str, Any]] = []
    try:

        def send_all() -> None:
            producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=20)
            for key, value in synthetic(count, start):
                producer.send(stack.names.articles, key=key, value=value)
            producer.flush()
            producer.close()

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
        consumer.assign([TopicPartition(stack.names.indices, p) for p in range(PARTITIONS)])
        every = max(1, count // checkpoints)
        total, started = 0, time.monotonic()
        samples.append({"articles": 0, "rss_mb": rss_mb(worker.pid), "seconds": 0.0})
        while total < count:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited with {worker.returncode}")
            for batch in consumer.poll(timeout_ms=1000).values():
                for record in batch:
                    if record.key == b"global":
                        update = IndexUpdate.model_validate_json(record.value)
                        total = max(total, update.total_articles)
            if total >= len(samples) * every:
                samples.append({
                    "articles": total, "rss_mb": rss_mb(worker.pid),
                    "seconds": round(time.monotonic() - started, 1),
                    "table_keys": table_keys(stack.metrics_ports[0]),
                })  # fmt: skip
                print(json.dumps(samples[-1]), flush=True)
        consumer.close()
    finally:
        stack.stop()
        subprocess.run(["bash", str(KAFKA_SH), "stop"], check=False, env=KAFKA_ENV)
    half = [s["rss_mb"] for s in samples if s["articles"] >= count // 2]
    return {
        "articles": count,
        "event_time_span_days": round(count * STEP.total_seconds() / 86400, 1),
        "samples": samples,
        "rss_mb_at_end": samples[-1]["rss_mb"],
        "rss_mb_second_half_min_max": [min(half), max(half)],
        "articles_per_second": round(count / samples[-1]["seconds"], 1),
    }


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("articles", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--merge-into", type=Path, help="add the figures to this results.json")
    args = parser.parse_args()
    figures = run(args.articles)
    print(json.dumps(figures, indent=2))
    if args.merge_into:
        results = json.loads(args.merge_into.read_text()) if args.merge_into.exists() else {}
        results["memory"] = figures
        args.merge_into.write_text(json.dumps(results, indent=2) + "\n")
