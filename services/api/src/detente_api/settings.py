from __future__ import annotations

from pathlib import Path
from typing import Annotated

from detente.kafka_config import KafkaConnection
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    cors_origins: list[str] = []
    registry_path: Path | None = None
