from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from detente.kafka_config import KafkaConnection

# Where an operator endpoint is served: on the public HTTP port, on the admin port only
# (DETENTE_ADMIN_HOST:DETENTE_ADMIN_PORT), or nowhere.
Placement = Literal["public", "admin", "off"]


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
    # Of those, from one client address (see forwarded_allow_ips behind a proxy); more get 429.
    max_sse_clients_per_address: Annotated[int, Field(ge=1)] = 8
    # GET answers kept as bytes until the view changes (detente_api.prepared); 0: none.
    prepared_answers: Annotated[int, Field(ge=0, le=100_000)] = 512
    # Seconds without output after which a stream gets a keep-alive comment.
    sse_keepalive_seconds: Annotated[float, Field(gt=0, le=3600)] = 15.0
    cors_origins: list[str] = []
    registry_path: Path | None = None

    # -- operator endpoints (docs/deploy.md, "Ports and limits") ------------------------------
    # /metrics; and /docs, /redoc, /openapi.json (Swagger UI and ReDoc served from the
    # installed package, never from a CDN).
    metrics_on: Placement = "public"
    docs_on: Placement = "public"
    # The admin listener, opened only if something is placed on it.
    admin_host: str = "127.0.0.1"
    admin_port: Annotated[int, Field(ge=1, le=65535)] = 9100

    # -- connection limits (detente_api.server) ------------------------------------------------
    # Open connections plus running requests; beyond it uvicorn answers 503.
    limit_concurrency: Annotated[int, Field(ge=2)] = 1000
    # A connection must deliver a whole request head (request line and headers) this long
    # after it opens or after its previous answer, else it gets 408 and is closed.
    header_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    # An idle keep-alive connection is closed after this many seconds.
    keepalive_timeout_seconds: Annotated[int, Field(ge=1, le=300)] = 5
    # A client that reads nothing while the server has a full send buffer for it (a stream
    # nobody reads) is dropped after this many seconds.
    write_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    # Request line plus headers; more gets 400 (uvicorn's h11 limit).
    max_header_bytes: Annotated[int, Field(ge=1024, le=1 << 20)] = 16 * 1024
    # Query string; longer gets 414.
    max_query_bytes: Annotated[int, Field(ge=64)] = 4096
    # Request body (the API takes none); larger gets 413.
    max_body_bytes: Annotated[int, Field(ge=0)] = 64 * 1024
    # Peers trusted to set X-Forwarded-For (uvicorn's forwarded_allow_ips): behind an ingress,
    # its addresses, so that per-address limits see the real client.
    forwarded_allow_ips: str = "127.0.0.1"

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.uses_admin_port and self.admin_port == self.port:
            raise ValueError("admin_port must differ from port")
        if self.max_sse_clients >= self.limit_concurrency:
            raise ValueError("limit_concurrency must exceed max_sse_clients")
        return self

    @property
    def uses_admin_port(self) -> bool:
        return "admin" in (self.metrics_on, self.docs_on)
