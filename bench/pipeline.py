"""Pipeline figures for `make bench`: sustained throughput through producer → broker →
worker → `tension-indices` with one and two worker processes, and produce-to-index latency
at fixed rates. Runs its own broker (port 49092, or DETENTE_BENCH_KAFKA_PORT) and worker
processes, like the tests.

Baselines are measured in the same run, with the same worker configured back to how it
worked before each speed-up: `one_record_at_a_time` handles every record on its own and sends
every contribution as its own record (as the first version did); `unbundled` batches but
still sends one record per contribution (before contributions were bundled).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from detente.events import IndexUpdate
from detente.topics import TopicNames, topic_specs
from detente_producer.topics_admin import ensure_topics

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KAFKA_SH = ROOT / "deploy" / "local" / "kafka" / "kafka.sh"
# Another port lets a second bench (or a long memory run) share the machine with this one.
PORT = int(os.environ.get("DETENTE_BENCH_KAFKA_PORT", "49092"))
BOOTSTRAP = f"127.0.0.1:{PORT}"
PARTITIONS = 4
KAFKA_ENV = {
    **os.environ,
    "DETENTE_RUN_DIR": str(
        ROOT / ".run" / ("bench-kafka" if PORT == 49092 else f"bench-kafka-{PORT}")
    ),
    "KAFKA_PORT": str(PORT),
    "KAFKA_CONTROLLER_PORT": str(PORT + 1),
}
# Lingering only pays when a batch sends many records; with one record per batch every
# flush would wait it out, a cost the worker never had before batching.
ONE_RECORD_AT_A_TIME = {
    "DETENTE_BATCH_MAX_RECORDS": "1",
    "DETENTE_CONTRIBUTIONS_PER_RECORD": "1",
    "DETENTE_PRODUCER_LINGER_SECONDS": "0",
}
UNBUNDLED = {"DETENTE_CONTRIBUTIONS_PER_RECORD": "1"}
# The worker without the thread that notices a stop (docs/guarantees.md, Fencing): what the
# fence costs in throughput.
NO_PAUSE_WATCH = {"DETENTE_RESTART_AFTER_PAUSE": "false"}
# The engine in the worker's own thread, as on a host (or pod) with one CPU: the default
# `auto` classifies in a process of its own where two CPUs are usable (docs/performance.md),
# so this is the baseline that process is measured against.
CLASSIFY_THREAD = {"DETENTE_CLASSIFY_PROCESS": "false"}
# Each piece in one run, waited for, against the default of four overlapping runs in the
# classifying process (docs/performance.md, Overlapping runs).
WHOLE_PIECES = {"DETENTE_CLASSIFY_PROCESS_RUNS": "1"}
# A shorter batch window (docs/performance.md, The batch window): fresher indices at a
# moderate rate, smaller batches (so more per-batch cost) at full load.
WINDOW_10_MS = {"DETENTE_BATCH_MAX_SECONDS": "0.01"}


def start_empty_broker() -> None:
    """The bench's own broker, emptied first: its topics are throwaway, and thousands left by
    earlier benches made the broker start in tens of seconds and keep more logs open."""
    subprocess.run(["bash", str(KAFKA_SH), "reset"], check=True, env=KAFKA_ENV, stdout=sys.stderr)
    subprocess.run(["bash", str(KAFKA_SH), "start"], check=True, env=KAFKA_ENV, stdout=sys.stderr)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def articles(count: int, run: str) -> list[tuple[bytes, bytes]]:
    """The sample corpus, re-identified and re-dated so every article is new and on time."""
    sample = [
        json.loads(line) for line in (ROOT / "data/sample/articles.jsonl").read_text().splitlines()
    ]
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        event = dict(sample[n % len(sample)])
        event["id"] = f"{run}-{n}"
        event["published_at"] = (now - timedelta(seconds=count - n)).isoformat()
        out.append((event["id"].encode(), json.dumps(event).encode()))
    return out


class Stack:
    def __init__(
        self, workers: int, log_dir: Path, extra_env: dict[str, str] | None = None
    ) -> None:
        self.names = TopicNames(f"bench-{uuid.uuid4().hex[:8]}-")
        admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
        ensure_topics(admin, topic_specs(self.names, PARTITIONS))
        admin.close()
        self.processes = []
        self.metrics_ports: list[int] = []
        app_id = f"detente-bench-{self.names.prefix.strip('-')}"
        for n in range(workers):
            env = {
                **os.environ,
                "DETENTE_KAFKA__BOOTSTRAP_SERVERS": BOOTSTRAP,
                "DETENTE_KAFKA__TOPIC_PREFIX": self.names.prefix,
                "DETENTE_PARTITIONS": str(PARTITIONS),
                "DETENTE_APP_ID": app_id,
                "DETENTE_WEB_PORT": str(free_port()),
                "DETENTE_METRICS_PORT": str(free_port()),
                "DETENTE_DATA_DIR": str(log_dir / f"worker-{n}"),
                **(extra_env or {}),
            }
            self.metrics_ports.append(int(env["DETENTE_METRICS_PORT"]))
            log = (log_dir / f"{self.names.prefix}worker-{n}.log").open("wb")
            self.processes.append(
                subprocess.Popen(
                    [str(BIN / "detente-worker")], env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
            self.logs = log_dir
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            texts = [
                (log_dir / f"{self.names.prefix}worker-{n}.log").read_text(errors="replace")
                for n in range(workers)
            ]
            if all("Ready" in t for t in texts):
                return
            time.sleep(0.5)
        raise RuntimeError("workers did not become ready")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for n, process in enumerate(self.processes):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                # Seen once with two workers: the other one left the group first, and this
                # one, rebalanced while stopping, never finished stopping. Its figures are
                # in already; say so rather than lose the run.
                print(f"bench: worker {n} did not stop within 60 s of SIGTERM; killed",
                      file=sys.stderr)  # fmt: skip
                process.kill()
                process.wait()


def global_counts(names: TopicNames, until_articles: int, timeout: float) -> list[float]:
    """Follow `tension-indices` until the global subject has counted `until_articles`;
    returns, for k = 1…until_articles, when the global count first reached k (broker
    timestamp, seconds). An update may fold in several articles (the worker batches)."""
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
    partitions = [TopicPartition(names.indices, p) for p in range(PARTITIONS)]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    reached: list[float] = []
    deadline = time.monotonic() + timeout
    while len(reached) < until_articles and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            for record in batch:
                if record.key == b"global":
                    total = IndexUpdate.model_validate_json(record.value).total_articles
                    while len(reached) < min(total, until_articles):
                        reached.append(record.timestamp / 1000)
    consumer.close()
    if len(reached) < until_articles:
        raise RuntimeError(
            f"only {len(reached)} of {until_articles} articles counted in {timeout:.0f}s"
        )
    return reached


def produce(records: list[tuple[bytes, bytes]], names: TopicNames, rate: float) -> list[float]:
    """Sends `records` in order, at `rate` per second (0: as fast as possible); returns
    when each was handed to the producer."""
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=5)
    sent: list[float] = []
    started = time.time()
    for n, (key, value) in enumerate(records):
        if rate:
            delay = started + n / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        sent.append(time.time())
        producer.send(names.articles, key=key, value=value)
    producer.flush()
    producer.close()
    return sent


def cpu_seconds(pid: int) -> float:
    """User and system CPU time so far of a process and the children it still has (the
    classifying process of DETENTE_CLASSIFY_PROCESS); Linux /proc, 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in children)


