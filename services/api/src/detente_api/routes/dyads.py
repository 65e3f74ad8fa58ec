from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from detente.events import ActorKind
from detente.indices import directed_subject, dyad_subject
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
    invalid,
    require_actor,
    require_known,
)
from detente_api.schemas import DyadIndex, DyadPage, History
from detente_api.view import TensionView

router = APIRouter(prefix="/v1/dyads", tags=["dyads"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "An unknown actor, or a pair without an index"}
}


@router.get("")
async def list_dyads(
    view: ViewDep,
    actor: Annotated[str | None, Query(description="Only dyads involving this actor id")] = None,
    kind: Annotated[
        ActorKind | None, Query(description="Only pairs with a side of this kind")
    ] = None,
    affiliation: Annotated[
        str | None, Query(description="Only pairs with a side directly affiliated with it")
    ] = None,
    sort: SortQuery = "low",
    order: OrderQuery = None,
    window: WindowQuery = "24h",
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> DyadPage:
    """Pairs of principals seen together, ranked as actors: by default the highest lower
    bound of the `window` index's interval first (then by subject)."""
    require_known(view, "actor", actor)
    require_known(view, "affiliation", affiliation)
    total, items = view.dyads(
        actor=actor,
        kind=kind,
        affiliation=affiliation,
        sort=sort,
        order=order,
        window=window,
        limit=limit,
        offset=offset,
    )
    return DyadPage(items=items, total=total, limit=limit, offset=offset)


def _pair(view: TensionView, a: str, b: str) -> str:
    """The dyad subject of two known, different actors (in either order)."""
    require_actor(view, a)
    require_actor(view, b)
    if a == b:
        raise invalid("b", "a dyad needs two different actors", b, location="path")
    return str(dyad_subject(a, b))


@router.get("/{a}/{b}", responses=_NOT_FOUND)
async def get_dyad(a: str, b: str, view: ViewDep, window: WindowQuery = "24h") -> DyadIndex:
    """One pair, with `directions`: what each side does toward the other (first → second,
    then second → first, in sorted id order). `/v1/dyads/russia/france` and
    `/v1/dyads/france/russia` are the same."""
    subject = _pair(view, a, b)
    body = view.dyad(a, b, window)
    if body is None:
        raise HTTPException(status_code=404, detail=f"no index for dyad {subject[5:]!r}")
    return body


@router.get("/{a}/{b}/history", responses=_NOT_FOUND)
async def dyad_history(
    a: str,
    b: str,
    view: ViewDep,
    window: WindowQuery = "24h",
    since: SinceQuery = None,
    until: UntilQuery = None,
    step: StepQuery = "1h",
    directed: Annotated[
        bool, Query(description="Only what {a} does toward {b} (the path's order matters)")
    ] = False,
) -> History:
    """The pair's `window` index over time, as for actors."""
    subject = _pair(view, a, b)
    if directed:
        subject = directed_subject(a, b)
    if view.index_update(subject) is None:
        raise HTTPException(status_code=404, detail=f"no index for dyad {subject[5:]!r}")
    return history_body(view, subject, window, since, until, step)
