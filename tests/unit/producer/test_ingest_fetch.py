"""The fetcher against a real local HTTP server: conditional GET, Retry-After, timeouts,
size and type limits, robots.txt, redirects. No request leaves the machine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from detente_producer.ingest.fetch import Fetcher, FetchError, retry_after_seconds
from detente_producer.ingest.settings import FetchPolicy

from feed_site import FeedSite, Reply

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


class Sleeps(list[float]):
    """Stands in for time.sleep: records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetcher(**policy: object) -> tuple[Fetcher, Sleeps]:
    sleeps = Sleeps()
    settings = {"host_interval_seconds": 0.0, "backoff_seconds": 1.0, **policy}
    return Fetcher(FetchPolicy.model_validate(settings), sleep=sleeps), sleeps


def test_conditional_get_sends_the_validators_back_and_gets_304(site: FeedSite):
    validators = {"ETag": '"v1"', "Last-Modified": "Mon, 02 Mar 2026 10:00:00 GMT"}
    url = site.route("/feed.rss", Reply(200, FEED, {**RSS, **validators}))
    client, _ = fetcher()
    first = client.get(url, "feed")
    assert first is not None and first.body == FEED
    assert client.get(url, "feed") is not None  # nothing remembered yet: a plain GET again
    client.remember(url, first.validators)
    assert client.get(url, "feed") is None  # 304 Not Modified
    sent = site.hits("/feed.rss")[-1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 02 Mar 2026 10:00:00 GMT"
    assert "If-None-Match" not in site.hits("/feed.rss")[0].headers


def test_the_user_agent_is_ours(site: FeedSite):
    url = site.route("/feed.rss", Reply(200, FEED, RSS))
    client, _ = fetcher(user_agent="detente-ingest/9 (+mailto:ops@example.org)")
    client.get(url, "feed")
    assert {r.headers["User-Agent"] for r in site.requests} == {
        "detente-ingest/9 (+mailto:ops@example.org)"
    }


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_then_the_fetch_succeeds(site: FeedSite, status: int):
    url = site.route(
        "/feed.rss",
        Reply(status, b"slow down", {"Retry-After": "7"}),
        Reply(200, FEED, RSS),
    )
    client, sleeps = fetcher()
    assert client.get(url, "feed") is not None
    assert sleeps == [7.0]
    assert len(site.hits("/feed.rss")) == 2


def test_without_retry_after_the_backoff_doubles_then_gives_up(site: FeedSite):
    url = site.route("/feed.rss", Reply(503, b"down"))
    client, sleeps = fetcher(retries=2)
    with pytest.raises(FetchError) as failure:
        client.get(url, "feed")
    assert failure.value.reason == "http_503" and failure.value.transient
    assert sleeps == [1.0, 2.0]
    assert len(site.hits("/feed.rss")) == 3


def test_a_long_retry_after_is_not_waited_in_line_but_keeps_us_away(site: FeedSite):
    url = site.route("/feed.rss", Reply(429, b"", {"Retry-After": "3600"}), Reply(200, FEED, RSS))
    client, sleeps = fetcher()
    with pytest.raises(FetchError, match="http_429"):
        client.get(url, "feed")
    assert sleeps == []
    with pytest.raises(FetchError, match="host_backoff"):
        client.get(site.url("/other-page.html"), "page")  # same host, still asked to wait
    assert len(site.requests) == 2  # robots.txt and the 429: nothing since


def test_a_timeout_is_a_reason_not_a_hang(site: FeedSite):
    url = site.route("/slow.rss", Reply(200, FEED, RSS, delay=3.0))
    client, _ = fetcher(read_timeout_seconds=0.3, retries=1)
    with pytest.raises(FetchError) as failure:
        client.get(url, "feed")
    assert failure.value.reason == "timeout" and failure.value.transient
    assert len(site.hits("/slow.rss")) == 2  # retried once


def test_client_errors_are_not_retried(site: FeedSite):
    client, sleeps = fetcher()
    with pytest.raises(FetchError) as failure:
        client.get(site.url("/missing.rss"), "feed")
    assert failure.value.reason == "http_404" and not failure.value.transient
    assert sleeps == [] and len(site.hits("/missing.rss")) == 1


def test_a_20_mb_page_is_refused_from_its_content_length(site: FeedSite):
    url = site.route("/huge.html", Reply(200, b"<p>x</p>" * (20 * 1024 * 1024 // 8), HTML))
    client, _ = fetcher(max_page_bytes=5 * 1024 * 1024)
    with pytest.raises(FetchError, match="too_large"):
        client.get(url, "page")


def test_a_20_mb_page_without_content_length_is_cut_off_while_streaming(site: FeedSite):
    url = site.route("/endless.html", Reply(200, headers=HTML, unannounced_bytes=20 * 1024 * 1024))
    client, _ = fetcher(max_page_bytes=1024 * 1024)
    with pytest.raises(FetchError) as failure:
        client.get(url, "page")
    assert failure.value.reason == "too_large"
    assert "more than 1048576 bytes" in failure.value.detail


def test_a_pdf_is_not_a_page(site: FeedSite):
    url = site.route(
        "/report.pdf", Reply(200, b"%PDF-1.7\n%binary", {"Content-Type": "application/pdf"})
    )
    client, _ = fetcher()
    with pytest.raises(FetchError) as failure:
        client.get(url, "page")
    assert failure.value.reason == "content_type" and not failure.value.transient
    assert "application/pdf" in failure.value.detail


def test_html_is_not_a_feed(site: FeedSite):
    url = site.route("/feed", Reply(200, b"<html></html>", HTML))
    client, _ = fetcher()
    with pytest.raises(FetchError, match="content_type"):
        client.get(url, "feed")


def test_robots_txt_that_disallows_is_obeyed_without_a_request(site: FeedSite):
    site.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n",
                                    {"Content-Type": "text/plain"}))  # fmt: skip
    site.route("/private/story.html", Reply(200, b"<p>secret</p>", HTML))
    allowed = site.route("/public/story.html", Reply(200, b"<p>open</p>", HTML))
    client, _ = fetcher()
    with pytest.raises(FetchError) as failure:
        client.get(site.url("/private/story.html"), "page")
    assert failure.value.reason == "robots_disallowed"
    assert client.get(allowed, "page") is not None
    assert site.hits("/private/story.html") == []
    assert len(site.hits("/robots.txt")) == 1  # read once, then cached


def test_redirects_are_followed_and_each_hop_checked(site: FeedSite):
    site.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /blocked/\n"))
    site.route("/old.html", Reply(301, headers={"Location": "/new.html"}))
    site.route("/new.html", Reply(200, b"<p>moved</p>", HTML))
    site.route("/to-blocked.html", Reply(302, headers={"Location": "/blocked/x.html"}))
    client, _ = fetcher()
    fetched = client.get(site.url("/old.html"), "page")
    assert fetched is not None and fetched.url == site.url("/new.html")
    with pytest.raises(FetchError, match="robots_disallowed"):
        client.get(site.url("/to-blocked.html"), "page")
    assert site.hits("/blocked/x.html") == []


def test_an_unreachable_host_is_a_connection_failure():
    client, _ = fetcher(retries=0)
    with pytest.raises(FetchError) as failure:
        client.get("http://127.0.0.1:9/feed.rss", "feed")  # the discard port: refused
    # robots.txt could not be read either, so the host counts as disallowed for now
    assert failure.value.reason in {"robots_disallowed", "connection"}


def test_retry_after_as_seconds_or_a_date():
    now = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Mon, 02 Mar 2026 10:01:30 GMT", now) == 90.0
    assert retry_after_seconds("Mon, 02 Mar 2026 09:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
