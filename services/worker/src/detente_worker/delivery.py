"""Outputs: every record the stages send, and the check that all of it reached the broker
before a batch is acknowledged."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from detente.events import DeadLetter
from detente_worker import metrics
from detente_worker.app import app
from detente_worker.records import Record
from detente_worker.topics import dead_letters_topic

log = logging.getLogger(__name__)

# Sends not yet checked: flush_outputs checks them (both stages') before a batch is acknowledged.
deliveries: list[Any] = []


async def send(
    topic: Any, *, value: bytes | None, key: bytes | None = None, partition: int | None = None
) -> asyncio.Future[Any]:
    """Hand one record (None: a tombstone) to the producer; `flush_outputs` checks that it
    was delivered. Returns the delivery's future (its record's metadata once on the broker).

    Straight to the producer, not through `topic.send`: Faust's channel path (a future
    message, its producer buffer, a callback per record) cost the worker about a sixth of
    its throughput at about eight outputs per article (docs/performance.md)."""
    name = topic.get_topic_name()
    delivered = await app.producer.send(name, key, value, partition, None, None)
    deliveries.append(delivered)
    metrics.produced(name).inc()
    return delivered


async def dead_letter(
    reason: str, detail: str, record: Record, raw: bytes | None = None, key: bytes | None = None
) -> None:
    """Send `record` to the DLQ, or only `raw` (keyed `key`), the part of it that failed."""
    metrics.DEAD_LETTERS.labels(reason=reason).inc()
    raw = record.value if raw is None else raw
    key = record.key if key is None else key
    letter = DeadLetter.for_record(
        reason=reason, detail=detail, source_topic=record.topic, raw=raw, key=key,
        partition=record.partition, offset=record.offset,
    )  # fmt: skip
    await send(dead_letters_topic, key=key, value=letter.to_json_bytes())


async def flush_outputs() -> None:
    """Return once everything sent so far, table changelogs included, is on the broker.

    A batch's offsets are acknowledged (and later committed) when its handler returns, so
    its outputs must be delivered first: otherwise a `kill -9` after a commit loses them.
    Faust flushes before it commits, but its buffer flush gives up after 0.1 s without a
    send, which a busy event loop easily exceeds (seen here as lost table updates).
    If a send failed, the process exits before the batch is acknowledged, so it is read
    again after the restart: a later record that did arrive must not move a fence past one
    that did not. (Raising would not do: Faust acknowledges a batch whose handler raised.)
    """
    producer = app.producer
    while producer.buffer.size:
        await producer.buffer.flush()
    await producer.flush()
    sent = deliveries[:]
    deliveries.clear()
    # After the producer's flush they are all done: waiting on each (a callback per record
    # through the event loop, about eight per article) is only for those that are not.
    pending = [future for future in sent if not future.done()]
    if pending:
        await asyncio.wait(pending)
    failures = [failure for failure in map(_failure, sent) if failure is not None]
    if failures:
        why = f"{len(failures)} of {len(sent)} outputs not delivered: {failures[0]!r}"
        exit_now(f"{why}; exiting before the batch is acknowledged, to read it again", 75)


def _failure(delivered: asyncio.Future[Any]) -> BaseException | None:
    if delivered.cancelled():
        return asyncio.CancelledError()
    return delivered.exception()


def exit_now(why: str, status: int) -> None:
    """Stop at once: a graceful stop would commit the offsets of what Faust acknowledged."""
    log.critical(why)
    logging.shutdown()
    os._exit(status)
