"""Helpers for integration tests: real broker, real subprocesses, real Kafka clients."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from detente.topics import TopicNames, topic_specs
from detente_producer.topics_admin import ensure_topics

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KAFKA_SH = ROOT / "deploy" / "local" / "kafka" / "kafka.sh"
TEST_PORT = int(os.environ.get("DETENTE_TEST_KAFKA_PORT", "19092"))
TEST_RUN_DIR = ROOT / ".run" / f"test-kafka-{TEST_PORT}"
PARTITIONS = 4
SAMPLE = ROOT / "data" / "sample" / "articles.jsonl"


def kafka_env() -> dict[str, str]:
    return {
        **os.environ,
        "DETENTE_RUN_DIR": str(TEST_RUN_DIR),
        "KAFKA_PORT": str(TEST_PORT),
        "KAFKA_CONTROLLER_PORT": str(TEST_PORT + 1),
    }


def create_topics(bootstrap: str, names: TopicNames) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="detente-tests")
    try:
        ensure_topics(admin, topic_specs(names, PARTITIONS))
    finally:
        admin.close()


def settled(read: Callable[[], Any], timeout: float, what: str) -> Any:
    """Read until two reads a second apart agree: the stream has stopped changing it."""
    previous = read()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        current = read()
        if current == previous:
            return current
        previous = current
    raise AssertionError(f"{what} kept changing for {timeout:.0f}s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(bootstrap: str, names: TopicNames, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DETENTE_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "DETENTE_KAFKA__TOPIC_PREFIX": names.prefix,
        "DETENTE_PARTITIONS": str(PARTITIONS),
        **extra,
    }


class Services:
    """Starts worker and API processes for one test and stops them all afterwards."""

    def __init__(self, bootstrap: str, names: TopicNames, log_dir: Path) -> None:
        self.bootstrap = bootstrap
        self.names = names
        self.log_dir = log_dir
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.app_id = f"detente-worker-{names.prefix.strip('-')}"
        self.metrics_ports: dict[str, int] = {}

    def _start(self, args: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        log = self.log_dir / f"{name}.log"
        handle = log.open("wb")
        process = subprocess.Popen(args, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
        self.processes.append((process, log))
        return process

    def worker(self, name: str = "worker", **settings: str) -> subprocess.Popen[bytes]:
        """A worker process; `settings` are more DETENTE_* variables for it."""
        self.metrics_ports[name] = free_port()
        env = service_env(
            self.bootstrap, self.names,
            DETENTE_APP_ID=self.app_id,
            DETENTE_WEB_PORT=str(free_port()),
            DETENTE_METRICS_PORT=str(self.metrics_ports[name]),
            DETENTE_DATA_DIR=str(self.log_dir / f"{name}-data"),
            DETENTE_SESSION_TIMEOUT_SECONDS="6",
            # A stalled worker restarts after 30 s here, not three minutes (stall.py): the
            # fault tests hit the stall about once a CI run, and wait for the restart.
            DETENTE_STALL_SECONDS="30",
            **settings,
        )  # fmt: skip
        return self._start([str(BIN / "detente-worker")], env, name)

    def api(self, name: str = "api") -> str:
        port = free_port()
        env = service_env(self.bootstrap, self.names, DETENTE_PORT=str(port))
        self._start([str(BIN / "detente-api")], env, name)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_get(f"{url}/healthz")[0] == 200, 60, "API /healthz")
        return url

    def stop(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                process.terminate()
        for process, _ in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-tail:]}"
            for _, log in self.processes
        )


def http_get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        body = exc.read()
        return exc.code, json.loads(body) if body else None
    except (urllib.error.URLError, OSError):
        return 0, None


def complete_article(api: str, article_id: str) -> dict[str, Any] | None:
    """The API's page of an article once it says `complete`: an article's stance records are
    keyed by actor and reach the API over several partitions, so a page can hold part of
    them for a moment (docs/api.md). None until then."""
    status, body = http_get(f"{api}/v1/articles/{article_id}")
    return body if status == 200 and body.get("complete") is True else None


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def counter_totals(metrics_url: str, family: str, label: str) -> dict[str, float]:
    """A counter family's `_total` samples at `metrics_url`, by the value of `label`."""
    with urllib.request.urlopen(metrics_url, timeout=5) as response:
        text = response.read().decode()
    return {
        sample.labels[label]: sample.value
        for metric in text_string_to_metric_families(text)
        if metric.name == family
        for sample in metric.samples
        if sample.name.endswith("_total")
    }


def produce(
    bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes]],
    max_request_size: int = 1024 * 1024, timestamp_ms: int | None = None,
) -> None:  # fmt: skip
    """Send `records` in order; `timestamp_ms` plays a producer whose clock reads that."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_request_size=max_request_size
    )
    for key, value in records:
        producer.send(topic, key=key, value=value, timestamp_ms=timestamp_ms)
    producer.flush()
    producer.close()


def read_all(
    bootstrap: str, topic: str, timeout_ms: int = 3000
) -> list[tuple[bytes | None, bytes]]:
    """Every record currently in `topic`, from the beginning, without a consumer group."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    end = consumer.end_offsets(partitions)
    records: list[tuple[bytes | None, bytes]] = []
    deadline = time.monotonic() + timeout_ms / 1000 + 10
    while any(consumer.position(tp) < end[tp] for tp in partitions) and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend((r.key, r.value) for r in batch)
    consumer.close()
    return records


def group_progress(bootstrap: str, group: str, topic: str) -> dict[int, tuple[int | None, int]]:
    """Per partition of `topic`: the offset `group` has committed (None: none yet), and the end."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="detente-tests")
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        committed = admin.list_group_offsets({group: None}).get(group, {})
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        end = consumer.end_offsets(partitions)
        return {
            tp.partition: (committed[tp].offset if tp in committed else None, end[tp])
            for tp in partitions
        }
    finally:
        consumer.close()
        admin.close()


def sample_classified_offline() -> tuple[
    list[dict[str, Any]], list[tuple[bytes, bytes]], dict[str, dict[str, str]]
]:
    """The sample's articles, their records for `articles`, and each one's stances from
    `detente classify` (actor → stance; empty for an article without a stance-taker)."""
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
    return articles, records, expected
