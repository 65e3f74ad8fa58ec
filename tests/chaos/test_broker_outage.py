"""The broker stopped for 30 s mid-stream and started again: the producer (the real
`detente-produce`, replaying at a steady rate) and the worker resume; nothing is lost and
nothing is counted twice."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from harness import KAFKA_SH, Services, kafka_env, wait_for
from scenario import (
    ARTICLES,
    TEST_TIMEOUT,
    WAIT_SECONDS,
    Outcome,
    counted,
    finish,
    replay,
    wait_ready,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(TEST_TIMEOUT)]

OUTAGE_SECONDS = 30


def test_broker_down_for_30_seconds(
    services: Services, undisturbed: Outcome, tmp_path: Path
) -> None:
    bootstrap, names = services.bootstrap, services.names
    worker = services.worker("worker")
    wait_ready(services, "worker")
    rate = 50  # a steady feed, so the replay lasts ARTICLES / 50 seconds
    started = time.monotonic()
    producer = replay(services, tmp_path / "corpus.jsonl", rate)
    try:
        # A fifth of the way through the replay, by the producer's own clock, so the outage
        # hits it mid-stream however fast or slow the worker is on this machine.
        time.sleep(max(0.0, started + ARTICLES / 5 / rate - time.monotonic()))
        wait_for(lambda: counted(bootstrap, names), WAIT_SECONDS, "the first articles counted")
        assert producer.poll() is None, "the replay is still running"
        so_far = counted(bootstrap, names)
        subprocess.run(["bash", str(KAFKA_SH), "stop"], check=True, env=kafka_env(), timeout=120)
        print(f"broker stopped for {OUTAGE_SECONDS} s mid-replay, {so_far} articles counted")
        time.sleep(OUTAGE_SECONDS)
        assert producer.poll() is None, "the producer waited for the broker instead of failing"
        subprocess.run(["bash", str(KAFKA_SH), "start"], check=True, env=kafka_env(), timeout=300)
        output, _ = producer.communicate(timeout=WAIT_SECONDS + ARTICLES / rate)
        print(output.decode(errors="replace").strip().splitlines()[-1])
        assert producer.returncode == 0, output.decode(errors="replace")
        result = finish(services)
        assert worker.poll() is None, "the worker rode out the outage"
    finally:
        if producer.poll() is None:
            producer.kill()
    undisturbed.compare(result, f"broker down {OUTAGE_SECONDS} s")
