"""Feeds and pages written by the team (tests/data/ingest/site): parsing and extraction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from detente_producer.ingest.extract import FeedParseError, extract_page, parse_feed, plain_text

from feed_site import SITE_FILES

SITE = "http://news.test"


def site_file(name: str) -> bytes:
    return (SITE_FILES / name).read_text(encoding="utf-8").replace("{site}", SITE).encode()


def test_rss_items_with_dates_links_and_the_channel_language():
    items = parse_feed(site_file("world.rss"), f"{SITE}/world.rss", "application/rss+xml")
    assert [item.link for item in items] == [
        f"{SITE}/news/ceasefire-talks.html",
        f"{SITE}/news/border-warning.html?utm_source=rss&utm_medium=feed",
        f"{SITE}/news/restraint-call.html",
    ]
    assert items[0].title == "Macron offers to host ceasefire talks; Lavrov rejects the idea"
    assert items[0].published_at == datetime(2026, 3, 3, 9, 15, tzinfo=UTC)
    assert items[0].summary == "France says it is ready to host talks; Moscow says no."
    assert items[0].language == "en-gb"
    assert items[2].published_at is None  # no pubDate: the page or the clock will date it


def test_atom_entries_with_html_summaries():
    items = parse_feed(site_file("regional.atom"), f"{SITE}/regional.atom")
    assert [item.link for item in items] == [
        f"{SITE}/news/border-warning.html#top",
        f"{SITE}/news/harbour-dispute.html",
    ]
    assert items[1].published_at == datetime(2026, 3, 5, 6, 45, tzinfo=UTC)
    assert items[1].summary == "Tokyo lodges a formal protest; Beijing calls it groundless."
    assert items[1].language == "en"


def test_relative_links_are_resolved_against_the_feed():
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>A</title><link>/news/a.html</link></item></channel></rss>"""
    (item,) = parse_feed(feed, "https://example.org/feeds/world.rss")
    assert item.link == "https://example.org/news/a.html"


@pytest.mark.parametrize(
    "body",
    [
        b"<rss version='2.0'><channel><title>cut off<item><title>x</tit",
        b"this is not a feed at all {",
        b"",
    ],
)
def test_malformed_feeds_raise(body: bytes):
    with pytest.raises(FeedParseError):
        parse_feed(body, "https://example.org/broken.rss")


def test_items_without_links_are_left_out():
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
      <item><title>No link</title><description>x</description></item>
      <item><title>Mail</title><link>mailto:desk@example.org</link></item>
      </channel></rss>"""
    assert parse_feed(feed, "https://example.org/f.rss") == []


def test_the_story_is_extracted_from_menus_adverts_and_footers():
    page = extract_page(site_file("news/ceasefire-talks.html"), f"{SITE}/news/ceasefire-talks.html")
    assert page.text.startswith("French President Emmanuel Macron said on Tuesday")
    assert "Lavrov rejected the offer within hours" in page.text
    assert page.text.endswith("continued at a lower level.")
    for chrome in ("cookies", "Advertisement", "Sponsored", "Most read", "Subscribe",
                   "Copyright", "Related stories", "morning briefing", "Home"):  # fmt: skip
        assert chrome not in page.text, chrome
    assert page.title == "Macron offers to host ceasefire talks; Lavrov rejects the idea"
    assert page.canonical_url == f"{SITE}/news/ceasefire-talks.html"
    assert page.published_at == datetime(2026, 3, 3, 9, 15, tzinfo=UTC)


def test_the_page_dates_an_undated_item_with_its_offset():
    page = extract_page(site_file("news/restraint-call.html"), f"{SITE}/news/restraint-call.html")
    assert page.published_at == datetime(2026, 3, 5, 11, 0, tzinfo=timezone(timedelta(hours=8)))


def test_a_page_without_an_article_gives_no_text():
    page = extract_page(b"<html><body><nav><a href='/'>Home</a></nav></body></html>", SITE)
    assert page.text == ""
    assert extract_page(b"", SITE).text == ""


def test_plain_text_of_summaries():
    assert plain_text("<p>One <b>bold</b> claim.</p>\n\n\n<p>Two.</p>") == "One bold claim.\n\nTwo."
    assert plain_text("") == ""
