"""The polling loop: each feed at its interval, several feeds at once (a bounded pool of
threads, so one slow host does not hold up the others); each new item's page fetched, its
text extracted and sent once. A broken feed or page is counted and logged, and the others
go on.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from detente.events import MAX_TEXT_CHARS, Article
from detente_producer.ingest.extract import FeedItem, FeedParseError, extract_page, parse_feed
from detente_producer.ingest.failures import FailureLog
from detente_producer.ingest.feeds import Feed
from detente_producer.ingest.fetch import Fetcher, FetchError, Validators
from detente_producer.ingest.language import item_language
from detente_producer.ingest.metrics import IngestMetrics
from detente_producer.ingest.state import Handled, HandledItems, Outcome
from detente_producer.ingest.urls import article_id

log = logging.getLogger("detente_producer.ingest")

# After a failed send (the broker away past the producer's delivery timeout), poll again
# this much later rather than at the feed's interval.
SEND_RETRY_SECONDS = 30.0


class ArticleSink(Protocol):
    def send(self, article: Article) -> None:
        """Returns once the broker has the article; raises when it cannot have it."""


@dataclass
class PollReport:
    feed: str
    result: Literal["ok", "not_modified", "error"] = "ok"
    reason: str | None = None
    sent: list[str] = field(default_factory=list)  # article ids
    duplicates: int = 0
    skipped_language: int = 0
    pending: int = 0  # items whose page failed for now: tried again at the next poll
    abandoned: int = 0


@dataclass(frozen=True)
class _Page:
    text: str = ""
    title: str = ""
    url: str | None = None  # canonical, else where the fetch ended
    published_at: datetime | None = None
    error: FetchError | None = None


class Ingester:
    def __init__(
        self,
        feeds: Sequence[Feed],
        fetcher: Fetcher,
        sink: ArticleSink,
        state: HandledItems,
        metrics: IngestMetrics,
        *,
        languages: Sequence[str] = ("en",),
        max_item_attempts: int = 3,
        workers: int = 4,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.feeds = list(feeds)
        self.fetcher = fetcher
        self.sink = sink
        self.state = state
        self.metrics = metrics
        self.languages = set(languages)
        self.max_item_attempts = max_item_attempts
        self.workers = max(1, workers)
        self.now = now
        self.failures = FailureLog(log)
        self._attempts: dict[str, int] = {}  # link key -> passing page failures so far
        # Per feed, the link keys of its last poll that are handled: skipped quietly, so
        # that only an item new to this run counts as a duplicate.
        self._known: dict[str, set[str]] = {}
        # Feeds are polled in parallel threads. A link is handled by one thread at a time
        # (the same story in two feeds is fetched once), and the check that a story is new
        # and its send are one step, so that two feeds never both send it.
        self._lock = threading.Lock()
        self._in_hand: set[str] = set()
        self._sending = threading.Lock()

    def poll(self, feed: Feed) -> PollReport:
        """Poll one feed and handle its new items. Only a failed send raises (KafkaError):
        nothing else of this feed can be sent either, and the next poll tries again."""
        report = PollReport(feed.name)
        self.state.refresh()
        # The validators kept in the state (by this run, an earlier one or another replica)
        # are the ones sent: the first poll after a restart can be a 304 too.
        self.fetcher.remember(feed.url, self.state.validators(feed.url) or Validators())
        try:
            fetched = self.fetcher.get(feed.url, "feed")
            items = (
                [] if fetched is None
                else parse_feed(fetched.body, fetched.url, fetched.content_type)
            )  # fmt: skip
        except (FetchError, FeedParseError) as error:
            reason = error.reason if isinstance(error, FetchError) else "malformed_feed"
            self.metrics.poll_failed(feed.name, reason)
            self.failures.failed(f"feed {feed.name}", reason, str(error))
            report.result, report.reason = "error", reason
            return report
        self.failures.succeeded(f"feed {feed.name}")
        if fetched is None:
            report.result = "not_modified"
            self.metrics.poll_succeeded(feed.name, modified=False)
            return report
        # Oldest first, so event time moves forward; undated items keep the feed's order.
        known = self._known.get(feed.name, set())
        elsewhere: set[str] = set()  # links another thread was handling: not ours to skip
        for item in sorted(items, key=lambda i: i.published_at or datetime.max.replace(tzinfo=UTC)):
            if article_id(item.link) not in known and not self._handle(feed, item, report):
                elsewhere.add(article_id(item.link))
        links = {article_id(item.link) for item in items} - elsewhere
        self._known[feed.name] = {key for key in links if self.state.seen(key)}
        if report.pending == 0:
            # Only now: a 304 next time must not hide an item whose page is still to come.
            self.state.keep_validators(feed.url, fetched.validators, self.now())
        self.metrics.poll_succeeded(feed.name, modified=True)
        return report

    def _mark(self, keys: set[str], outcome: Outcome, feed: Feed, article: str | None) -> None:
        handled = Handled(outcome, feed.name, self.now(), article)
        for key in sorted(keys):
            self.state.mark(key, handled)

    @contextmanager
    def _holding(self, key: str) -> Iterator[bool]:
        """Whether this thread has the key to itself (another one may be handling it)."""
        with self._lock:
            taken = key not in self._in_hand
            self._in_hand.add(key)
        try:
            yield taken
        finally:
            if taken:
                with self._lock:
                    self._in_hand.discard(key)

    def _handle(self, feed: Feed, item: FeedItem, report: PollReport) -> bool:
        """Handle the item; False when another thread was handling its link."""
        with self._holding(article_id(item.link)) as mine:
            if mine:
                self._handle_link(feed, item, report)
            else:
                # Another feed's poll is handling the same link right now: that poll's. Pending
                # here, so that this feed's validators are not kept and its next poll (a full
                # GET) sees how it ended, and counts it as a duplicate if it was sent.
                report.pending += 1
            return mine

    def _handle_link(self, feed: Feed, item: FeedItem, report: PollReport) -> None:
        self.state.refresh()  # another replica may have sent it a moment ago
        link_key = article_id(item.link)
        if self.state.seen(link_key):
            report.duplicates += 1
            self.metrics.duplicates.labels(feed.name).inc()
            return
        page = self._page(feed, item.link)
        attempts = self._attempts.get(link_key, 0) + 1
        if page.error is not None and page.error.transient and attempts < self.max_item_attempts:
            self._attempts[link_key] = attempts
            report.pending += 1
            return
        self._attempts.pop(link_key, None)
        text = page.text or item.summary
        if not text:
            report.abandoned += 1
            self.metrics.abandoned.labels(feed.name).inc()
            self._mark({link_key}, "abandoned", feed, None)
            return
        url = page.url or item.link
        with self._sending:
            self._decide(feed, item, report, page, link_key, text, url)

    def _decide(
        self, feed: Feed, item: FeedItem, report: PollReport, page: _Page, link_key: str,
        text: str, url: str,
    ) -> None:  # fmt: skip
        """Send the story unless it is known or in another language (one thread at a time)."""
        story = article_id(url)
        if story != link_key and self.state.seen(story):
            report.duplicates += 1
            self.metrics.duplicates.labels(feed.name).inc()
            self._mark({link_key}, "duplicate", feed, story)
            return
        language = item_language(feed.language, item.language, text)
        if language not in self.languages:
            report.skipped_language += 1
            self.metrics.skipped_language.labels(feed.name, language or "unknown").inc()
            self._mark({link_key, story}, "skipped_language", feed, story)
            return
        article = Article(
            id=story,
            published_at=item.published_at or page.published_at or self.now(),
            source=feed.name,
            url=url if len(url) <= 2000 else "",
            title=(item.title or page.title)[:1000],
            text=text[:MAX_TEXT_CHARS],
            language=language,
        )
        self.sink.send(article)
        self._mark({link_key, story}, "sent", feed, story)
        report.sent.append(story)
        self.metrics.sent.labels(feed.name).inc()
        if not page.text:
            self.metrics.summary_fallbacks.labels(feed.name).inc()

    def _page(self, feed: Feed, link: str) -> _Page:
        """The item's page, extracted; or why not (the feed's summary may stand in)."""
        try:
            fetched = self.fetcher.get(link, "page")
        except FetchError as error:
            self.metrics.page_failed(feed.name, error.reason)
            self.failures.failed(f"page {link}", error.reason, error.detail)
            return _Page(error=error)
        if fetched is None:  # never conditional for pages, but a server may still say 304
            return _Page()
        try:
            content = extract_page(fetched.body, fetched.url)
        except Exception as exc:  # a parser crash on one odd page must not stop the feed
            self.metrics.page_failed(feed.name, "extraction_error")
            self.failures.failed(f"page {link}", "extraction_error", repr(exc))
            return _Page(url=fetched.url)
        if not content.text:
            self.metrics.page_failed(feed.name, "no_text")
            self.failures.failed(f"page {link}", "no_text")
        else:
            self.failures.succeeded(f"page {link}")
        return _Page(content.text, content.title, content.canonical_url or fetched.url,
                     content.published_at)  # fmt: skip

    def poll_all(self) -> list[PollReport]:
        """Poll every feed once, `workers` at a time; reports in the feeds' order. A failed
        send raises, as from `poll`."""
        with ThreadPoolExecutor(self.workers, thread_name_prefix="detente-poll") as pool:
            return list(pool.map(self.poll, self.feeds))

    def run(self, stop: threading.Event, clock: Callable[[], float] = time.monotonic) -> None:
        """Poll every feed at its interval until `stop` is set, up to `workers` feeds at
        once: a feed whose host hangs holds one worker, not the others' polls. A feed is
        never polled twice at once; its next poll is due its interval after this one began.
        On stop, polls under way are let finish."""
        due = {feed.name: clock() for feed in self.feeds}
        running: dict[str, Future[PollReport]] = {}
        woken = threading.Event()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="detente-poll") as pool:
            while not stop.is_set():
                woken.clear()
                for feed in self.feeds:
                    done = running.get(feed.name)
                    if done is not None and done.done():
                        del running[feed.name]
                        if done.exception() is not None:
                            # A send that failed (broker away) or a bug: this feed again
                            # soon, the others go on.
                            log.error("feed %s: poll failed", feed.name,
                                      exc_info=done.exception())  # fmt: skip
                            due[feed.name] = clock() + min(feed.poll_seconds, SEND_RETRY_SECONDS)
                for feed in self.feeds:
                    if feed.name not in running and due[feed.name] <= clock():
                        due[feed.name] = clock() + feed.poll_seconds
                        running[feed.name] = pool.submit(self.poll, feed)
                        running[feed.name].add_done_callback(lambda _: woken.set())
                idle = [due[f.name] for f in self.feeds if f.name not in running]
                wait = min(idle, default=math.inf) - clock()
                # Woken by a finished poll or the next due feed; a glance at `stop` each second.
                woken.wait(max(0.0, min(wait, 1.0)))
