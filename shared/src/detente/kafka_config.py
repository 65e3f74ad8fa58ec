"""How to reach a Kafka cluster, as plain data; each service's Settings embeds it.

Kept free of any Kafka client import: the services turn it into client arguments.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr


class KafkaConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    topic_prefix: str = ""

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments understood by both kafka-python and aiokafka clients."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        return options

    def aiokafka_options(self) -> dict[str, Any]:
        """`client_options` for aiokafka, which takes an SSLContext where kafka-python takes
        a CA file."""
        options = self.client_options()
        if self.security_protocol in ("SSL", "SASL_SSL"):
            options["ssl_context"] = ssl.create_default_context(cafile=self.ssl_cafile)
        return options
