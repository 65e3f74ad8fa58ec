"""Log a failure once per change of state, not once per attempt: a feed that answers 503
for a day writes one line when it breaks and one when it recovers."""

from __future__ import annotations

import logging
import threading


class FailureLog:
    def __init__(self, logger: logging.Logger, limit: int = 10_000) -> None:
        self.logger = logger
        self.limit = limit  # pages come and go: forget the oldest past this many
        self._reasons: dict[str, str] = {}
        self._lock = threading.Lock()  # feeds are polled in parallel threads

    def failed(self, what: str, reason: str, detail: str = "") -> bool:
        """Record a failure of `what`; logs (and returns True) only when the reason is new."""
        with self._lock:
            if self._reasons.get(what) == reason:
                return False
            self._reasons.pop(what, None)
            self._reasons[what] = reason
            while len(self._reasons) > self.limit:
                del self._reasons[next(iter(self._reasons))]
        self.logger.warning("%s failed: %s%s", what, reason, f" ({detail})" if detail else "")
        return True

    def succeeded(self, what: str) -> bool:
        """Record a success; logs (and returns True) only when `what` had been failing."""
        with self._lock:
            reason = self._reasons.pop(what, None)
        if reason is None:
            return False
        self.logger.info("%s recovered (was: %s)", what, reason)
        return True

    def failing(self, what: str) -> str | None:
        return self._reasons.get(what)
