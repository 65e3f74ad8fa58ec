"""Response bodies of the HTTP API (they also document it in /docs)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from detente.events import ActorKind, SubjectKind, TensionAlert, WindowValue


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class GlobalIndex(_Body):
    """The index fields every subject has; the global index is exactly these."""

    windows: dict[str, WindowValue]
    ewma: float | None
    index: float | None
    change: float | None = None
    statements: int
    as_of: datetime | None


class ActorIndex(GlobalIndex):
    """One actor's tension index. `index` is the requested window's (24h unless asked) and
    `change` how much it moved over the 24 hours before `as_of`; nulls mean no data yet."""

    actor: str
    name: str
    # None only for an actor that has left the registry since its index was published.
    kind: ActorKind | None
    affiliation: str | None


class DirectedIndex(GlobalIndex):
    """What one side of a pair does toward the other: the stances of `source`'s actors whose
    statements are about `target` (docs/indices.md, Direction)."""

    source: str
    target: str
    names: list[str]


class DyadIndex(GlobalIndex):
    """The tension between two principals (states or organisations), ids in sorted order.
    `directions` (in `/v1/dyads/{a}/{b}` only): first → second, then second → first."""

    actors: list[str]
    names: list[str]
    directions: list[DirectedIndex] | None = None


class ActorPage(_Body):
    items: list[ActorIndex]
    total: int
    limit: int
    offset: int


class DyadPage(_Body):
    items: list[DyadIndex]
    total: int
    limit: int
    offset: int


class AlertPage(_Body):
    """Alerts, newest (latest `as_of`) first."""

    items: list[TensionAlert]
    total: int
    limit: int
    offset: int


class HistoryPoint(_Body):
    as_of: datetime
    index: float | None
    statements: int
    low: float | None = None  # the index's 90 % interval (docs/indices.md, Evidence)
    high: float | None = None


class History(_Body):
    """A window's index over time; `since` and `until` are the range actually covered."""

    subject: str
    window: str
    step: str
    since: datetime
    until: datetime
    points: list[HistoryPoint]


class Mover(_Body):
    """How far a subject's index moved over the 24 hours before its latest event. A subject
    with no statements then moved from the prior (`previous` 50). `significant`: the
    previous value lies outside the interval `low`-`high` of the index now."""

    subject: str
    subject_kind: SubjectKind
    actors: list[str]
    name: str
    window: str
    index: float | None
    previous: float | None
    change: float
    low: float | None = None
    high: float | None = None
    significant: bool = False
    # The evidence behind `index`: the window's statements and articles now.
    statements: int = 0
    articles: int = 0
    as_of: datetime


class Movers(_Body):
    window: str
    kind: SubjectKind
    rises: list[Mover]
    falls: list[Mover]
