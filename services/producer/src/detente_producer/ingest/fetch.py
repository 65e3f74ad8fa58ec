"""HTTP for feeds and pages, politely: conditional GET, per-host pacing, robots.txt,
timeouts, a size cap read as a stream, content-type checks, and retries with backoff that
honour Retry-After. Every failure is a `FetchError` with a stable `reason` (a metric label).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urljoin

import httpx

from detente_producer.ingest.politeness import HostPacer, RobotsAnswer, RobotsRules
from detente_producer.ingest.settings import FetchPolicy

Kind = Literal["feed", "page"]

# Media types accepted per kind; a missing Content-Type is let through to the parser, and so
# is octet-stream for feeds (static servers send it for a file without a known extension;
# feedparser refuses what is not a feed).
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml",
               "application/xml", "text/xml", "text/plain", "application/octet-stream"}  # fmt: skip
_PAGE_TYPES = {"text/html", "application/xhtml+xml"}
_TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}
_REDIRECTS = {301, 302, 303, 307, 308}
MAX_ROBOTS_BYTES = 512 * 1024


class FetchError(Exception):
    """A failed fetch. `reason` is a short stable code: timeout, connection, http_503,
    too_large, content_type, robots_disallowed, host_backoff, too_many_redirects."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Worth trying again later: the same request may well succeed."""
        if self.reason in {"timeout", "connection", "host_backoff"}:
            return True
        return self.reason.startswith("http_") and int(self.reason[5:]) in _TRANSIENT_STATUSES


@dataclass(frozen=True)
class Validators:
    """What a conditional GET sends back: the answer's ETag and Last-Modified."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    body: bytes
    content_type: str
    validators: Validators


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _type_allowed(kind: Kind, content_type: str) -> bool:
    if not content_type:
        return True
    media = media_type(content_type)
    if kind == "feed":
        return media in _FEED_TYPES or media.endswith("+xml")
    return media in _PAGE_TYPES


class Fetcher:
    """GETs feeds and pages for one process, from any number of polling threads: the pace
    per host and the robots.txt cache are shared and locked, httpx's client is thread-safe."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.client = client or httpx.Client(
            headers={"User-Agent": policy.user_agent},
            timeout=httpx.Timeout(
                policy.read_timeout_seconds, connect=policy.connect_timeout_seconds
            ),
            follow_redirects=False,  # followed here, so each hop is paced and robots-checked
        )
        self.sleep = sleep
        self.clock = clock
        self.pacer = HostPacer(policy.host_interval_seconds, clock)
        self.robots = RobotsRules(
            self._fetch_robots, policy.user_agent, policy.robots_ttl_seconds, clock
        )
        self._validators: dict[str, Validators] = {}

    def close(self) -> None:
        self.client.close()

    def remember(self, url: str, validators: Validators) -> None:
        """Send these validators with the next GET of `url` (after its items were handled)."""
        self._validators[url] = validators

    def get(self, url: str, kind: Kind) -> Fetched | None:
        """The resource, or None when a conditional GET answered 304 Not Modified."""
        attempt = 0
        while True:
            try:
                return self._follow(url, kind)
            except FetchError as error:
                final = not error.transient or error.reason == "host_backoff"
                if final or attempt >= self.policy.retries:
                    if error.retry_after is not None:
                        self.pacer.defer(url, error.retry_after)
                    raise
                wait = error.retry_after
                if wait is None:
                    wait = self.policy.backoff_seconds * 2**attempt
                if wait > self.policy.max_retry_after_seconds:
                    self.pacer.defer(url, wait)  # stay away as asked; try at a later poll
                    raise
                self.sleep(wait)
                attempt += 1

    def _follow(self, url: str, kind: Kind) -> Fetched | None:
        headers = self._validators.get(url, Validators()).headers() if kind == "feed" else {}
        current = url
        for _ in range(self.policy.max_redirects + 1):
            if not self.robots.allowed(current):
                raise FetchError("robots_disallowed", current)
            self.pacer.set_crawl_delay(current, self.robots.crawl_delay(current))
            answer = self._request(current, kind, headers)
            if isinstance(answer, str):
                current = answer
                continue
            return answer
        raise FetchError("too_many_redirects", url)

    def _paced(self, url: str) -> None:
        wait = self.pacer.reserve(url, max_wait=self.policy.max_retry_after_seconds)
        if wait > self.policy.max_retry_after_seconds:
            raise FetchError("host_backoff", f"{url}: the host asked for {wait:.0f}s of quiet")
        if wait > 0:
            self.sleep(wait)

    def _request(self, url: str, kind: Kind, headers: dict[str, str]) -> Fetched | str | None:
        """One GET: the resource, None for 304, or the URL a redirect points to."""
        self._paced(url)
        limit = self.policy.max_feed_bytes if kind == "feed" else self.policy.max_page_bytes
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS and "location" in response.headers:
                    return urljoin(url, response.headers["location"])
                if status == 304:
                    return None
                if status != 200:
                    retry_after = retry_after_seconds(response.headers.get("retry-after"))
                    raise FetchError(f"http_{status}", url, retry_after)
                content_type = response.headers.get("content-type", "")
                if not _type_allowed(kind, content_type):
                    raise FetchError("content_type", f"{url}: {media_type(content_type)}")
                body = self._read_capped(response, url, limit)
                validators = Validators(
                    response.headers.get("etag"), response.headers.get("last-modified")
                )
                return Fetched(str(response.url), body, content_type, validators)
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", f"{url}: {type(exc).__name__}") from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise FetchError("connection", f"{url}: {exc}") from exc

    def _read_capped(self, response: httpx.Response, url: str, limit: int) -> bytes:
        """The body, read as a stream and abandoned at `limit` bytes (decoded size, so a
        small gzip bomb is caught too) or at the total timeout."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError("too_large", f"{url}: {declared} bytes declared")
        started = self.clock()
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError("too_large", f"{url}: more than {limit} bytes")
            if self.clock() - started > self.policy.total_timeout_seconds:
                raise FetchError("timeout", f"{url}: body still arriving")
            chunks.append(chunk)
        return b"".join(chunks)

    def _fetch_robots(self, robots_url: str) -> RobotsAnswer:
        """robots.txt itself: paced, not retried, not checked against itself."""
        try:
            self._paced(robots_url)
            with self.client.stream("GET", robots_url, follow_redirects=True) as response:
                if response.status_code != 200:
                    return RobotsAnswer(response.status_code)
                body = self._read_capped(response, robots_url, MAX_ROBOTS_BYTES)
                return RobotsAnswer(200, body.decode("utf-8", errors="replace"))
        except (httpx.HTTPError, FetchError):
            return RobotsAnswer(0)
