from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from detente_api.deps import ViewDep
from detente_api.routes.params import WindowQuery
from detente_api.schemas import Movers

router = APIRouter(prefix="/v1/movers", tags=["movers"])


@router.get("")
async def get_movers(
    view: ViewDep,
    window: WindowQuery = "24h",
    kind: Literal["actor", "dyad"] = "actor",
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> Movers:
    """The largest rises and falls of the window's index over the 24 hours before each
    subject's latest event (event time), `limit` of each; subjects with an unknown change
    (no statements then or now) are left out."""
    return view.movers(kind=kind, window=window, limit=limit)
