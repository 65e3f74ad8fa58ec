"""Stage two: contribution bundles → subject states in `index-state` → index updates and alerts.

Reads `index-contributions` (key: subject, placed by stage one), so every subject's state
lives in exactly one partition of `index-state`, and any number of worker processes give
the same indices as one. A subject touched many times in a batch is written and published
once. Subjects idle long enough are forgotten between batches (idle_subjects.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from detente import alerts, forgetting, indices
from detente.event_time import OutOfBounds, written_at
from detente.events import Contribution, ContributionBundle
from detente.folding import SubjectFold
from detente_worker import delivery, fencing, metrics
from detente_worker.app import settings
from detente_worker.classify import subject_partition
from detente_worker.engine import allowed_lateness
from detente_worker.idle_subjects import rebuild_clock, subject_clock, sweep_if_due
from detente_worker.records import Record
from detente_worker.tables import index_state
from detente_worker.topics import alerts_topic, indices_topic

log = logging.getLogger(__name__)


@dataclass
class SubjectBatch:
    """A subject's state folding in the batch's contributions, and what they were."""

    fold: SubjectFold
    last: Contribution
    partition: int
    applied: list[tuple[float | None, datetime]] = field(default_factory=list)


async def handle_contributions(records: Sequence[Record]) -> None:
    """Fold a batch of contribution bundles into their subjects; publish each subject once."""
    if subject_clock.stale:
        rebuild_clock()
    touched: dict[str, SubjectBatch] = {}
    judge = EventTime(datetime.now(UTC))
    for record in records:
        metrics.consumed(record.topic).inc()
        for contribution in await unbundle(record):
            await fold(touched, contribution, record, judge)
    fencing.ensure_still_member()
    for subject, batch in touched.items():
        await publish_subject(subject, batch)
    await sweep_if_due()


async def unbundle(record: Record) -> list[Contribution]:
    """The record's valid contributions; the invalid go to the DLQ, each alone if it can."""
    try:
        return ContributionBundle.model_validate_json(record.value).contributions
    except ValidationError:
        pass
    try:  # a record sent before contributions were bundled, still in the topic
        return [Contribution.model_validate_json(record.value)]
    except ValidationError:
        pass
    try:
        entries = json.loads(record.value)["contributions"]
        if not isinstance(entries, list):
            raise TypeError("contributions is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        await delivery.dead_letter(
            "invalid_contribution", f"not a contribution bundle: {exc!r}", record
        )
        return []
    valid = []
    for entry in entries:
        try:
            valid.append(Contribution.model_validate(entry))
        except ValidationError as exc:
            raw = json.dumps(entry).encode()
            await delivery.dead_letter("invalid_contribution", str(exc)[:2000], record, raw=raw)
    return valid


class EventTime:
    """A batch's event-time checks. An article's dozen contributions share its publication
    and record times, so each pair is judged once per batch."""

    def __init__(self, now: datetime) -> None:
        self.now = now  # when a record has no timestamp of its own
        self.lateness = allowed_lateness()
        self.lateness_hours = indices.lateness_hours(self.lateness)
        self._judged: dict[tuple[datetime, float | None], OutOfBounds | None] = {}

    def refused(self, published_at: datetime, produced_at: float | None) -> OutOfBounds | None:
        key = (published_at, produced_at)
        if key not in self._judged:
            self._judged[key] = settings.event_time.check(
                published_at, written_at(produced_at, self.now)
            )
        return self._judged[key]


async def fold(
    touched: dict[str, SubjectBatch], contribution: Contribution, record: Record, judge: EventTime
) -> None:
    """Add one contribution to its subject's state in this batch, unless out of bounds,
    fenced or late."""
    subject = contribution.subject
    # Stage one refuses such articles; this guards subjects against bundles from elsewhere
    # (an older worker during a rollout), judged by the article's own record timestamp.
    produced_at = contribution.article_produced_at or record.produced_at
    refused = judge.refused(contribution.published_at, produced_at)
    if refused is not None:
        await delivery.dead_letter(
            refused.reason, f"{subject}: {refused.detail}", record,
            raw=contribution.to_json_bytes(), key=subject.encode(),
        )  # fmt: skip
        return
    batch = touched.get(subject)
    if batch is None:
        folding = SubjectFold(index_state.get(subject.encode()) or indices.empty_state())
    else:
        folding = batch.fold
    # Judged before the duplicate fence: a forgotten subject has no fence, and must refuse
    # what it would have refused had it been kept (detente.forgetting).
    partition, hour = subject_partition(subject), indices.hour_of(contribution.published_at)
    late = behind_partition(partition, hour, judge.lateness_hours)
    if late is None:
        if folding.already_applied(contribution):
            metrics.DUPLICATES.inc()
            return
        if folding.is_late(contribution.published_at, judge.lateness):
            late = "the subject's watermark minus the allowed lateness"
    if late is not None:
        metrics.LATE_EVENTS.labels(subject_kind=contribution.subject_kind).inc()
        await delivery.dead_letter(
            "late_event",
            f"{subject}: published_at {contribution.published_at.isoformat()} is older than {late}",
            record,
            raw=contribution.to_json_bytes(),  # not the whole bundle
            key=subject.encode(),
        )
        return
    folding.add(contribution)
    subject_clock.observe(partition, hour)
    if batch is None:
        batch = touched[subject] = SubjectBatch(folding, contribution, record.partition)
    batch.last = contribution
    batch.applied.append((contribution.article_produced_at, contribution.published_at))


def behind_partition(partition: int, hour: int, lateness: int) -> str | None:
    """Is a contribution of `hour` older than its partition's newest hour allows with
    `lateness` hours (detente.forgetting, rule 2)? What it is older than, if so."""
    if not forgetting.behind_partition(hour, subject_clock.hours.get(partition), lateness):
        return None
    bound = forgetting.partition_lateness_hours(lateness)
    return f"its partition's newest hour minus {bound} h (retention plus allowed lateness)"


async def publish_subject(subject: str, batch: SubjectBatch) -> None:
    kind, actors = batch.last.subject_kind, batch.last.actors
    state = batch.fold.state()
    alert = alerts.detect_spike(subject, kind, actors, state)
    if alert is not None:
        state = alerts.mark_alerted(state)
    await index_state.write(subject.encode(), state)
    update = indices.index_update(subject, kind, actors, state)
    await delivery.send(indices_topic, key=subject.encode(), value=update.to_json_bytes())
    if alert is not None:
        await delivery.send(alerts_topic, key=subject.encode(), value=alert.to_json_bytes())
        log.info("tension spike: %s %.1f over baseline %.1f", subject, alert.value, alert.baseline)
    metrics.observe_index(update, partition=batch.partition, delays=batch.applied)
