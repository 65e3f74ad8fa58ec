from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from detente.kafka_config import KafkaConnection


class Settings(BaseSettings):
    """API settings from DETENTE_* environment variables, read once at start.

    Nested fields use "__" (DETENTE_KAFKA__BOOTSTRAP_SERVERS); lists are JSON
    (DETENTE_CORS_ORIGINS='["https://dashboard.example"]').
    """

    model_config = SettingsConfigDict(env_prefix="DETENTE_", env_nested_delimiter="__")

    kafka: KafkaConnection = KafkaConnection()
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    # Per-article stances kept in memory, relative to the newest article seen.
    stance_retention_hours: Annotated[float, Field(gt=0)] = 24 * 30
    # Hard cap on articles kept in memory, whatever their age; the oldest go first.
    max_articles: Annotated[int, Field(ge=1)] = 100_000
    # History older than the 7 days rebuilt from each update's buckets is kept, downsampled,
    # only while the process lives, up to this many days behind each subject's latest event.
    history_retention_days: Annotated[int, Field(ge=1, le=366)] = 30
    # Server-sent event clients per process (/v1/stream); more get 503.
    max_sse_clients: Annotated[int, Field(ge=1)] = 100
    # Seconds without output after which a stream gets a keep-alive comment.
    sse_keepalive_seconds: Annotated[float, Field(gt=0, le=3600)] = 15.0
    cors_origins: list[str] = []
    registry_path: Path | None = None
