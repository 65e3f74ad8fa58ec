"""The ingester end to end but for Kafka: the team's feeds and pages on a local HTTP server,
the state in memory, sent articles in a list."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from detente.events import Article
from detente_producer.ingest import service
from detente_producer.ingest.feeds import Feed
from detente_producer.ingest.fetch import Fetcher
from detente_producer.ingest.metrics import IngestMetrics
from detente_producer.ingest.service import Ingester
from detente_producer.ingest.settings import FetchPolicy
from detente_producer.ingest.state import MemoryState
from detente_producer.ingest.urls import article_id

from feed_site import SITE_FILES, FeedSite, Reply

NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
STORY = (
    "<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
    "<article><h1>{title}</h1><p>{text}</p><p>{text}</p></article></body></html>"
)


class Sink(list[Article]):
    def send(self, article: Article) -> None:
        self.append(article)


def feed(name: str, url: str, language: str | None = None) -> Feed:
    return Feed(name=name, url=url, language=language, poll_seconds=60)


class Run:
    """An ingester wired to the site, with its sink, state and metrics at hand."""

    def __init__(
        self, feeds: list[Feed], state: MemoryState | None = None, workers: int = 4,
        **policy: object,
    ):  # fmt: skip
        self.feeds = feeds
        self.sink = Sink()
        self.state = state if state is not None else MemoryState()
        self.registry = CollectorRegistry()
        self.metrics = IngestMetrics(self.registry, feeds)
        settings = {"host_interval_seconds": 0.0, "backoff_seconds": 0.0, "retries": 0, **policy}
        fetcher = Fetcher(FetchPolicy.model_validate(settings), sleep=lambda _: None)
        self.ingester = Ingester(feeds, fetcher, self.sink, self.state, self.metrics,
                                 max_item_attempts=2, workers=workers, now=lambda: NOW)  # fmt: skip

    def poll_all(self) -> None:
        for each in self.feeds:
            self.ingester.poll(each)

    def value(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0

    @contextlib.contextmanager
    def looping(self) -> Iterator[None]:
        """The ingester's loop in a thread, stopped (and joined) on leaving."""
        stop = threading.Event()
        loop = threading.Thread(target=self.ingester.run, args=(stop,))
        loop.start()
        try:
            yield
        finally:
            stop.set()
            loop.join(timeout=90)
            assert not loop.is_alive()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """A generous deadline for things that take milliseconds: it only bounds a failure."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.02)


def rss(site: FeedSite, *items: tuple[str, str, str]) -> bytes:
    """An RSS 2.0 feed of (title, path, description) items, undated."""
    body = "".join(
        f"<item><title>{title}</title><link>{site.url(path)}</link>"
        f"<description>{summary}</description></item>"
        for title, path, summary in items
    )
    channel = f"<channel><title>t</title>{body}</channel>"
    return f"<?xml version='1.0'?><rss version='2.0'>{channel}</rss>".encode()


def test_rss_and_atom_stories_are_sent_once_with_their_fields(site: FeedSite):
    site.serve_site()
    world, regional = (
        feed("Meridian world", site.url("/world.rss")),
        feed("Meridian regions", site.url("/regional.atom")),
    )
    run = Run([world, regional])
    run.poll_all()

    by_url = {article.url: article for article in run.sink}
    assert sorted(by_url) == sorted(
        site.url(f"/news/{name}.html")
        for name in ("ceasefire-talks", "border-warning", "restraint-call", "harbour-dispute")
    )
    talks = by_url[site.url("/news/ceasefire-talks.html")]
    assert talks.id == article_id(talks.url)
    assert talks.source == "Meridian world"
    assert talks.title == "Macron offers to host ceasefire talks; Lavrov rejects the idea"
    assert talks.published_at == datetime(2026, 3, 3, 9, 15, tzinfo=UTC)
    assert talks.language == "en"
    assert talks.text.startswith("French President Emmanuel Macron said on Tuesday")
    assert "Advertisement" not in talks.text
    # Undated in the feed: dated by its page.
    restraint = by_url[site.url("/news/restraint-call.html")]
    assert restraint.published_at == datetime(2026, 3, 5, 3, 0, tzinfo=UTC)

    # The border story came through both feeds (tracking parameters in one, a fragment
    # in the other): sent by the first, a duplicate for the second.
    assert [a.url for a in run.sink].count(site.url("/news/border-warning.html")) == 1
    assert run.value("detente_ingest_duplicates_total", feed="Meridian regions") == 1
    assert run.value("detente_ingest_articles_sent_total", feed="Meridian world") == 3
    assert run.value("detente_ingest_articles_sent_total", feed="Meridian regions") == 1
    assert run.value("detente_ingest_polls_total", feed="Meridian world", result="ok") == 1


def test_unchanged_feeds_answer_304_and_no_page_is_fetched_again(site: FeedSite):
    site.serve_file("/world.rss", "world.rss", ETag='"w1"')
    site.serve_site()
    site.serve_file("/world.rss", "world.rss", ETag='"w1"')
    world = feed("world", site.url("/world.rss"))
    run = Run([world])
    run.poll_all()
    pages_before = [r.path for r in site.requests if r.path.startswith("/news/")]
    run.poll_all()
    run.poll_all()
    assert len(run.sink) == 3
    assert [r.path for r in site.requests if r.path.startswith("/news/")] == pages_before
    assert run.value("detente_ingest_polls_total", feed="world", result="not_modified") == 2
    assert len(site.hits("/world.rss")) == 3


def test_after_a_restart_nothing_is_sent_or_fetched_again(site: FeedSite):
    site.serve_site()
    world = feed("world", site.url("/world.rss"))
    first = Run([world])
    first.poll_all()
    pages = len([r for r in site.requests if r.path.startswith("/news/")])

    # A new process that read the same state back (the Kafka topic, in production).
    second = Run([world], state=first.state)
    second.poll_all()
    assert second.sink == []
    assert len([r for r in site.requests if r.path.startswith("/news/")]) == pages
    # Each item was new to the second process and already sent: counted as a duplicate once.
    assert second.value("detente_ingest_duplicates_total", feed="world") == 3
    second.poll_all()
    assert second.value("detente_ingest_duplicates_total", feed="world") == 3


def test_validators_are_kept_in_the_state_and_survive_a_restart(site: FeedSite):
    site.serve_site()
    site.serve_file(
        "/world.rss", "world.rss", ETag='"w1"', **{"Last-Modified": "Tue, 03 Mar 2026 10:00:00 GMT"}
    )
    world = feed("world", site.url("/world.rss"))
    first = Run([world])
    first.poll_all()
    kept = first.state.validators(world.url)
    assert kept is not None
    assert (kept.etag, kept.last_modified) == ('"w1"', "Tue, 03 Mar 2026 10:00:00 GMT")

    # A new process on the same state: its very first request is conditional, and a 304.
    second = Run([world], state=first.state)
    second.poll_all()
    last = site.hits("/world.rss")[-1]
    assert last.headers.get("If-None-Match") == '"w1"'
    assert last.headers.get("If-Modified-Since") == "Tue, 03 Mar 2026 10:00:00 GMT"
    assert second.value("detente_ingest_polls_total", feed="world", result="not_modified") == 1
    assert second.sink == []


def test_a_broken_feed_is_counted_logged_once_and_stops_nothing(
    site: FeedSite, caplog: pytest.LogCaptureFixture
):
    site.serve_site()
    site.route("/broken.rss", Reply(200, b"<rss><channel><item><title>cut o", RSS))
    site.route("/down.rss", Reply(503, b"maintenance"))
    broken, down = feed("broken", site.url("/broken.rss")), feed("down", site.url("/down.rss"))
    good = feed("good", site.url("/regional.atom"))
    run = Run([broken, down, good])
    with caplog.at_level(logging.INFO, logger="detente_producer.ingest"):
        run.poll_all()
        run.poll_all()
    assert {a.source for a in run.sink} == {"good"} and len(run.sink) == 2
    assert run.value("detente_ingest_fetch_errors_total", feed="broken", target="feed",
                     reason="malformed_feed") == 2  # fmt: skip
    assert run.value("detente_ingest_fetch_errors_total", feed="down", target="feed",
                     reason="http_503") == 2  # fmt: skip
    assert run.value("detente_ingest_polls_total", feed="down", result="error") == 2
    failures = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert len([m for m in failures if m.startswith("feed broken")]) == 1
    assert len([m for m in failures if m.startswith("feed down")]) == 1

    site.route("/down.rss", Reply(200, rss(site, ("Back", "/news/harbour-dispute.html", "x")), RSS))
    with caplog.at_level(logging.INFO, logger="detente_producer.ingest"):
        run.ingester.poll(down)
    assert any(r.getMessage().startswith("feed down recovered") for r in caplog.records)


def test_other_languages_are_skipped_counted_and_not_fetched_again(site: FeedSite):
    text = ("Le ministre des affaires étrangères a déclaré lundi que les négociations "
            "reprendraient la semaine prochaine à Genève, après des mois de silence.")  # fmt: skip
    site.route("/fr.html", Reply(200, STORY.format(title="Reprise", text=text).encode(), HTML))
    site.route("/feed.rss", Reply(200, rss(site, ("Reprise des pourparlers", "/fr.html", "")), RSS))
    run = Run([feed("mixed", site.url("/feed.rss"))])
    run.poll_all()
    run.poll_all()
    assert run.sink == []
    assert run.value("detente_ingest_skipped_language_total", feed="mixed", language="fr") == 1
    assert len(site.hits("/fr.html")) == 1


def test_a_configured_language_is_trusted(site: FeedSite):
    text = "The minister said that talks would resume next week in Geneva. " * 3
    site.route("/en.html", Reply(200, STORY.format(title="Talks", text=text).encode(), HTML))
    site.route("/feed.rss", Reply(200, rss(site, ("Talks", "/en.html", "")), RSS))
    run = Run([feed("declared german", site.url("/feed.rss"), language="de")])
    run.poll_all()
    assert run.sink == []
    assert run.value("detente_ingest_skipped_language_total", feed="declared german",
                     language="de") == 1  # fmt: skip


def test_pages_that_give_no_text_fall_back_to_the_summary(site: FeedSite):
    site.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /members/\n"))
    site.route("/report.pdf", Reply(200, b"%PDF-1.7", {"Content-Type": "application/pdf"}))
    site.route("/huge.html", Reply(200, headers=HTML, unannounced_bytes=20 * 1024 * 1024))
    summary = "The foreign ministry said the talks had been constructive and would continue."
    site.route("/feed.rss", Reply(200, rss(
        site,
        ("Report", "/report.pdf", summary),
        ("Huge", "/huge.html", summary + " Huge."),
        ("Members", "/members/story.html", summary + " Members."),
        ("Empty", "/nothing.pdf", ""),
    ), RSS))  # fmt: skip
    site.route("/nothing.pdf", Reply(200, b"%PDF", {"Content-Type": "application/pdf"}))
    run = Run([feed("wire", site.url("/feed.rss"))], max_page_bytes=1024 * 1024)
    run.poll_all()

    assert sorted(a.title for a in run.sink) == ["Huge", "Members", "Report"]
    assert all(a.text.startswith(summary) for a in run.sink)
    assert site.hits("/members/story.html") == []  # robots.txt said no
    for reason in ("content_type", "too_large", "robots_disallowed"):
        assert run.value("detente_ingest_fetch_errors_total", feed="wire", target="page",
                         reason=reason) >= 1, reason  # fmt: skip
    assert run.value("detente_ingest_summary_fallbacks_total", feed="wire") == 3
    # No page text and no summary: given up, and not fetched again.
    assert run.value("detente_ingest_items_abandoned_total", feed="wire") == 1
    run.poll_all()
    assert len(site.hits("/nothing.pdf")) == 1


def test_undated_items_on_undated_pages_get_the_time_they_were_first_seen(site: FeedSite):
    text = "The minister said that talks would resume next week in Geneva. " * 3
    site.route("/undated.html", Reply(200, STORY.format(title="Talks", text=text).encode(), HTML))
    site.route("/feed.rss", Reply(200, rss(site, ("Talks", "/undated.html", "")), RSS))
    run = Run([feed("wire", site.url("/feed.rss"))])
    run.poll_all()
    (article,) = run.sink
    assert article.published_at == NOW


def test_a_page_that_fails_for_now_is_tried_again_at_the_next_poll(site: FeedSite):
    text = "The minister said that talks would resume next week in Geneva. " * 3
    site.route("/story.html", Reply(503, b"busy"),
               Reply(200, STORY.format(title="Talks", text=text).encode(), HTML))  # fmt: skip
    site.route("/feed.rss", Reply(200, rss(site, ("Talks", "/story.html", "short summary")),
                                  {**RSS, "ETag": '"1"'}))  # fmt: skip
    run = Run([feed("wire", site.url("/feed.rss"))])
    run.poll_all()
    assert run.sink == []  # not sent with the summary while the page may still come
    run.poll_all()  # the feed is fetched in full again: no validators kept while pending
    (article,) = run.sink
    assert article.text.startswith("The minister said")
    assert run.value("detente_ingest_fetch_errors_total", feed="wire", target="page",
                     reason="http_503") == 1  # fmt: skip


def test_the_loop_polls_until_stopped(site: FeedSite):
    site.serve_site()
    run = Run([feed("world", site.url("/world.rss")), feed("regions", site.url("/regional.atom"))])
    stop = threading.Event()
    loop = threading.Thread(target=run.ingester.run, args=(stop,))
    loop.start()
    try:
        for _ in range(600):
            if len(run.sink) == 4:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        loop.join(timeout=30)
    assert not loop.is_alive()
    assert len(run.sink) == 4


def test_staleness_counts_from_the_last_successful_poll(site: FeedSite):
    site.serve_site()
    clock = [100.0]
    world = feed("world", site.url("/world.rss"))
    registry = CollectorRegistry()
    metrics = IngestMetrics(registry, [world], clock=lambda: clock[0])
    clock[0] = 400.0
    assert (
        registry.get_sample_value("detente_ingest_feed_staleness_seconds", {"feed": "world"}) == 300
    )
    metrics.poll_succeeded("world", modified=True)
    clock[0] = 430.0
    assert (
        registry.get_sample_value("detente_ingest_feed_staleness_seconds", {"feed": "world"}) == 30
    )
    metrics.poll_failed("world", "timeout")
    clock[0] = 500.0
    assert (
        registry.get_sample_value("detente_ingest_feed_staleness_seconds", {"feed": "world"}) == 100
    )
    assert (
        registry.get_sample_value("detente_ingest_feed_poll_interval_seconds", {"feed": "world"})
        == 60
    )


def test_a_hanging_feed_does_not_hold_up_the_others(site: FeedSite):
    site.serve_site()
    release = threading.Event()
    site.route("/hanging.rss", Reply(200, rss(site, ("Late", "/news/late.html", "x")), RSS,
                                     hold=release))  # fmt: skip
    hanging = feed("hanging", site.url("/hanging.rss"))  # first: polled first in turn
    world = feed("world", site.url("/world.rss"))
    run = Run([hanging, world], workers=2)
    try:
        with run.looping():
            wait_until(lambda: len(run.sink) == 3, "the healthy feed's three stories")
            # All of it happened while the hanging feed's answer was still held back.
            assert not release.is_set()
            assert len(site.hits("/hanging.rss")) == 1
            assert run.value("detente_ingest_polls_total", feed="world", result="ok") == 1
            for result in ("ok", "not_modified", "error"):
                assert run.value("detente_ingest_polls_total", feed="hanging", result=result) == 0
            release.set()
            wait_until(
                lambda: run.value("detente_ingest_polls_total", feed="hanging", result="ok") == 1,
                "the hanging feed's poll to finish once answered",
            )
    finally:
        release.set()


def test_no_more_feeds_than_workers_are_polled_at_once(site: FeedSite):
    release = threading.Event()
    hanging = [feed(f"hanging {n}", site.route(f"/h{n}.rss", Reply(200, rss(site), RSS,
                                                                   hold=release)))
               for n in range(3)]  # fmt: skip
    run = Run(hanging, workers=2)
    try:
        with run.looping():
            wait_until(lambda: len({r.path for r in site.requests}) >= 2, "two feeds asked")
            time.sleep(0.3)  # room for a third request, were there a third worker
            assert sorted(r.path for r in site.requests if r.path != "/robots.txt") == [
                "/h0.rss",
                "/h1.rss",
            ]
            release.set()
            wait_until(lambda: len(site.hits("/h2.rss")) == 1, "the third feed, once one is free")
    finally:
        release.set()


def test_the_pace_per_host_holds_across_parallel_polls(site: FeedSite):
    site.serve_site()
    interval = 0.25
    run = Run([feed("world", site.url("/world.rss")), feed("regions", site.url("/regional.atom"))],
              workers=2, host_interval_seconds=interval)  # fmt: skip
    fetcher = run.ingester.fetcher
    fetcher.sleep = time.sleep  # really wait for the slots
    started = time.monotonic()
    reports = run.ingester.poll_all()
    assert [r.feed for r in reports] == ["world", "regions"]
    assert len(run.sink) == 4
    # One host: robots.txt once, then every request in a slot of its own. The k-th request
    # to arrive came at least k intervals after the start, however the threads interleaved
    # (lower bounds only: a slow machine only spreads them further).
    arrivals = sorted(r.at for r in site.requests)
    assert len(site.hits("/robots.txt")) == 1
    assert len(arrivals) >= 7
    for k, at in enumerate(arrivals):
        assert at >= started + k * interval - 0.01, (k, at - started)


class FlakySink(Sink):
    """Refuses the first send, as a broker that is away would."""

    def send(self, article: Article) -> None:
        if not hasattr(self, "refused"):
            self.refused = article.id
            raise RuntimeError("broker away")
        super().send(article)


def test_a_failed_send_is_retried_soon_and_stops_no_other_feed(
    site: FeedSite, monkeypatch: pytest.MonkeyPatch
):
    site.serve_site()
    monkeypatch.setattr(service, "SEND_RETRY_SECONDS", 0.2)
    run = Run([feed("world", site.url("/world.rss")), feed("regions", site.url("/regional.atom"))])
    run.sink = run.ingester.sink = FlakySink()
    with run.looping():
        wait_until(lambda: len(run.sink) == 4, "every story, the refused one again")
    assert run.sink.refused in {a.id for a in run.sink}
    assert len({a.id for a in run.sink}) == 4


def held_page(site: FeedSite, path: str, release: threading.Event) -> str:
    """A page of the team's site that is answered only once `release` is set."""
    page = (SITE_FILES / path.lstrip("/")).read_text().replace("{site}", site.base)
    site.route(path, Reply(200, page.encode(), HTML, hold=release))
    return path


