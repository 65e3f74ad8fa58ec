"""A batch of contributions folded into one subject's state at once (docs/indices.md).

`indices.apply` adds one contribution and builds a whole new state: bucket map, sorted
buckets, sorted list of recent articles. Stage two folds a batch of a subject's
contributions one after the other, and its fences (`already_applied`, `is_late`) judge each
contribution against the state left by the ones before it. `SubjectFold` keeps just what
those fences read (the watermark and the source offsets) up to date per contribution, and
builds the state once, when asked: the same state, to the byte, as applying the same
contributions one at a time (tests/unit/detente/test_folding.py), because

- bucket sums are added in the same order, each rounded as it is added;
- watermarks only rise, so a bucket or a recent article that one step would drop is
  dropped by the last step's horizon too, and one it keeps, the last step keeps;
- recent articles are ordered by (hour, article id), ties by arrival, and keeping the
  newest `RECENT_ARTICLES` of a union is the same whether cut once or at every step;
- a contribution that finds the subject idle for longer than the retention
  (`indices.idle_too_long`) starts it afresh, as `apply` does: nothing before it survives,
  so the fold drops what it holds but the replay fences and starts again from there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from detente.events import Contribution
from detente.indices import RECENT_ARTICLES, RETENTION_HOURS, afresh, hour_of, lateness_hours


class SubjectFold:
    """One subject's state as of its last `add`ed contribution."""

    __slots__ = ("_base", "_pending", "_sources", "_watermark")

    def __init__(self, state: dict[str, Any]) -> None:
        self._base = state
        self._watermark: int | None = state["watermark_hour"]
        self._sources: dict[str, int] = dict(state.get("sources", {}))
        self._pending: list[tuple[int, Contribution]] = []

    def already_applied(self, contribution: Contribution) -> bool:
        """`indices.already_applied` against the state so far."""
        if contribution.source_partition is None or contribution.source_offset is None:
            return False
        applied = self._sources.get(str(contribution.source_partition))
        return applied is not None and contribution.source_offset <= applied

    def is_late(self, published_at: datetime, lateness: timedelta) -> bool:
        """`indices.is_late` against the state so far."""
        if self._watermark is None:
            return False
        return hour_of(published_at) < self._watermark - lateness_hours(lateness)

    def add(self, contribution: Contribution) -> SubjectFold:
        hour = hour_of(contribution.published_at)
        if self._watermark is not None and hour - self._watermark > RETENTION_HOURS:
            # Idle too long (`indices.idle_too_long`): only the replay fences carry over.
            self._base = afresh({"sources": self._sources})
            self._pending.clear()
            self._watermark = None
        self._watermark = hour if self._watermark is None else max(hour, self._watermark)
        if contribution.source_partition is not None and contribution.source_offset is not None:
            key = str(contribution.source_partition)
            self._sources[key] = max(self._sources.get(key, -1), contribution.source_offset)
        self._pending.append((hour, contribution))
        return self

    def state(self) -> dict[str, Any]:
        """The state with every added contribution (the state given, if none was)."""
        state = self._base
        if not self._pending:
            return state
        buckets = {int(b[0]): list(b) for b in state["buckets"]}
        entries = []
        statements = 0
        for hour, contribution in self._pending:
            bucket = buckets.get(hour)
            if bucket is None:
                bucket = buckets[hour] = [hour, 0.0, 0.0, 0, 0]
            bucket[1] = round(bucket[1] + contribution.hardline_weight, 6)
            bucket[2] = round(bucket[2] + contribution.weight, 6)
            bucket[3] += contribution.statements
            bucket[4] += 1
            statements += contribution.statements
            entries.append(
                [hour, contribution.article_id, contribution.hardline_weight, contribution.weight]
            )
        watermark = self._watermark
        assert watermark is not None  # set by the first `add`
        horizon = watermark - RETENTION_HOURS - 1
        kept = sorted((b for h, b in buckets.items() if h > horizon), key=lambda b: b[0])
        recent = sorted([*state.get("recent", []), *entries], key=lambda e: (e[0], e[1]))
        return {
            **state,
            "sources": dict(self._sources),
            "buckets": kept,
            "watermark_hour": watermark,
            "statements": state["statements"] + statements,
            "articles": state["articles"] + len(self._pending),
            "last": self._pending[-1][1].article_id,
            "recent": [e for e in recent if e[0] > watermark - 24][-RECENT_ARTICLES:],
        }
