"""The ingester's settings, read from DETENTE_* variables once, at start (pydantic-settings).

Library modules take these models as arguments and never read the environment themselves.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from detente.kafka_config import KafkaConnection

MIB = 1024 * 1024


class FetchPolicy(BaseModel):
    """How the ingester behaves on other people's servers (DETENTE_FETCH__*)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Name the bot and where to read about it, so a site owner can find and block it.
    user_agent: str = "detente-ingest/0.1 (+https://detente.invalid/docs/ingest.md)"
    connect_timeout_seconds: float = Field(10.0, gt=0)
    # Per read; `total_timeout_seconds` bounds a server that drips bytes slowly.
    read_timeout_seconds: float = Field(20.0, gt=0)
    total_timeout_seconds: float = Field(60.0, gt=0)
    max_feed_bytes: int = Field(10 * MIB, gt=0)
    max_page_bytes: int = Field(5 * MIB, gt=0)
    max_redirects: int = Field(5, ge=0)
    # Attempts after the first, for timeouts, refused connections, 429 and 5xx.
    retries: int = Field(2, ge=0)
    backoff_seconds: float = Field(2.0, ge=0)
    # A Retry-After longer than this is not waited for in line: the host is left alone for
    # that long instead, and the item or feed is tried at a later poll.
    max_retry_after_seconds: float = Field(120.0, ge=0)
    # At least this long between two requests to one host (robots.txt's Crawl-delay wins
    # when it asks for more).
    host_interval_seconds: float = Field(2.0, ge=0)
    robots_ttl_seconds: float = Field(3600.0, ge=0)


class IngestSettings(BaseSettings):
    """detente-ingest settings, e.g. DETENTE_FEEDS=feeds.toml, DETENTE_FETCH__USER_AGENT=…"""

    model_config = SettingsConfigDict(env_prefix="DETENTE_", env_nested_delimiter="__")

    kafka: KafkaConnection = KafkaConnection()
    feeds: Path = Path("feeds.toml")
    # The shortest poll interval a feed may ask for (lower it only for a local test server).
    min_poll_seconds: float = Field(60.0, gt=0)
    fetch: FetchPolicy = FetchPolicy()
    # Languages the engine classifies; items in others are skipped and counted.
    languages: list[str] = ["en"]
    # Local by default, as the worker; the image and the k8s ConfigMap bind 0.0.0.0.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9103
    # Feeds polled at once (threads): a feed whose host hangs holds one of them, for its
    # timeouts, and the others go on. The pace per host holds across them.
    poll_workers: int = Field(4, ge=1)
    # An item whose page keeps failing with a passing error (timeout, 503) is tried at this
    # many polls, then sent with the feed's summary, or given up without one.
    max_item_attempts: int = Field(3, ge=1)
    # Remembered sent items older than this are forgotten at start (tombstoned): feeds
    # drop items long before, and the worker still skips a replayed id.
    state_retention_days: int = Field(30, ge=1)
