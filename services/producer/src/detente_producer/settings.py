from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from detente.event_time import EventTimeBounds
from detente.kafka_config import KafkaConnection


class Settings(BaseSettings):
    """Producer settings from DETENTE_* variables, e.g. DETENTE_KAFKA__BOOTSTRAP_SERVERS."""

    model_config = SettingsConfigDict(env_prefix="DETENTE_", env_nested_delimiter="__")

    kafka: KafkaConnection = KafkaConnection()
    partitions: int = 6
    # The worker's event-time bounds (same variables): the producer warns, the worker decides.
    event_time: EventTimeBounds = EventTimeBounds()