def throughput(
    workers: int, count: int, log_dir: Path, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Articles per second, and the workers' CPU time per article: on a shared machine the
    wall clock depends on what else runs, the CPU an article costs much less so."""
    stack = Stack(workers, log_dir, extra_env)
    try:
        records = articles(count, stack.names.prefix)
        cpu_before = sum(cpu_seconds(p.pid) for p in stack.processes)
        started = time.time()
        produce(records, stack.names, rate=0)
        finished = global_counts(stack.names, count, timeout=900)[-1]
        cpu = sum(cpu_seconds(p.pid) for p in stack.processes) - cpu_before
    finally:
        stack.stop()
    seconds = finished - started
    return {"workers": workers, "articles": count, "seconds": round(seconds, 2),
            "articles_per_second": round(count / seconds, 1),
            "worker_cpu_ms_per_article": round(1000 * cpu / count, 3)}  # fmt: skip


def latency(
    rate: float, count: int, log_dir: Path, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Produce → global index update, per article, at a steady `rate`.

    The k-th article produced is taken as counted when the global count first reaches k:
    exact when articles are counted in the order they were produced, and close to it here
    (four partitions read side by side)."""
    stack = Stack(1, log_dir, extra_env)
    try:
        records = articles(count, stack.names.prefix)
        sent = produce(records, stack.names, rate=rate)
        reached = global_counts(stack.names, count, timeout=900)
    finally:
        stack.stop()
    delays = sorted(max(0.0, done - start) for start, done in zip(sent, reached, strict=True))

    def pct(p: float) -> float:
        return round(delays[min(len(delays) - 1, int(p * len(delays)))], 3)

    return {"rate": round(rate, 1), "articles": len(delays), "p50_seconds": pct(0.50),
            "p95_seconds": pct(0.95), "p99_seconds": pct(0.99)}  # fmt: skip


Probe = Callable[[], tuple[float, float]]


def sustained(configs: dict[str, tuple[int, dict[str, str]]], runs: int, count: int,
              log_dir: Path, ceiling: Probe) -> dict[str, Any]:  # fmt: skip
    """Each configuration (workers, environment) `runs` times, interleaved: round r runs
    every configuration once, so a noisy minute on the shared machine hits them alike, and
    each round starts one step further down the list, so that no configuration always
    follows the same one (what one run leaves the broker doing may slow the next). One
    unmeasured run first: a fresh broker spends half its CPU compiling its hot code for its
    first ~10,000 articles. Before each run, one pass of `ceiling` (articles/s, CPU ms per
    article), so the classify ceiling is measured across the same time as the workers
    (run.py's CeilingProbe)."""
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    ceilings: list[tuple[float, float]] = []
    throughput(1, max(count, 10_000), log_dir, {})
    order = list(configs.items())
    for round_index in range(runs):
        shift = round_index * len(order) // max(runs, 1)
        for name, (workers, env) in order[shift:] + order[:shift]:
            ceilings.append(ceiling())
            samples[name].append(throughput(workers, count, log_dir, env))
    ceilings.append(ceiling())
    figures: dict[str, Any] = {
        name: {
            "median_articles_per_second": statistics.median(
                s["articles_per_second"] for s in samples[name]
            ),
            "median_worker_cpu_ms_per_article": statistics.median(
                s["worker_cpu_ms_per_article"] for s in samples[name]
            ),
            "runs": samples[name],
        }
        for name in configs
    }
    figures["classify_ceiling_between_runs"] = {
        "median_articles_per_second": round(statistics.median(c[0] for c in ceilings), 1),
        "median_cpu_ms_per_article": round(statistics.median(c[1] for c in ceilings), 3),
        "articles_per_second": [round(c[0], 1) for c in ceilings],
    }
    return figures


def paired(results: dict[str, Any], faster: str, than: str) -> float:
    """The median over rounds of one configuration's throughput over another's."""
    pairs = zip(results[faster]["runs"], results[than]["runs"], strict=True)
    return round(statistics.median(a["articles_per_second"] / b["articles_per_second"]
                                   for a, b in pairs), 2)  # fmt: skip


def run(runs: int, count: int, ceiling: Probe) -> dict[str, Any]:
    start_empty_broker()
    log_dir = ROOT / ".run" / "bench-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        configs = {
            "1_worker_one_record_at_a_time": (1, ONE_RECORD_AT_A_TIME),
            "1_worker_unbundled": (1, UNBUNDLED),
            "1_worker": (1, {}),
            "1_worker_without_pause_watch": (1, NO_PAUSE_WATCH),
            "1_worker_classify_thread": (1, CLASSIFY_THREAD),
            "1_worker_whole_pieces": (1, WHOLE_PIECES),
            "2_worker": (2, {}),
            "2_worker_classify_thread": (2, CLASSIFY_THREAD),
            "1_worker_window_10_ms": (1, WINDOW_10_MS),
        }
        results: dict[str, Any] = sustained(configs, runs, count, log_dir, ceiling)
        rate = {name: results[name]["median_articles_per_second"] for name in configs}
        one = rate["1_worker"]
        results["speedup_over_one_record_at_a_time"] = round(
            one / rate["1_worker_one_record_at_a_time"], 2
        )
        results["bundling_speedup"] = round(one / rate["1_worker_unbundled"], 2)
        results["pause_watch_cost"] = round(one / rate["1_worker_without_pause_watch"], 2)
        results["classify_process_speedup"] = round(one / rate["1_worker_classify_thread"], 2)
        results["overlapping_runs_speedup"] = round(one / rate["1_worker_whole_pieces"], 2)
        # Two ratios taken round by round, then the median: the runs of one round are
        # minutes apart, those of different rounds may not share the machine's load.
        results["overlapping_runs_speedup_paired"] = paired(
            results, "1_worker", "1_worker_whole_pieces"
        )
        results["two_workers_over_one_paired"] = paired(results, "2_worker", "1_worker")
        # Latency is measured for the whole run, so give it enough articles for a p99.
        results["latency_at_50_per_second"] = latency(50.0, 1500, log_dir)
        results["latency_at_50_per_second_window_10_ms"] = latency(
            50.0, 1500, log_dir, WINDOW_10_MS
        )
        results["window_10_ms_throughput_ratio"] = round(rate["1_worker_window_10_ms"] / one, 2)
        at_80 = 0.8 * one
        results["latency_at_80_percent_of_sustained"] = latency(
            at_80, max(1500, int(at_80 * 20)), log_dir
        )
        return results
    finally:
        subprocess.run(["bash", str(KAFKA_SH), "stop"], check=False, env=KAFKA_ENV)
