from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from detente.events import ActorKind
from detente.indices import actor_subject
from detente_api.deps import ViewDep
from detente_api.routes.params import (
    LimitQuery,
    OffsetQuery,
    OrderQuery,
    SinceQuery,
    SortQuery,
    StepQuery,
    UntilQuery,
    WindowQuery,
    history_body,
    require_actor,
    require_known,
)
from detente_api.schemas import ActorIndex, ActorPage, History

router = APIRouter(prefix="/v1/actors", tags=["actors"])

# Handlers are async on purpose: they run on the event loop, as does the consumer feeding the
# view, so the view is never read while half-updated.


@router.get("")
async def list_actors(
    view: ViewDep,
    kind: ActorKind | None = None,
    affiliation: Annotated[
        str | None, Query(description="Only actors directly affiliated with this actor id")
    ] = None,
    sort: SortQuery = "low",
    order: OrderQuery = None,
    window: WindowQuery = "24h",
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> ActorPage:
    """Actors that have an index, by default the highest lower bound of the `window`
    index's interval first (then by id), so thin evidence does not top the list; `sort=index`
    ranks by the index itself, `statements` by total statements. `index` and `change` in
    each item are those of `window`."""
    require_known(view, "affiliation", affiliation)
    total, items = view.actors(
        kind=kind,
        affiliation=affiliation,
        sort=sort,
        order=order,
        window=window,
        limit=limit,
        offset=offset,
    )
    return ActorPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{actor}", responses={404: {"description": "Not in the registry and no index"}})
async def get_actor(actor: str, view: ViewDep, window: WindowQuery = "24h") -> ActorIndex:
    """One actor's index. A registered actor with no index yet is returned with null index,
    zero statements and empty windows (so clients can tell "quiet" from "unknown")."""
    body = view.actor(actor, window)
    if body is None:
        raise HTTPException(status_code=404, detail=f"unknown actor {actor!r}")
    return body


@router.get("/{actor}/history", responses={404: {"description": "Not in the registry"}})
async def actor_history(
    actor: str,
    view: ViewDep,
    window: WindowQuery = "24h",
    since: SinceQuery = None,
    until: UntilQuery = None,
    step: StepQuery = "1h",
) -> History:
    """The actor's `window` index over time (at most 30 days per request). The 7 days before
    its latest event are rebuilt from its hourly buckets; older points are those this
    replica saw published, hourly then daily (see docs/api.md)."""
    require_actor(view, actor)
    return history_body(view, actor_subject(actor), window, since, until, step)
