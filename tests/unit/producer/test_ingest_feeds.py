from __future__ import annotations

import re
from pathlib import Path

import pytest

from detente_producer.ingest.feeds import FeedConfigError, load_feeds, parse_feeds

ROOT = Path(__file__).resolve().parents[3]


def test_feeds_with_defaults():
    feeds = parse_feeds(
        """
        [defaults]
        poll_seconds = 900

        [[feed]]
        name = "Wire: world"
        url = "https://example.org/world.rss"
        language = "en"

        [[feed]]
        name = "Ministry"
        url = "https://example.org/press.atom"
        poll_seconds = 3600
        """
    )
    assert [(f.name, f.language, f.poll_seconds) for f in feeds] == [
        ("Wire: world", "en", 900),
        ("Ministry", None, 3600),
    ]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[feed]]\nname = "a"\nurl = "ftp://example.org/x"', "feed 1: url"),
        ('[[feed]]\nname = "a"\nurl = "https://x.org/f"\nlanguage = "English"', "language"),
        ('[[feed]]\nname = "a"\nurl = "https://x.org/f"\nposl_seconds = 60', "posl_seconds"),
        ('[[feed]]\nname = "a"\nurl = "https://x.org/f"\npoll_seconds = 5', "below 60"),
        (
            '[[feed]]\nname = "a"\nurl = "https://x.org/f"\n[[feed]]\nname = "a"\n'
            'url = "https://x.org/g"',
            "unique: a",
        ),
        ("", "no [[feed]]"),
        ("[[feed]\n", "not valid TOML"),
    ],
)
def test_mistakes_are_refused_with_a_reason(toml: str, message: str):
    with pytest.raises(FeedConfigError, match=re.escape(message)):
        parse_feeds(toml)


def test_a_lower_floor_for_local_tests():
    feeds = parse_feeds('[[feed]]\nname = "a"\nurl = "http://127.0.0.1:1/f"\npoll_seconds = 2',
                        min_poll_seconds=1)  # fmt: skip
    assert feeds[0].poll_seconds == 2


def test_the_example_file_parses():
    feeds = load_feeds(ROOT / "feeds.example.toml")
    assert len(feeds) >= 3
    assert all(feed.url.startswith("https://") for feed in feeds)


def test_a_missing_file_says_which(tmp_path: Path):
    with pytest.raises(FeedConfigError, match=r"nope\.toml"):
        load_feeds(tmp_path / "nope.toml")
