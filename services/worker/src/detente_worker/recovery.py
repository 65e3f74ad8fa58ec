"""Guards that keep a batch from being lost or half-applied: offsets handed over in order,
records the consumer kept back, partition counts, changelog metadata, and the batch
wrapper that delivers outputs before Faust acknowledges anything."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, NoReturn

from faust.types import TP

from detente.offsets import Gap, OffsetContinuity, SkippedRecords
from detente_worker import delivery, holes, metrics, stall
from detente_worker.app import app, settings
from detente_worker.records import Record
from detente_worker.tables import index_state, seen_articles
from detente_worker.topics import articles_topic, contributions_topic

log = logging.getLogger(__name__)

# The next offset expected from each source partition in this generation (detente.offsets).
continuity = OffsetContinuity()

# Batches being handled now, by either stage: the skipped-records watchdog judges only
# an idle worker (a batch waiting on the broker is slow, not lost).
handling = 0
# What the watchdog found at its last look: (topic, partition, first offset not handed over).
suspects: set[tuple[str, int, int]] = set()


async def handle_batch(
    stage: str, handle: Callable[[Sequence[Record]], Awaitable[None]], events: Sequence[Any]
) -> None:
    """One batch from `take_events`: handled, and its outputs delivered, before Faust
    acknowledges it (when the agent asks for the next batch). `stage` names it in metrics."""
    global handling
    handling += 1
    try:
        records, holes_filled = await in_order(events)
        taken_up, started = time.time(), time.perf_counter()
        await handle(records)
        handled = time.perf_counter()
        await delivery.flush_outputs()
        for gap in holes_filled:
            await let_commit_pass(gap)
        stall.PROGRESS.progressed()
        oldest = min((r.produced_at for r in records if r.produced_at is not None), default=None)
        metrics.METRICS.observe_batch(
            stage,
            queued=None if oldest is None else taken_up - oldest,
            handle=handled - started,
            deliver=time.perf_counter() - handled,
        )
    finally:
        handling -= 1


async def in_order(events: Iterable[Any]) -> tuple[list[Record], list[Gap]]:
    """The batch's records, with those of any hole the consumer left read from the broker
    and put in their place (holes.py), and the holes so filled. A hole that cannot be read
    restarts the worker before anything of the batch is handled or acknowledged."""
    records: list[Record] = []
    filled: list[Gap] = []
    for record in map(Record.of, events):
        try:
            continuity.admit(
                record.topic, record.partition, record.offset, record.generation,
                resumed_from=committed_offset(record.topic, record.partition),
            )  # fmt: skip
        except SkippedRecords as exc:
            records += await fill(exc.gap, record.generation, str(exc))
            filled.append(exc.gap)
            continuity.admit(record.topic, record.partition, record.offset, record.generation)
        records.append(record)
    return records, filled


async def fill(gap: Gap, generation: int, why: str) -> list[Record]:
    """The records of a hole, read from the broker and accounted for."""
    found = await read_hole(gap, generation, why)
    account_for(gap, generation, found, why)
    return found


async def read_hole(gap: Gap, generation: int, why: str) -> list[Record]:
    """holes.records_in with this worker's connection (a hole longer than a batch is not
    read into one); restarts the worker if the broker cannot say."""
    try:
        return await holes.records_in(
            gap, generation, settings.kafka,
            client_id=f"{settings.app_id}-holes", at_most=settings.batch_max_records,
        )  # fmt: skip
    except holes.HoleUnread as exc:
        restart_now(f"{why}, and reading them from the broker failed ({exc})")


def account_for(gap: Gap, generation: int, found: Sequence[Record], why: str) -> None:
    """Count and log what the broker held at `gap`; the partition goes on after it."""
    metrics.METRICS.holes.labels(topic=gap.topic, held="records" if found else "nothing").inc()
    if found:
        log.warning("%s: read its %d records from the broker instead", why, len(found))
    else:  # a transaction's commit marker, or records deleted by retention: routine
        log.debug("no records at %s", gap)
    continuity.accept(gap, generation)


async def let_commit_pass(gap: Gap) -> None:
    """Once the hole's records are handled (or it holds none), Faust's commit may go past
    it. Faust commits the acknowledged offsets up to the first one missing; records read
    from the broker were never handed over by it, so the hole is marked the way Faust marks
    one it saw while fetching (faust/transport/consumer.py, `_add_gap`; no public call)."""
    consumer: Any = app.consumer  # Faust's aiokafka Consumer
    await consumer._add_gap(TP(gap.topic, gap.partition), gap.first, gap.last)


def committed_offset(topic: str, partition: int) -> int | None:
    """The offset the consumer resumed a partition from: Faust seeks every assigned partition
    to its committed offset after a rebalance and keeps it (and later commits) here; it has
    no public accessor. None for a partition without a commit (or committed at 0, which
    Faust keeps as None): aiokafka then does not seek, and the consumer goes on from where
    it was, so there is nothing to compare the first record with. (Taking None for 0 was
    tried: in CI's frozen-worker test a worker that had handled offsets 0-133 itself before
    a rebalance, not yet committed, then read them all again as a "hole".)"""
    committed: dict[TP, int | None] = getattr(app.consumer, "_committed_offset", {})
    return committed.get(TP(topic, partition)) or None


def restart_now(why: str) -> NoReturn:
    """Replace this process with a fresh worker, as a crash and restart would: nothing is
    committed on the way out."""
    log.critical("%s; restarting to read again from the committed offsets", why)
    logging.shutdown()
    os.execve(sys.executable, [sys.executable, "-m", "detente_worker"], dict(os.environ))


async def find_records_never_handed_over() -> None:
    """A record skipped last in its partition leaves no hole for `in_order` to see: the
    consumer's position is then past what the handlers got, and stays there. Seen twice in a
    row with the worker idle, restart to read it again (detente.offsets)."""
    global suspects

    def idle() -> bool:  # a batch in hand, or a rebalance, moves positions on its own
        return not (handling or app.rebalancing or app.in_recovery)

    if not idle():
        suspects = set()
        return
    sources = {articles_topic.get_topic_name(), contributions_topic.get_topic_name()}
    positions = {}
    for tp in app.consumer.assignment():
        if tp.topic in sources:
            try:  # bounded: Faust answers through its consumer thread (seen stuck once)
                position = await asyncio.wait_for(app.consumer.position(tp), 10.0)
            except Exception:  # not fetched yet, being revoked, or no answer: not judged
                continue
            if position is not None:
                positions[(tp.topic, tp.partition)] = position
    if not idle():  # it changed while we asked
        suspects = set()
        return
    generation = app.consumer_generation_id
    gaps = continuity.behind(positions, generation)
    for gap in [g for g in gaps if (g.topic, g.partition, g.first) in suspects]:
        why = f"the consumer took {gap} from Kafka and never handed them over"
        found = await read_hole(gap, generation, why)
        if not idle():  # handed over while we read: the batch's own check judges it
            suspects = set()
            return
        if found:  # no agent takes records from here: the restart reads them again
            restart_now(why)
        account_for(gap, generation, found, why)  # a commit marker last in its partition
        await let_commit_pass(gap)
        gaps.remove(gap)
    suspects = {(gap.topic, gap.partition, gap.first) for gap in gaps}


async def load_changelog_metadata(sender: Any, assigned: Any, **kwargs: Any) -> None:
    """A table write places its changelog record with the producer's partitioner there and
    then, which fails (and crashes the agent) while the producer has no metadata for the
    changelog topic yet: seen once in CI on a loaded machine, in the first batch after the
    worker started (Faust creates the changelog topics after its producer has started)."""
    producer = app.producer._ensure_producer()  # aiokafka's; Faust's wrapper has no such call
    for table in (index_state, seen_articles):
        await producer.partitions_for(table.changelog_topic.get_topic_name())


async def check_partition_counts(sender: Any, assigned: Any, **kwargs: Any) -> None:
    """Tables place keys over `settings.partitions`; input topics with another count would
    keep a subject's contributions and its state in different partitions, and Faust does
    not check this for tables that place keys by partitioner."""
    for topic in (articles_topic, contributions_topic):
        name = topic.get_topic_name()
        found = app.consumer.topic_partitions(name)
        if found == 0:
            # Not in the metadata yet. Waiting for a rebalance onto it was tried: the agent
            # then crashed on its first table write (the producer lacked the changelog's
            # metadata), so start afresh once the topic exists.
            delivery.exit_now(
                f"input topic {name} is not in the broker's metadata (not created yet, or "
                "created a moment ago): create the topics first (detente-topics); exiting "
                "to be started again",
                75,  # EX_TEMPFAIL
            )
        elif found is not None and found != settings.partitions:  # None: not asked yet
            delivery.exit_now(
                f"topic {name} has {found} partitions, DETENTE_PARTITIONS says "
                f"{settings.partitions}: recreate the topic or fix the setting",
                78,  # EX_CONFIG
            )
