"""An API replica restarted mid-stream rebuilds the same view as one that never stopped."""

from __future__ import annotations

import signal
import time

import pytest

from harness import Services, produce, settled, wait_for
from scenario import (
    ARTICLES,
    TEST_TIMEOUT,
    WAIT_SECONDS,
    Outcome,
    api_view,
    corpus,
    counted,
    finish,
    wait_ready,
)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(TEST_TIMEOUT)]


def test_api_killed_and_restarted_mid_stream(services: Services, undisturbed: Outcome) -> None:
    bootstrap, names = services.bootstrap, services.names
    services.worker("worker")
    wait_ready(services, "worker")
    steady = services.api("api-steady")
    services.api("api-doomed")
    doomed = services.processes[-1][0]
    produce(bootstrap, names.articles, corpus())
    wait_for(lambda: counted(bootstrap, names) >= ARTICLES // 3, WAIT_SECONDS, "a third counted")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    print(f"kill -9 of one API replica after {counted(bootstrap, names)} articles")
    time.sleep(2)
    restarted = services.api("api-restarted")
    result = finish(services)
    view = settled(lambda: api_view(steady), 60, "the steady replica's view")
    rebuilt = settled(lambda: api_view(restarted), 60, "the restarted replica's view")
    actors = view["/v1/actors?limit=1000"]["total"]
    print(
        f"compared {len(view)} API resources ({actors} actors) between the replica that "
        f"never stopped and the restarted one: {'equal' if view == rebuilt else 'DIFFERENT'}"
    )
    assert view == rebuilt
    undisturbed.compare(result, "API restart (the pipeline underneath)")
