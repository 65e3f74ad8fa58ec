"""The list of feeds to poll: a TOML file of `[[feed]]` tables (feeds.example.toml).

[[feed]]
name = "UN News: peace and security"   # the events' `source`
url = "https://…/rss.xml"
language = "en"                         # optional: detected from the page when absent
poll_seconds = 900                      # optional: [defaults] poll_seconds, else 600
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from detente.events import first_error

DEFAULT_POLL_SECONDS = 600
# A feed polled more often than once a minute is a nuisance to its publisher.
MIN_POLL_SECONDS = 60.0


class FeedConfigError(ValueError):
    pass


class Feed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] | None = None
    poll_seconds: float = Field(DEFAULT_POLL_SECONDS, gt=0)


class _FeedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: dict[str, float] = {}
    feed: list[dict[str, object]] = []


def parse_feeds(text: str, *, min_poll_seconds: float = MIN_POLL_SECONDS) -> list[Feed]:
    """The feeds of a TOML document; names must be unique (they label the metrics)."""
    try:
        document = _FeedFile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise FeedConfigError(f"not valid TOML: {exc}") from exc
    except ValidationError as exc:
        raise FeedConfigError(first_error(exc)) from exc
    default_poll = document.defaults.get("poll_seconds", DEFAULT_POLL_SECONDS)
    feeds = []
    for number, table in enumerate(document.feed, 1):
        try:
            feed = Feed.model_validate({"poll_seconds": default_poll, **table})
        except ValidationError as exc:
            raise FeedConfigError(f"feed {number}: {first_error(exc)}") from exc
        if feed.poll_seconds < min_poll_seconds:
            raise FeedConfigError(
                f"feed {number} ({feed.name}): poll_seconds below {min_poll_seconds:g}"
            )
        feeds.append(feed)
    names = [feed.name for feed in feeds]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise FeedConfigError(f"feed names must be unique: {', '.join(duplicated)}")
    if not feeds:
        raise FeedConfigError("no [[feed]] tables")
    return feeds


def load_feeds(path: Path, *, min_poll_seconds: float = MIN_POLL_SECONDS) -> list[Feed]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FeedConfigError(f"{path}: {exc.strerror or exc}") from exc
    try:
        return parse_feeds(text, min_poll_seconds=min_poll_seconds)
    except FeedConfigError as exc:
        raise FeedConfigError(f"{path}: {exc}") from exc
