from __future__ import annotations

from datetime import datetime

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from detente.event_time import DEFAULT_FLOOR, DEFAULT_FUTURE_TOLERANCE
from detente.kafka_config import KafkaConnection


class Settings(BaseSettings):
    """Producer settings from DETENTE_* variables, e.g. DETENTE_KAFKA__BOOTSTRAP_SERVERS."""

    model_config = SettingsConfigDict(env_prefix="DETENTE_", env_nested_delimiter="__")

    kafka: KafkaConnection = KafkaConnection()
    partitions: int = 6
    # The worker's event-time bounds (same variables): the producer warns, the worker decides.
    future_tolerance_minutes: float = Field(
        default=DEFAULT_FUTURE_TOLERANCE.total_seconds() / 60, ge=0
    )
    event_time_floor: datetime = DEFAULT_FLOOR