def test_a_story_two_feeds_reach_at_once_is_fetched_and_sent_once(site: FeedSite):
    site.serve_site()
    border_ready, harbour_ready = threading.Event(), threading.Event()
    border = held_page(site, "/news/border-warning.html", border_ready)
    harbour = held_page(site, "/news/harbour-dispute.html", harbour_ready)
    world = feed("world", site.url("/world.rss"))
    regions = feed("regions", site.url("/regional.atom"))  # border first, then harbour
    run = Run([world, regions])
    reports = []
    polls = [
        threading.Thread(target=run.ingester.poll, args=(world,)),
        threading.Thread(target=lambda: reports.append(run.ingester.poll(regions))),
    ]
    try:
        polls[0].start()
        wait_until(lambda: len(site.hits(border)) == 1, "the world feed fetching the story")
        polls[1].start()  # reaches the same link while the world feed has it in hand
        wait_until(lambda: len(site.hits(harbour)) == 1, "the regions feed at its next item")
        border_ready.set()
        polls[0].join(timeout=60)  # the story is sent before the regions poll ends
        harbour_ready.set()
        polls[1].join(timeout=60)
    finally:
        border_ready.set()
        harbour_ready.set()
    (report,) = reports
    assert report.pending == 1 and report.duplicates == 0
    assert len(site.hits(border)) == 1
    assert [a.source for a in run.sink if a.url == site.url(border)] == ["world"]
    # Its next poll sees how it ended: a duplicate, counted once.
    again = run.ingester.poll(regions)
    assert again.duplicates == 1 and again.pending == 0 and again.sent == []
    assert run.value("detente_ingest_duplicates_total", feed="regions") == 1
    run.ingester.poll(regions)
    assert run.value("detente_ingest_duplicates_total", feed="regions") == 1
