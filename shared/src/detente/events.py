"""The event contract: one pydantic model per Kafka message, each JSON with `schema_version`.

See docs/events.md for the topics that carry them.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

SCHEMA_VERSION: Literal[1] = 1

# Large enough for any real article, small enough that one message cannot exhaust memory.
MAX_TEXT_CHARS = 200_000

ArticleId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:\-]+$")
]
Stance = Literal["conciliatory", "hardline"]
ActorKind = Literal["person", "state", "organisation", "group"]
# "directed": what one principal does toward another (`dyad:russia>ukraine`), beside the
# symmetric pair (`dyad:russia|ukraine`).
SubjectKind = Literal["actor", "dyad", "directed", "global"]


def first_error(exc: ValidationError) -> str:
    """The first problem of a refused event, naming its field: "published_at: Input should
    be a valid datetime"."""
    if any(error["type"] == "json_invalid" for error in exc.errors()):
        return "not valid JSON"
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "record"
    return f"{field}: {error['msg']}"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


class Article(_Event):
    """A news article as it enters the pipeline (topic `articles`, key: `id`)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    id: ArticleId
    published_at: AwareDatetime
    source: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    url: Annotated[str, StringConstraints(max_length=2000)] = ""
    title: Annotated[str, StringConstraints(max_length=1000)] = ""
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS)]
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")] = "en"

    @field_validator("url", "title", "language", mode="before")
    @classmethod
    def _null_is_absent(cls, value: object, info: ValidationInfo) -> object:
        """Feeds and scrapers write `null` for a field they lack: the same as leaving it out."""
        if value is None:
            return cls.model_fields[info.field_name or ""].default
        return value

    @field_validator("schema_version", "published_at", mode="before")
    @classmethod
    def _no_numbers_for_these(cls, value: object, info: ValidationInfo) -> object:
        """Pydantic's lax mode would read `true` as schema version 1 and a number as seconds
        (or milliseconds) since 1970; the contract says `1` and an RFC 3339 string."""
        if info.field_name == "schema_version" and isinstance(value, bool):
            raise ValueError("schema_version must be the number 1, not a boolean")
        if info.field_name == "published_at" and isinstance(value, int | float):
            raise ValueError("published_at must be an RFC 3339 string with an offset, not a number")
        return value


class DeadLetter(_Event):
    """A record that could not be processed (topic `articles-dlq`), kept byte for byte."""

    schema_version: Literal[1] = SCHEMA_VERSION
    reason: str
    detail: str = ""
    source_topic: str
    partition: int | None = None
    offset: int | None = None
    key_base64: str | None = None
    raw_base64: str
    failed_at: AwareDatetime

    @classmethod
    def for_record(
        cls,
        *,
        reason: str,
        detail: str,
        source_topic: str,
        raw: bytes,
        key: bytes | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> DeadLetter:
        return cls(
            reason=reason,
            detail=detail[:2000],
            source_topic=source_topic,
            partition=partition,
            offset=offset,
            key_base64=base64.b64encode(key).decode() if key is not None else None,
            raw_base64=base64.b64encode(raw).decode(),
            failed_at=datetime.now(UTC),
        )

    def raw(self) -> bytes:
        return base64.b64decode(self.raw_base64)


class ActorStance(BaseModel):
    """One actor's stance in one article, as the API and `detente classify` show it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actor: str
    name: str
    kind: ActorKind
    affiliation: str | None
    stance: Stance
    p_hardline: Annotated[float, Field(ge=0.0, le=1.0)]
    statements: int
    evidence: list[str]
    # How likely the text shows a stance of this actor's own (not only its name); it weighs
    # the actor's statements in the indices. Records written before it existed read as 1.0.
    p_stance: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    # Only in records written before the "none" outcome: "mentions" meant the actor was only
    # named and its stance came from the sentences naming it (half weight in the indices).
    basis: Literal["statements", "mentions"] = "statements"
    # Whom its stance is toward: the principals (states, bodies) of the other actors its
    # statements name, its own side left out, most named first. Records written before
    # direction existed have none.
    targets: list[str] = []


