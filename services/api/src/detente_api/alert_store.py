"""The newest tension alerts, as the API shows them (pure Python, no Kafka here)."""

from __future__ import annotations

import heapq
from datetime import datetime

from detente.events import TensionAlert

# Alerts kept in memory: the newest (by `as_of`, then `raised_at`, then id) win.
MAX_ALERTS = 1000
_AlertKey = tuple[datetime, datetime, str]


def _alert_key(alert: TensionAlert) -> _AlertKey:
    return (alert.as_of, alert.raised_at, alert.alert_id)


class AlertStore:
    def __init__(self, max_alerts: int = MAX_ALERTS) -> None:
        if max_alerts < 1:
            raise ValueError("max_alerts must be at least 1")
        self._max_alerts = max_alerts
        self._alerts: dict[str, tuple[_AlertKey, TensionAlert]] = {}  # alert id -> alert
        # Min-heap of (key, alert id) to evict the oldest; entries replaced since are stale.
        self._heap: list[tuple[_AlertKey, str]] = []

    def apply(self, alert: TensionAlert) -> bool:
        """Keep an alert (the newest `max_alerts` by `as_of`); False if it was held already.

        The kept set depends only on which alerts arrived, not on their order, so replicas
        agree. A redelivered alert replaces the one with its id and is published only if
        it differs (the caller publishes what this returns True for)."""
        key = _alert_key(alert)
        previous = self._alerts.get(alert.alert_id)
        if previous is not None and previous[1] == alert:
            return False
        self._alerts[alert.alert_id] = (key, alert)
        heapq.heappush(self._heap, (key, alert.alert_id))
        while len(self._alerts) > self._max_alerts:
            oldest, alert_id = heapq.heappop(self._heap)
            kept = self._alerts.get(alert_id)
            if kept is not None and kept[0] == oldest:
                del self._alerts[alert_id]
        if len(self._heap) > 2 * len(self._alerts) + 1024:
            self._heap = [(k, i) for i, (k, _) in self._alerts.items()]
            heapq.heapify(self._heap)
        return True

    def query(
        self,
        *,
        subject: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[TensionAlert]]:
        """(total, page) of alerts, newest `as_of` first; `actor`: alerts whose subject
        involves it; `since`: `as_of` at or after it."""
        selected = [
            alert
            for _, alert in self._alerts.values()
            if (subject is None or alert.subject == subject)
            and (actor is None or actor in alert.actors)
            and (since is None or alert.as_of >= since)
        ]
        selected.sort(key=_alert_key, reverse=True)
        return len(selected), selected[offset : offset + limit]
