"""The worker's stop is bounded (`shutdown.StopDeadline`): past the bound it exits as a
crash would, without committing."""

from __future__ import annotations

import asyncio
import threading

import faust
import pytest

from detente_worker import shutdown
from detente_worker.app import app, settings


def test_the_deadline_ends_the_process_once_it_runs_out() -> None:
    expired = threading.Event()
    calls: list[tuple[str, int]] = []

    def expire(why: str, status: int) -> None:
        calls.append((why, status))
        expired.set()

    deadline = shutdown.StopDeadline(0.05, expire)
    deadline.arm()
    deadline.arm()  # a second stop does not start a second count
    assert expired.wait(timeout=30)
    assert len(calls) == 1
    why, status = calls[0]
    assert status == shutdown.EXIT_STATUS == 75
    assert "DETENTE_STOP_TIMEOUT_SECONDS" in why


def test_nothing_runs_out_before_the_stop_begins() -> None:
    calls: list[int] = []
    deadline = shutdown.StopDeadline(0.01, lambda why, status: calls.append(status))
    assert not any(t.name == "detente-stop-deadline" for t in threading.enumerate())
    assert calls == []
    assert deadline._timer is None


def test_the_app_runs_the_bounded_worker() -> None:
    assert app.conf.Worker is shutdown.Worker
    assert issubclass(shutdown.Worker, faust.Worker)
    assert shutdown.STOP_DEADLINE.seconds == settings.stop_timeout_seconds


def test_stopping_the_worker_arms_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    armed: list[bool] = []
    monkeypatch.setattr(shutdown.STOP_DEADLINE, "arm", lambda: armed.append(True))
    stopped: list[bool] = []

    async def parent_stop(self: faust.Worker) -> None:
        stopped.append(bool(armed))  # the bound is set before the stop itself begins

    monkeypatch.setattr(faust.Worker, "stop", parent_stop)
    worker = shutdown.Worker.__new__(shutdown.Worker)
    asyncio.run(worker.stop())
    assert armed == [True] and stopped == [True]
