"""The worker's view of the project's topics; names come from detente.topics."""

from __future__ import annotations

from detente.topics import TopicNames
from detente_worker.app import app, settings

names = TopicNames(settings.kafka.topic_prefix)

# Raw bytes in, so a malformed record reaches our code (and the DLQ) instead of Faust's decoder.
articles_topic = app.topic(
    names.articles, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
)
dead_letters_topic = app.topic(
    names.articles_dlq,
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)
stances_topic = app.topic(
    names.stances, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
)
contributions_topic = app.topic(
    names.contributions,
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)
indices_topic = app.topic(
    names.indices, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
)
alerts_topic = app.topic(
    names.alerts, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
)
