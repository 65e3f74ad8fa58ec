from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from detente.event_time import EventTimeBounds
from detente.indices import DEFAULT_ALLOWED_LATENESS
from detente.kafka_config import KafkaConnection


class Settings(BaseSettings):
    """Worker settings from DETENTE_* environment variables, read once at start."""

    model_config = SettingsConfigDict(env_prefix="DETENTE_", env_nested_delimiter="__")

    kafka: KafkaConnection = KafkaConnection()
    app_id: str = "detente-worker"
    partitions: int = 6
    replication_factor: int = 1
    # Faust's own web server (it lists tables and the changelog topology): off unless asked
    # for, and then on loopback unless told otherwise. Each worker process needs its own port.
    web_enabled: bool = False
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    # The Prometheus endpoint (detente.metrics_http): the image and Kubernetes bind
    # 0.0.0.0 so that Prometheus can scrape it.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9102
    # Idle or slow scrape connections are closed after this; at most so many at once.
    metrics_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    metrics_max_connections: int = Field(default=32, ge=1, le=1024)
    store: str = "memory://"
    data_dir: Path = Path(".run/worker")
    model_path: Path | None = None
    # The model's SHA-256 is checked against this, or else the `.sha256` file beside it;
    # `model_verify=false` loads it unchecked (its types are always checked).
    model_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    model_verify: bool = True
    registry_path: Path | None = None
    # Up to the longest window: an older event could not change any published index.
    allowed_lateness_hours: float = DEFAULT_ALLOWED_LATENESS.total_seconds() / 3600
    # Event-time bounds (detente.event_time): an article dated further ahead of its record's
    # Kafka timestamp, or before the floor, goes to the DLQ and moves no watermark.
    event_time: EventTimeBounds = EventTimeBounds()
    # Records handled together: the model scores a batch in one call and a subject touched
    # several times in a batch is written and published once. The wait bounds added latency.
    batch_max_records: int = Field(default=256, ge=1)
    batch_max_seconds: float = Field(default=0.05, gt=0)
    # Contributions per `index-contributions` record (a ContributionBundle; at ~600 bytes
    # each at most, 1,000 stay under the topic's 1 MB limit). 1: a record per contribution,
    # the bench's baseline for how the worker sent them before bundling.
    contributions_per_record: int = Field(default=500, ge=1, le=1000)
    # Let the producer gather a batch's many small records into fewer requests; the flush
    # at the end of every batch sends what is left at once, so no record waits this long.
    producer_linger_seconds: float = Field(default=0.01, ge=0)
    # How the worker's records (stances, contributions, indices, table changelogs) travel
    # and are stored: under zstd they take about a seventh of the bytes (brokers' disks,
    # the network between pods, replays) for about 19 µs of CPU per article, and
    # throughput is unchanged (docs/performance.md, Compression). Every reader needs the
    # codec: the Java and librdkafka clients have it, Python ones through cramjam or
    # zstandard.
    producer_compression: Literal["none", "gzip", "lz4", "zstd"] = "zstd"
    # How often remembered article ids older than the allowed lateness are forgotten.
    seen_expiry_interval_seconds: float = Field(default=300.0, gt=0)
    # How often stage two looks for subjects idle long enough to forget (docs/indices.md,
    # Forgetting); a subject's state goes one sweep after its tombstone.
    idle_subject_sweep_seconds: float = Field(default=600.0, gt=0)
    # Classify in a process of its own (classify_process.py) rather than a thread: the
    # engine no longer shares the event loop's interpreter lock, so one worker can use two
    # cores; it holds a second copy of the model (docs/performance.md). `auto`: when the
    # worker may use two CPUs or more (cpus.py), else the thread; a pod limited to one CPU
    # keeps the thread, where the process could only add overhead.
    classify_process: Literal["auto"] | bool = "auto"
    # In that process, each piece of a batch can go in up to this many runs, each sent
    # before the previous one's outputs are published, so that it classifies while the
    # event loop sends (scoring.py). 4 against 1 (the whole piece, waited for): x1.05 in an
    # A/B of the two, x1.11 round by round in session 17's bench (docs/performance.md,
    # Overlapping runs).
    classify_process_runs: int = Field(default=4, ge=1, le=64)
    # A run of the classifier (process or thread) unanswered this long is taken as stuck:
    # the worker exits with 75 before anything of its batch is acknowledged, and reads the
    # batch again after the restart. A whole piece (400,000 characters) takes seconds here.
    classify_timeout_seconds: float = Field(default=120.0, gt=0)
    # How often an idle worker checks that the consumer handed over all it took from Kafka.
    skipped_records_check_seconds: float = Field(default=15.0, gt=0)
    # A worker that finishes no batch (nor classify run) this long while records wait in its
    # partitions logs where it waits and restarts (stall.py). Above the classify deadline,
    # which ends a stuck classifier sooner and more precisely.
    stall_seconds: float = Field(default=180.0, gt=0)
    # A worker stopped (SIGSTOP, a stalled VM) past what its group membership survives
    # restarts before writing again (fencing.py). Off only to test that the readers alone
    # drop a frozen worker's late writes (tests/chaos/test_worker_frozen.py).
    restart_after_pause: bool = True
    # After SIGTERM (or any stop) the worker exits at the latest this long after, without
    # committing more (shutdown.py): below Kubernetes' grace period (60 s in k8s/base).
    stop_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    session_timeout_seconds: float = 10.0
    heartbeat_interval_seconds: float = 1.0

    @field_validator("model_sha256", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `DETENTE_MODEL_SHA256=` (as a compose file may set it) means: use the file's.
        return None if value == "" else value

    @property
    def compression_type(self) -> str | None:
        """`producer_compression` as aiokafka names it: no codec is None there."""
        return None if self.producer_compression == "none" else self.producer_compression


@cache
def get_settings() -> Settings:
    return Settings()
