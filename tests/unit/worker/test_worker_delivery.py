"""Outputs are delivered before a batch is acknowledged, or the worker exits."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest import mock

from worker_support import run

from detente_worker import delivery
from detente_worker.app import app

# Captured before the autouse fixture replaces it for the stage tests.
original_flush_outputs = delivery.flush_outputs


def test_a_failed_send_abandons_the_batch_before_it_is_acknowledged() -> None:
    producer = mock.Mock()
    producer.buffer.size = 0
    producer.flush = mock.AsyncMock()

    async def scenario(outcomes: list[Any]) -> None:
        futures = []
        for outcome in outcomes:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
            futures.append(future)
        delivery.deliveries[:] = futures
        producer_property = mock.PropertyMock(return_value=producer)
        with mock.patch.object(type(app), "producer", producer_property):
            await original_flush_outputs()

    with mock.patch.object(delivery, "exit_now") as exit_now:
        run(scenario(["metadata", "metadata"]))
        exit_now.assert_not_called()
        run(scenario(["metadata", RuntimeError("broker said no")]))
    exit_now.assert_called_once()
    assert "1 of 2 outputs not delivered" in exit_now.call_args.args[0]
    assert "broker said no" in exit_now.call_args.args[0]
    assert delivery.deliveries == []  # the next batch starts with a clean slate


def test_outputs_still_in_flight_after_the_flush_are_waited_for() -> None:
    producer = mock.Mock()
    producer.buffer.size = 0
    producer.flush = mock.AsyncMock()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        done.set_result("metadata")
        late: asyncio.Future[Any] = loop.create_future()
        loop.call_later(0.05, late.set_exception, RuntimeError("refused late"))
        delivery.deliveries[:] = [done, late]
        producer_property = mock.PropertyMock(return_value=producer)
        with mock.patch.object(type(app), "producer", producer_property):
            await original_flush_outputs()
        assert late.done()

    with mock.patch.object(delivery, "exit_now") as exit_now:
        run(scenario())
    exit_now.assert_called_once()
    assert (
        "1 of 2 outputs not delivered: RuntimeError('refused late')" in exit_now.call_args.args[0]
    )
