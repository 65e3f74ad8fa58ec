"""Response bodies of the HTTP API (they also document it in /docs)."""

from __future__ import annotations

from datetime import datetime

from detente.events import ActorKind, WindowValue
from pydantic import BaseModel, ConfigDict


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class ActorIndex(_Body):
    """One actor's tension index. `index` is the 24h window; nulls mean no data yet."""

    actor: str
    name: str
    # None only for an actor that has left the registry since its index was published.
    kind: ActorKind | None
    affiliation: str | None
    windows: dict[str, WindowValue]
    ewma: float | None
    index: float | None
    statements: int
    as_of: datetime | None


class DyadIndex(_Body):
    """The tension between two principals (states or organisations), ids in sorted order."""

    actors: list[str]
    names: list[str]
    windows: dict[str, WindowValue]
    ewma: float | None
    index: float | None
    statements: int
    as_of: datetime | None


class GlobalIndex(_Body):
    windows: dict[str, WindowValue]
    ewma: float | None
    index: float | None
    statements: int
    as_of: datetime | None


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
