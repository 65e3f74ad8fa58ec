"""One of two workers frozen (SIGSTOP) past its session timeout while busy, then resumed:
a GC pause, a stalled VM, CPU throttling in a pod. The other takes over its partitions;
when the frozen one wakes, none of its late writes may win over its successor's, and the
result equals the undisturbed run (issue #13).

The corpus goes in through the real `detente-produce` at a steady rate (`RATE`) that keeps
both workers busy before the freeze and goes on after the wake, so that states written
late are read back (the woken worker rejoins, partitions move, tables are restored from
their changelogs) and counted on. Run twice: as shipped, where the woken worker notices
the stop and restarts before writing (detente_worker.fencing), and with that guard off,
where only the readers' fence (tables.FencedTable) and the takeover check
(detente.offsets) stand between its late writes and the indices."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from harness import Services, wait_for
from scenario import (
    ARTICLES,
    TEST_TIMEOUT,
    WAIT_SECONDS,
    Outcome,
    counted,
    explain_differences,
    finish,
    replay,
    wait_ready,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(TEST_TIMEOUT)]

# Well past the session timeout the harness gives workers (6 s): the group moves on.
FROZEN_SECONDS = float(os.environ.get("DETENTE_CHAOS_FROZEN_SECONDS", "15"))
# Articles per second: issue #13's 150, slower for a small corpus so that sending lasts
# about 40 s, well past the wake.
RATE = min(150.0, ARTICLES / 40)


@pytest.mark.parametrize("guard", ["restart after a pause", "readers' fence alone"])
def test_one_of_two_workers_frozen_then_resumed(
    services: Services, undisturbed: Outcome, guard: str, tmp_path: Path
) -> None:
    restart = "true" if guard == "restart after a pause" else "false"
    frozen = services.worker("worker-a", DETENTE_RESTART_AFTER_PAUSE=restart)
    services.worker("worker-b", DETENTE_RESTART_AFTER_PAUSE=restart)
    wait_ready(services, "worker-a", "worker-b")
    bootstrap, names = services.bootstrap, services.names
    producer = replay(services, tmp_path / "corpus.jsonl", RATE)
    try:
        wait_for(lambda: counted(bootstrap, names) >= ARTICLES // 5, WAIT_SECONDS, "a fifth")
        os.kill(frozen.pid, signal.SIGSTOP)
        print(f"SIGSTOP of one of two workers after {counted(bootstrap, names)} articles")
        time.sleep(FROZEN_SECONDS)
        os.kill(frozen.pid, signal.SIGCONT)
        print(f"SIGCONT after {FROZEN_SECONDS:.0f} s, {counted(bootstrap, names)} counted")
        output, _ = producer.communicate(timeout=WAIT_SECONDS + ARTICLES / RATE)
        assert producer.returncode == 0, output.decode(errors="replace")
    finally:
        if producer.poll() is None:
            producer.kill()
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
