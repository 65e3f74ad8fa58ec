"""The Faust application object and its producer's partitioner (topics, tables and agents live
beside it)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import faust
from aiokafka.partitioner import DefaultPartitioner, murmur2

from detente.topics import MAX_PRODUCER_REQUEST_BYTES
from detente_worker.settings import get_settings

settings = get_settings()


@lru_cache(maxsize=1 << 16)
def _key_hash(key: bytes) -> int:
    return int(murmur2(key)) & 0x7FFFFFFF


def key_partitioner(key: bytes | None, all_partitions: Sequence[int], available: Any) -> int:
    """aiokafka's default partitioner (murmur2 of the key, as the Java client), with each
    key's hash remembered: murmur2 is pure Python there, and the worker sends several
    records per article under a few hundred keys (actors, subjects)."""
    if key is None:
        return int(DefaultPartitioner()(key, all_partitions, available))
    return all_partitions[_key_hash(key) % len(all_partitions)]


def _credentials() -> faust.types.auth.CredentialsArg | None:
    kafka = settings.kafka
    if kafka.sasl_mechanism:
        password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
        return faust.SASLCredentials(
            username=kafka.sasl_username or "",
            password=password,
            mechanism=kafka.sasl_mechanism,
            ssl_context=faust.ssl.create_default_context(cafile=kafka.ssl_cafile)
            if kafka.security_protocol == "SASL_SSL"
            else None,
        )
    if kafka.security_protocol == "SSL":
        return faust.SSLCredentials(faust.ssl.create_default_context(cafile=kafka.ssl_cafile))
    return None


app = faust.App(
    settings.app_id,
    broker=[f"kafka://{server}" for server in settings.kafka.bootstrap_servers.split(",")],
    broker_credentials=_credentials(),
    store=settings.store,
    datadir=str(settings.data_dir),
    topic_partitions=settings.partitions,
    topic_replication_factor=settings.replication_factor,
    topic_allow_declare=True,
    consumer_auto_offset_reset="earliest",
    broker_session_timeout=settings.session_timeout_seconds,
    broker_heartbeat_interval=settings.heartbeat_interval_seconds,
    web_enabled=settings.web_enabled,
    web_host=settings.web_host,
    web_port=settings.web_port,
    web_bind=settings.web_host,
    web_in_thread=False,
    producer_acks=-1,
    producer_linger=settings.producer_linger_seconds,
    producer_compression_type=settings.compression_type,
    producer_partitioner=key_partitioner,
    # Dead letters carry oversized records whole (see detente.topics).
    producer_max_request_size=MAX_PRODUCER_REQUEST_BYTES,
    autodiscover=False,
    # Faust's worker with its stop bounded (shutdown.py); named, not imported: it imports app.
    Worker="detente_worker.shutdown:Worker",
)
