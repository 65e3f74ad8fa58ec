"""Fixtures for the worker's stages run through Faust's `test_context()`."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from aiokafka.partitioner import DefaultPartitioner
from faust.types import TP
from worker_support import Handled, Outbox

from detente_worker import aggregate, classify, delivery
from detente_worker.app import app, settings
from detente_worker.engine import get_engine


@pytest.fixture(autouse=True, scope="session")
def engine_loaded() -> None:
    """Load the model once, before any test's clock starts: on a busy machine loading it
    takes longer than a stage's whole budget in a test (seen: 26 s)."""
    get_engine()


@pytest.fixture(autouse=True)
def partitioner() -> Iterator[None]:
    """Tables place keys with the producer's partitioner; test_context starts no producer."""

    def key_partition(topic: str, key: bytes) -> TP:
        partitions = list(range(settings.partitions))
        return TP(topic, DefaultPartitioner.__call__(key, partitions, partitions))

    with mock.patch.object(app.producer, "key_partition", key_partition):
        yield


@pytest.fixture(autouse=True)
def classify_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stages classify in the worker's thread here, as with one CPU, whatever `auto`
    makes of this machine: tests patch the engine in this process. The classifying process
    has tests of its own (test_worker_classify_process.py)."""
    monkeypatch.setattr(classify, "IN_PROCESS", False)


@pytest.fixture(autouse=True)
def no_flush() -> Iterator[None]:
    """test_context starts no producer, so there is nothing to deliver after a batch."""
    with mock.patch.object(delivery, "flush_outputs", mock.AsyncMock()):
        yield


@pytest.fixture
def outbox() -> Iterator[Outbox]:
    box = Outbox()
    with box.patch():
        yield box
    delivery.deliveries.clear()


@pytest.fixture
def articles_handled() -> Iterator[Handled]:
    handled = Handled(classify, "handle_articles")
    with mock.patch.object(classify, "handle_articles", handled):
        yield handled


@pytest.fixture
def contributions_handled() -> Iterator[Handled]:
    handled = Handled(aggregate, "handle_contributions")
    with mock.patch.object(aggregate, "handle_contributions", handled):
        yield handled


@pytest.fixture(autouse=True)
def never_replace_the_test_process() -> Iterator[None]:
    """`restart_now` is `os.execve`: unpatched it would replace pytest itself. Tests that
    expect a restart patch it themselves."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"os.execve called in a unit test: {args}")

    with mock.patch("detente_worker.recovery.os.execve", side_effect=refuse):
        yield