class MentionedActor(BaseModel):
    """An actor an article names without showing a stance of its own (the "none" outcome)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actor: str
    name: str
    kind: ActorKind
    p_stance: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0


class ArticleStances(BaseModel):
    """Everything the stance engine says about one article."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    published_at: AwareDatetime
    title: str = ""
    model_version: str
    # The stance-takers; `mentioned` holds every other actor the article names.
    actors: list[ActorStance]
    mentioned: list[MentionedActor] = []


class StanceEvent(_Event):
    """One actor's stance in one article (topic `stances`, key: actor id)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    article_id: str
    published_at: AwareDatetime
    title: str = ""
    model_version: str
    stance: ActorStance
    classified_at: AwareDatetime
    # The article's named-only actors, on every stance record of the article, so a reader
    # of `stances` alone can rebuild the article (absent in records before the change).
    mentioned: list[MentionedActor] = []
    # How many stance records this classification of the article sends (its stance-takers):
    # they are keyed by actor, so they reach a reader on several partitions and apart; with
    # the count it knows when it holds the whole article (absent in records before it).
    stance_takers: Annotated[int, Field(ge=1)] | None = None


class Contribution(_Event):
    """What one article adds to one index subject (carried in a `ContributionBundle`).

    The sums are additive, so replays in any order give the same totals.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    subject: str
    subject_kind: SubjectKind
    actors: list[str]
    article_id: str
    published_at: AwareDatetime
    hardline_weight: float
    weight: float
    statements: int
    # Where the article was read (partition and offset of `articles`): a replay after a
    # crash re-sends the same positions, which the subject's state has already counted.
    source_partition: int | None = None
    source_offset: int | None = None
    # The article record's Kafka timestamp (seconds): end-to-end delays count from there.
    article_produced_at: float | None = None


class ContributionBundle(_Event):
    """Contributions bound for one partition of `index-contributions` (the repartition
    topic): every subject in a bundle hashes to the partition it is sent to.

    One record per partition per batch, not one per contribution: an article makes about
    eleven contributions, and per-record overhead, not the sums, set the worker's speed.
    Contributions from one `articles` partition keep their reading order within a bundle.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    contributions: list[Contribution]


class WindowValue(BaseModel):
    """One window of a subject's index (docs/indices.md). `index` is the posterior hardline
    share, 0-100, and `low`-`high` its 90 % interval; `raw` the plain share of hardline
    weight; `weight` the statements' effective weight. Records written before the interval
    existed have only `index` (then the raw share), `statements` and `articles`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: float | None
    statements: int
    articles: int
    low: float | None = None
    high: float | None = None
    raw: float | None = None
    weight: float = 0.0


class IndexUpdate(_Event):
    """The latest index of one subject (compacted topic `tension-indices`, key: subject)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    subject: str
    subject_kind: SubjectKind
    actors: list[str]
    as_of: AwareDatetime
    windows: dict[str, WindowValue]
    ewma: float | None
    ewma_half_life_hours: float
    total_statements: int
    total_articles: int
    last_article_id: str
    updated_at: AwareDatetime
    # The hourly buckets behind the windows, [hour since epoch, hardline weight, weight,
    # statements, articles]: any reader can rebuild the last 7 days of history from the
    # compacted topic alone.
    hourly: list[tuple[int, float, float, int, int]] = []


class TensionAlert(_Event):
    """A spike (topic `tension-alerts`, key: subject)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    alert_id: str
    kind: Literal["spike"] = "spike"
    subject: str
    subject_kind: SubjectKind
    actors: list[str]
    window: str
    value: float
    baseline: float
    baseline_statements: int
    rise: float
    z: float
    statements: int
    article_ids: list[str]
    as_of: AwareDatetime
    raised_at: AwareDatetime
