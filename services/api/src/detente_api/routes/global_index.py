from __future__ import annotations

from fastapi import APIRouter

from detente_api.deps import ViewDep
from detente_api.schemas import GlobalIndex

router = APIRouter(prefix="/v1/global", tags=["global"])


@router.get("")
async def get_global(view: ViewDep) -> GlobalIndex:
    """The index over all actors; nulls until the first global update arrives."""
    return view.global_index()
