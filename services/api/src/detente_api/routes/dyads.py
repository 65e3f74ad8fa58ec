from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from detente_api.deps import ViewDep
from detente_api.schemas import DyadPage

router = APIRouter(prefix="/v1/dyads", tags=["dyads"])


@router.get("")
async def list_dyads(
    view: ViewDep,
    actor: Annotated[str | None, Query(description="Only dyads involving this actor id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DyadPage:
    """Pairs of principals seen together, highest 24h index first (then by subject)."""
    total, items = view.dyads(actor=actor, limit=limit, offset=offset)
    return DyadPage(items=items, total=total, limit=limit, offset=offset)
