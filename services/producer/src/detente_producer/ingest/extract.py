"""From bytes to stories: feed items with feedparser, a page's main text with trafilatura
(menus, adverts and footers left behind), and the page's canonical URL and date."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
import lxml.html
import trafilatura
from lxml.etree import ParserError

_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_PUBLISHED_META = ("article:published_time", "og:published_time", "datePublished",
                   "dc.date.issued", "dcterms.created", "date")  # fmt: skip


# Less than this is a menu or a caption that the extractor took for a story, not an article:
# the feed's summary is the better text then.
MIN_ARTICLE_CHARS = 100


# What feedparser flags about the HTTP headers or the declared encoding, not the XML itself.
_HARMLESS = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


class FeedParseError(ValueError):
    """The feed could not be read at all (reason `malformed_feed`)."""


@dataclass(frozen=True)
class FeedItem:
    link: str
    title: str
    summary: str  # plain text
    published_at: datetime | None
    language: str | None  # as the feed declares it, item or channel


@dataclass(frozen=True)
class PageContent:
    text: str
    title: str
    canonical_url: str | None
    published_at: datetime | None


def plain_text(markup: str) -> str:
    """Text of an HTML fragment (a feed summary), whitespace tidied."""
    if not markup.strip():
        return ""
    try:
        text = lxml.html.fragment_fromstring(markup, create_parent="div").text_content()
    except (ParserError, ValueError):
        text = markup
    return tidy(text)


def tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _struct_time(value: object) -> datetime | None:
    if isinstance(value, time.struct_time):
        return datetime(*value[:6], tzinfo=UTC)
    return None


def parse_feed(body: bytes, url: str, content_type: str = "") -> list[FeedItem]:
    """The feed's items that have a link, in the feed's order. A feed with minor errors
    (feedparser's `bozo`: an unescaped `&`, a wrong encoding) still gives what it could
    read; one with errors and no usable item raises `FeedParseError`."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    if not parsed.entries and not parsed.get("version"):
        raise FeedParseError("not an RSS or Atom feed")
    channel_language = parsed.feed.get("language")
    items = []
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip()
        if not link.startswith(("http://", "https://")):
            continue
        published = _struct_time(entry.get("published_parsed")) or _struct_time(
            entry.get("updated_parsed")
        )
        summary = entry.get("summary") or ""
        if not summary and entry.get("content"):
            summary = entry["content"][0].get("value", "")
        items.append(
            FeedItem(
                link=link,
                title=plain_text(entry.get("title") or ""),
                summary=plain_text(summary),
                published_at=published,
                language=entry.get("language") or channel_language,
            )
        )
    error = parsed.get("bozo_exception")
    if parsed.bozo and not items and not isinstance(error, _HARMLESS):
        raise FeedParseError(str(error or "not a feed"))
    return items


def _parse_datetime(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _page_metadata(tree: lxml.html.HtmlElement) -> tuple[str | None, datetime | None]:
    """The canonical link and the publication time the page declares, if any."""
    canonical = None
    for link in tree.iterfind(".//link[@rel]"):
        if "canonical" in link.get("rel", "").lower().split() and link.get("href"):
            canonical = link.get("href", "").strip()
            break
    published = None
    for meta in tree.iterfind(".//meta[@content]"):
        name = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        if name in _PUBLISHED_META:
            published = _parse_datetime(meta.get("content", ""))
            if published is not None:
                break
    return canonical, published


def extract_page(body: bytes, url: str) -> PageContent:
    """The page's main text (empty when trafilatura finds no article in it, or hardly any)."""
    try:
        tree = lxml.html.document_fromstring(body)
    except (ParserError, ValueError):
        return PageContent("", "", None, None)
    canonical, published = _page_metadata(tree)
    document = trafilatura.bare_extraction(
        body, url=url, with_metadata=True, favor_precision=True, include_comments=False,
        include_tables=False,
    )  # fmt: skip
    if document is None:
        return PageContent("", "", canonical, published)
    values = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    title = tidy(values.get("title") or "")
    text = tidy(values.get("text") or "")
    if title and text.startswith(title + "\n"):
        text = text[len(title) + 1 :].lstrip()  # the headline travels as the title
    if len(text) < MIN_ARTICLE_CHARS:
        text = ""
    if published is None and values.get("date"):
        published = _parse_datetime(str(values["date"]))
    if canonical is not None:
        canonical = _absolute(canonical, url)
    return PageContent(text, title, canonical, published)


def _absolute(link: str, base: str) -> str | None:
    absolute = urljoin(base, link)
    return absolute if absolute.startswith(("http://", "https://")) else None
