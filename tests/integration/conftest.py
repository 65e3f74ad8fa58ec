"""Integration fixtures: a real Kafka broker (started here), unique topics per test, and the
worker and API as real subprocesses. Nothing is mocked."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from detente.topics import TopicNames

from harness import KAFKA_SH, TEST_PORT, Services, create_topics, kafka_env


@pytest.fixture(scope="session")
def bootstrap() -> Iterator[str]:
    """A dedicated single-node KRaft broker for the test session, apart from `make up`'s."""
    status = subprocess.run(["bash", str(KAFKA_SH), "status"], env=kafka_env(), timeout=60)
    already_running = status.returncode == 0
    subprocess.run(["bash", str(KAFKA_SH), "start"], check=True, env=kafka_env(), timeout=300)
    yield f"127.0.0.1:{TEST_PORT}"
    # Leave a broker that another test session started to that session.
    if not already_running:
        subprocess.run(["bash", str(KAFKA_SH), "stop"], check=False, env=kafka_env(), timeout=120)


@pytest.fixture
def topics(bootstrap: str) -> TopicNames:
    """Fresh topics under a prefix unique to this test."""
    names = TopicNames(f"it-{uuid.uuid4().hex[:10]}-")
    create_topics(bootstrap, names)
    return names


@pytest.fixture
def services(bootstrap: str, topics: TopicNames, tmp_path: Path) -> Iterator[Services]:
    running = Services(bootstrap, topics, tmp_path)
    yield running
    running.stop()
