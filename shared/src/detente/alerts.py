"""Tension spike detection (definitions in docs/indices.md). Pure functions over index state.

A subject spikes when its 24 h index (the posterior hardline share, detente.indices) rises
well above its own baseline — the 6 days before those 24 hours, or the prior without them —
with the baseline below the 24 h interval (the rise is beyond the noise of its evidence),
enough statements and articles that one article cannot raise the alarm, and a rise unlikely
to be chance (a binomial z-score). A cool-down keeps one burst to one alert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from detente.events import SubjectKind, TensionAlert
from detente.indices import HOUR, PRIOR_INDEX, window_value

SHORT_HOURS = 24
BASELINE_HOURS = 7 * 24


@dataclass(frozen=True)
class SpikeRule:
    min_rise: float = 20.0  # index points above the baseline
    min_z: float = 3.0
    min_statements: int = 5  # in the short window
    min_articles: int = 3  # in the short window: one article is never enough
    cooldown_hours: int = 6  # event time between two alerts of one subject


def detect_spike(
    subject: str,
    kind: SubjectKind,
    actors: list[str],
    state: dict[str, Any],
    rule: SpikeRule = SpikeRule(),
) -> TensionAlert | None:
    """An alert if `state` (after the latest contribution) shows a spike, else None."""
    as_of: int | None = state.get("watermark_hour")
    if as_of is None:
        return None
    last = state.get("last_alert_hour")
    if last is not None and as_of - last < rule.cooldown_hours:
        return None
    buckets = state["buckets"]
    short = window_value(buckets, as_of, SHORT_HOURS)
    if short.index is None or short.statements < rule.min_statements:
        return None
    if short.articles < rule.min_articles:
        return None
    before = window_value(buckets, as_of - SHORT_HOURS, BASELINE_HOURS - SHORT_HOURS)
    baseline = before.index if before.index is not None else PRIOR_INDEX  # no history
    if short.low is None or short.low <= baseline:  # within the noise of its evidence
        return None
    rise = short.index - baseline
    share = min(max(baseline / 100.0, 0.02), 0.98)
    z = rise / 100.0 / math.sqrt(share * (1.0 - share) / short.statements)
    if rise < rule.min_rise or z < rule.min_z:
        return None
    drivers = [e for e in state.get("recent", []) if e[0] > as_of - SHORT_HOURS and e[2] > 0]
    return TensionAlert(
        alert_id=f"{subject}@{as_of}",
        subject=subject,
        subject_kind=kind,
        actors=actors,
        window="24h",
        value=short.index,
        baseline=round(baseline, 2),
        baseline_statements=before.statements,
        rise=round(rise, 2),
        z=round(z, 2),
        statements=short.statements,
        article_ids=[e[1] for e in sorted(drivers, key=lambda e: (-e[2], e[1]))[:10]],
        as_of=datetime.fromtimestamp((as_of + 1) * HOUR, UTC),
        raised_at=datetime.now(UTC),
    )


def mark_alerted(state: dict[str, Any]) -> dict[str, Any]:
    """The state after an alert: the cool-down starts at the subject's watermark."""
    return {**state, "last_alert_hour": state["watermark_hour"]}
