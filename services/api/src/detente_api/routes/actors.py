from __future__ import annotations

from typing import Annotated

from detente.events import ActorKind
from fastapi import APIRouter, HTTPException, Query

from detente_api.deps import ViewDep
from detente_api.schemas import ActorIndex, ActorPage

router = APIRouter(prefix="/v1/actors", tags=["actors"])

# Handlers are async on purpose: they run on the event loop, as does the consumer feeding the
# view, so the view is never read while half-updated.


@router.get("")
async def list_actors(
    view: ViewDep,
    kind: ActorKind | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ActorPage:
    """Actors that have an index, highest 24h index first (then by id)."""
    total, items = view.actors(kind=kind, limit=limit, offset=offset)
    return ActorPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{actor}", responses={404: {"description": "Not in the registry and no index"}})
async def get_actor(actor: str, view: ViewDep) -> ActorIndex:
    """One actor's index. A registered actor with no index yet is returned with null index,
    zero statements and empty windows (so clients can tell "quiet" from "unknown")."""
    body = view.actor(actor)
    if body is None:
        raise HTTPException(status_code=404, detail=f"unknown actor {actor!r}")
    return body
