"""API figures for `make bench`: requests per second and latency p50/p99 of the HTTP API under
load from `wrk`, a separate process on loopback. Reuses pipeline.py's broker (port 49092),
topics and worker: a few hundred sample articles go through one worker, then one API process
serves them while wrk hammers one endpoint at a time.

Every endpoint is measured `runs` times, interleaved with the trivial `/healthz` baseline, so
each ratio compares figures taken moments apart on the same (shared, noisy) machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline import (
    BIN,
    BOOTSTRAP,
    KAFKA_ENV,
    KAFKA_SH,
    PARTITIONS,
    ROOT,
    Stack,
    articles,
    free_port,
    global_counts,
    produce,
    start_empty_broker,
)

ARTICLES = 300
CONNECTIONS = 16
THREADS = 1
HISTORY_ACTOR = "russia"
BASELINE = "/healthz"
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def http_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body) if body else None
        except ValueError:
            return exc.code, body.decode(errors="replace")
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None


def wait_for(condition: Any, timeout: float, what: str, process: subprocess.Popen[bytes]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what}: the API exited with {process.returncode}")
        result = condition()
        if result:
            return result
        time.sleep(0.5)
    raise RuntimeError(f"timed out after {timeout:.0f}s waiting for {what}")


def to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if not match:
        raise ValueError(f"unknown wrk latency {value!r}")
    return float(match[1]) * UNITS_MS[match[2]]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/sec, latency p50/p99 (ms), request count, non-2xx/3xx and socket errors."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise ValueError(f"no {pattern!r} in wrk output:\n{output}")
        return match

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": float(find(r"^Requests/sec:\s+([\d.]+)")[1]),
        "p50_ms": round(to_ms(find(r"^\s+50%\s+(\S+)")[1]), 3),
        "p99_ms": round(to_ms(find(r"^\s+99%\s+(\S+)")[1]), 3),
        "requests": int(find(r"^\s+(\d+) requests in")[1]),
        "non_2xx_3xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
        if errors
        else {"connect": 0, "read": 0, "write": 0, "timeout": 0},
    }


def wrk(url: str, seconds: int) -> dict[str, Any]:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    figures = parse_wrk(done.stdout)
    if figures["non_2xx_3xx"]:
        raise RuntimeError(
            f"{url}: {figures['non_2xx_3xx']} non-2xx/3xx responses under load:\n{done.stdout}"
        )
    return figures


def start_api(stack: Stack, log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DETENTE_KAFKA__BOOTSTRAP_SERVERS": BOOTSTRAP,
        "DETENTE_KAFKA__TOPIC_PREFIX": stack.names.prefix,
        "DETENTE_PARTITIONS": str(PARTITIONS),
        "DETENTE_PORT": str(port),
    }
    log = (log_dir / f"{stack.names.prefix}api.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "detente-api")], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
    )
    return process, f"http://127.0.0.1:{port}"


def endpoints(base: str, process: subprocess.Popen[bytes]) -> dict[str, str]:
    """The paths to measure, once the API serves every article the worker counted."""
    wait_for(lambda: http_json(f"{base}/readyz")[0] == 200, 120, "API /readyz", process)

    def actors_listed() -> bool:
        status, body = http_json(f"{base}/v1/actors?limit=50")
        return status == 200 and bool(body["items"])

    wait_for(actors_listed, 60, "/v1/actors to list actors", process)

    def actor_as_of() -> str | None:
        status, body = http_json(f"{base}/v1/actors/{HISTORY_ACTOR}")
        return body["as_of"] if status == 200 else None

    as_of = datetime.fromisoformat(wait_for(actor_as_of, 60, f"{HISTORY_ACTOR} index", process))
    # A day before the actor's latest event, on the hour: a full 24-point hourly history.
    since = (as_of - timedelta(hours=24)).replace(minute=0, second=0, microsecond=0)
    history = (
        f"/v1/actors/{HISTORY_ACTOR}/history?window=24h&since={since.strftime('%Y-%m-%dT%H:%MZ')}"
    )
    paths = {"healthz": BASELINE, "actors": "/v1/actors?limit=50", "history": history}
    for path in paths.values():
        status, body = http_json(base + path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status} before the load: {body}")
    if not http_json(base + history)[1]["points"]:
        raise RuntimeError(f"GET {history} has no points")
    return paths


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def summarise(path: str, samples: list[dict[str, Any]]) -> dict[str, Any]:
    rps = [s["requests_per_second"] for s in samples]
    return {
        "path": path,
        "median_requests_per_second": round(statistics.median(rps), 1),
        "median_p50_ms": round(statistics.median(s["p50_ms"] for s in samples), 3),
        "median_p99_ms": round(statistics.median(s["p99_ms"] for s in samples), 3),
        "median_ratio_to_healthz": round(
            statistics.median(s["ratio_to_healthz"] for s in samples), 3
        ),
        "non_2xx_3xx": sum(s["non_2xx_3xx"] for s in samples),
        "runs": samples,
    }


def bench_api(runs: int = 3, seconds: int = 10) -> dict[str, object]:
    """Requests/s and latency p50/p99 of /healthz, /v1/actors and an actor's history under
    `wrk -t1 -c16`, `runs` runs of `seconds` each per endpoint; medians plus every run."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk not found on PATH: install it with `apt-get install wrk`")
    started = time.monotonic()
    start_empty_broker()
    log_dir = ROOT / ".run" / "bench-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    api: list[subprocess.Popen[bytes]] = []
    # Built in two steps so that workers started by a Stack that never got ready are stopped.
    stack = Stack.__new__(Stack)
    try:
        Stack.__init__(stack, 1, log_dir)
        produce(articles(ARTICLES, stack.names.prefix), stack.names, rate=0)
        global_counts(stack.names, ARTICLES, timeout=300)
        process, base = start_api(stack, log_dir)
        api.append(process)
        paths = endpoints(base, process)
        for path in paths.values():  # warm up: first requests, caches, connection pools
            wrk(base + path, 1)
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in paths}
        for run in range(runs):
            baseline = 0.0
            for name, path in paths.items():
                figures = wrk(base + path, seconds)
                if name == "healthz":
                    baseline = figures["requests_per_second"]
                figures["ratio_to_healthz"] = round(figures["requests_per_second"] / baseline, 3)
                samples[name].append({"run": run + 1, **figures})
            if process.poll() is not None:
                raise RuntimeError(f"the API exited with {process.returncode} during the load")
    finally:
        stop(api)
        stop(getattr(stack, "processes", []))
        subprocess.run(
            ["bash", str(KAFKA_SH), "stop"], check=False, env=KAFKA_ENV, stdout=sys.stderr
        )
    return {
        "tool": f"wrk -t{THREADS} -c{CONNECTIONS} -d{seconds}s --latency (separate process, "
        "loopback)",
        "articles": ARTICLES,
        "runs": runs,
        "seconds_per_run": seconds,
        "endpoints": {name: summarise(paths[name], samples[name]) for name in paths},
        "total_seconds": round(time.monotonic() - started, 1),
    }


if __name__ == "__main__":
    print(json.dumps(bench_api(), indent=2))
    sys.exit(0)
