"""The one way this package sends article events: the producer settings detente-produce
and detente-ingest share (keyed by id, acks=all, idempotent, retried through a broker
restart)."""

from __future__ import annotations

from kafka import KafkaProducer

from detente.kafka_config import KafkaConnection
from detente.topics import MAX_ARTICLE_RECORD_BYTES

# How long a record may wait for the broker (a restart, a leader move) before it fails.
DELIVERY_TIMEOUT_MS = 180_000


def article_producer(kafka: KafkaConnection, client_id: str) -> KafkaProducer:
    """Raises kafka.errors.KafkaTimeoutError when no broker answers within 10 s."""
    return KafkaProducer(
        **kafka.client_options(),
        client_id=client_id,
        acks="all",
        linger_ms=20,
        # Idempotent, retried until delivery_timeout_ms: a broker away for a minute or
        # two (a restart, a leader move) delays a send, it neither fails nor doubles it.
        enable_idempotence=True,
        delivery_timeout_ms=DELIVERY_TIMEOUT_MS,
        max_in_flight_requests_per_connection=5,  # the most that keeps order when idempotent
        max_request_size=MAX_ARTICLE_RECORD_BYTES,
        request_timeout_ms=15_000,
        bootstrap_timeout_ms=10_000,
    )
