"""Being a good citizen: a pace per host, and robots.txt (RFC 9309) read and obeyed."""

from __future__ import annotations

import math
import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass

from detente_producer.ingest.urls import host_of


class HostPacer:
    """At least `interval` seconds between two requests to one host, more when the host's
    robots.txt asks for a Crawl-delay or a Retry-After sent it away. Thread-safe: polls of
    feeds on one host in parallel threads each reserve their own slot."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._next: dict[str, float] = {}
        self._intervals: dict[str, float] = {}
        self._lock = threading.Lock()

    def set_crawl_delay(self, url: str, delay: float | None) -> None:
        if delay is not None and delay > self.interval:
            with self._lock:
                self._intervals[host_of(url)] = delay

    def wait_seconds(self, url: str) -> float:
        """How long to wait before the next request to the URL's host."""
        return max(0.0, self._next.get(host_of(url), 0.0) - self.clock())

    def reserve(self, url: str, max_wait: float = math.inf) -> float:
        """Take the host's next free slot for a request: returns how long to wait for it.
        A slot further away than `max_wait` is not taken (the wait is returned all the same),
        so that a host that asked for quiet is not queued for."""
        host = host_of(url)
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(host, 0.0))
            if slot - now <= max_wait:
                self._next[host] = slot + self._intervals.get(host, self.interval)
            return slot - now

    def defer(self, url: str, seconds: float) -> None:
        """The host asked us (Retry-After) to stay away for `seconds`."""
        host = host_of(url)
        with self._lock:
            self._next[host] = max(self._next.get(host, 0.0), self.clock() + seconds)


@dataclass(frozen=True)
class RobotsAnswer:
    """What fetching /robots.txt gave: its status and text (status 0: unreachable)."""

    status: int
    text: str = ""


# After an unreachable robots.txt or a 5xx, everything is disallowed (RFC 9309, 2.3.1.4),
# but asked again sooner than a successful answer.
_UNREACHABLE_TTL_SECONDS = 600.0


class RobotsRules:
    """robots.txt per host, cached for `ttl` seconds. A 4xx means no rules (allow all);
    a 5xx or no answer means disallow all, for now."""

    def __init__(
        self,
        fetch: Callable[[str], RobotsAnswer],
        user_agent: str,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetch = fetch
        # Robots groups match the product token: "detente-ingest" of "detente-ingest/0.1 (…)".
        self.agent = user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, urllib.robotparser.RobotFileParser]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _parser(self, url: str) -> urllib.robotparser.RobotFileParser:
        """The host's rules; threads that need them at once wait for a single fetch."""
        host = host_of(url)
        with self._locks_lock:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            return self._parser_of(host)

    def _parser_of(self, host: str) -> urllib.robotparser.RobotFileParser:
        cached = self._cache.get(host)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        answer = self.fetch(f"{host}/robots.txt")
        parser = urllib.robotparser.RobotFileParser()
        ttl = self.ttl
        if 200 <= answer.status < 300:
            parser.parse(answer.text.splitlines())
        elif 400 <= answer.status < 500:
            parser.parse([])  # no rules: everything allowed
        else:
            parser.parse(["User-agent: *", "Disallow: /"])
            ttl = min(ttl, _UNREACHABLE_TTL_SECONDS)
        self._cache[host] = (self.clock() + ttl, parser)
        return parser

    def allowed(self, url: str) -> bool:
        return self._parser(url).can_fetch(self.agent, url)

    def crawl_delay(self, url: str) -> float | None:
        delay = self._parser(url).crawl_delay(self.agent)
        return float(delay) if delay is not None else None
