"""One of two workers frozen (SIGSTOP) past its session timeout while busy, then resumed:
a GC pause, a stalled VM, CPU throttling in a pod. The other takes over its partitions;
when the frozen one wakes, none of its late writes may win over its successor's, and the
result equals the undisturbed run (issue #13).

The corpus goes in at a steady rate (`RATE`) that keeps both workers busy before the
freeze and goes on after the wake, so that states written late are read back (the woken
worker rejoins, partitions move, tables are restored from their changelogs) and counted
on. Run twice: as shipped, where the woken worker notices the stop and restarts before
writing (detente_worker.fencing), and with that guard off, where only the readers' fence
(tables.FencedTable) and the takeover check (detente.offsets) stand between its late
writes and the indices."""

from __future__ import annotations

import os
import signal
import threading
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
# Articles per second: issue #13's 150, slower for a small corpus so that sending lasts
# about 40 s, well past the wake.
RATE = min(150.0, ARTICLES / 40)


def send_steadily(services: Services, records: list[tuple[bytes, bytes]]) -> threading.Thread:
    """Send `records` at `RATE` per second from a thread; returns the started thread."""

    def run() -> None:
        chunk = max(1, int(RATE / 4))
        started = time.monotonic()
        for sent in range(0, len(records), chunk):
            time.sleep(max(0.0, started + sent / RATE - time.monotonic()))
            produce(services.bootstrap, services.names.articles, records[sent : sent + chunk])

    thread = threading.Thread(target=run, name="steady-producer", daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("guard", ["restart after a pause", "readers' fence alone"])
def test_one_of_two_workers_frozen_then_resumed(
    services: Services, undisturbed: Outcome, guard: str
) -> None:
    restart = "true" if guard == "restart after a pause" else "false"
    frozen = services.worker("worker-a", DETENTE_RESTART_AFTER_PAUSE=restart)
    services.worker("worker-b", DETENTE_RESTART_AFTER_PAUSE=restart)
    wait_ready(services, "worker-a", "worker-b")
    bootstrap, names = services.bootstrap, services.names
    sending = send_steadily(services, corpus())
    wait_for(lambda: counted(bootstrap, names) >= ARTICLES // 5, WAIT_SECONDS, "a fifth counted")
    os.kill(frozen.pid, signal.SIGSTOP)
    print(f"SIGSTOP of one of two workers after {counted(bootstrap, names)} articles")
    time.sleep(FROZEN_SECONDS)
    os.kill(frozen.pid, signal.SIGCONT)
    print(f"SIGCONT after {FROZEN_SECONDS:.0f} s, {counted(bootstrap, names)} articles counted")
    sending.join()
    result = finish(services)
    assert frozen.poll() is None, "the frozen worker is still running (restarted in place)"
    log = (services.log_dir / "worker-a.log").read_text(errors="replace")
    restarts = log.count("its partitions may have a new owner")
    print(f"{guard}: the woken worker restarted {restarts} time(s) over the stop")
    assert restarts == (1 if restart == "true" else 0)
    try:
        undisturbed.compare(result, f"one of two workers frozen {FROZEN_SECONDS:.0f} s, {guard}")
    except AssertionError:
        differing = undisturbed.differing(result)[:5]
        explain_differences(
            services, {s: undisturbed.indices[s]["total_articles"] for s in differing}
        )
        raise
