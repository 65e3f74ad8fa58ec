"""One of two workers frozen (SIGSTOP) past its session timeout while busy, then resumed:
a GC pause, a stalled VM, CPU throttling in a pod. The other takes over its partitions;
when the frozen one wakes, whatever it still writes must not win over its successor's
state, and the result equals the undisturbed run (issue #13)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from harness import Services, produce, wait_for
from scenario import (
    ARTICLES,
    TEST_TIMEOUT,
    WAIT_SECONDS,
    Outcome,
    corpus,
    counted,
    explain_differences,
    finish,
    wait_ready,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(TEST_TIMEOUT)]

# Well past the session timeout the harness gives workers (6 s): the group moves on.
FROZEN_SECONDS = float(os.environ.get("DETENTE_CHAOS_FROZEN_SECONDS", "15"))


def test_one_of_two_workers_frozen_then_resumed(services: Services, undisturbed: Outcome) -> None:
    frozen = services.worker("worker-a")
    services.worker("worker-b")
    wait_ready(services, "worker-a", "worker-b")
    produce(services.bootstrap, services.names.articles, corpus())
    bootstrap, names = services.bootstrap, services.names
    wait_for(lambda: counted(bootstrap, names) >= ARTICLES // 3, WAIT_SECONDS, "a third counted")
    os.kill(frozen.pid, signal.SIGSTOP)
    print(f"SIGSTOP of one of two workers after {counted(bootstrap, names)} articles")
    time.sleep(FROZEN_SECONDS)
    os.kill(frozen.pid, signal.SIGCONT)
    print(f"SIGCONT after {FROZEN_SECONDS:.0f} s, {counted(bootstrap, names)} articles counted")
    result = finish(services)
    assert frozen.poll() is None or frozen.returncode in (0, 75), "the frozen worker crashed"
    try:
        undisturbed.compare(result, f"one of two workers frozen {FROZEN_SECONDS:.0f} s")
    except AssertionError:
        differing = undisturbed.differing(result)[:5]
        explain_differences(
            services, {s: undisturbed.indices[s]["total_articles"] for s in differing}
        )
        raise
