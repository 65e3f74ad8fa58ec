"""How a KafkaConnection becomes client arguments for kafka-python and for aiokafka."""

from __future__ import annotations

import ssl

from pydantic import SecretStr

from detente.kafka_config import KafkaConnection


def test_plaintext_options_name_the_servers_and_nothing_secret() -> None:
    options = KafkaConnection(bootstrap_servers="a:9092,b:9092").aiokafka_options()
    assert options == {"bootstrap_servers": ["a:9092", "b:9092"], "security_protocol": "PLAINTEXT"}


def test_sasl_ssl_gives_aiokafka_a_context_and_the_password_in_clear() -> None:
    connection = KafkaConnection(
        security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
        sasl_username="worker", sasl_password=SecretStr("s3cret"),
    )  # fmt: skip
    options = connection.aiokafka_options()
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert options["sasl_plain_password"] == "s3cret"
    assert "ssl_context" not in connection.client_options()  # kafka-python takes a CA file
