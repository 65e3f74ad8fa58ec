from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from detente.indices import dyad_subject
from detente_api.deps import ViewDep
from detente_api.routes.params import LimitQuery, OffsetQuery, require_known
from detente_api.schemas import AlertPage

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

SUBJECT_PATTERN = r"^(global|actor:[^|:>]+|dyad:[^|:>]+[|>][^|:>]+)$"


@router.get("")
async def list_alerts(
    view: ViewDep,
    subject: Annotated[
        str | None,
        Query(
            pattern=SUBJECT_PATTERN,
            description="`actor:<id>`, `dyad:<a>|<b>` (either order), `dyad:<from>><to>` "
            "(what one side does toward the other) or `global`",
        ),
    ] = None,
    actor: Annotated[
        str | None, Query(description="Alerts about this actor or a pair including it")
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Alerts whose `as_of` is at or after it")
    ] = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> AlertPage:
    """Tension spikes (the `tension-alerts` topic), newest `as_of` first; the newest 1,000
    are kept."""
    if subject is not None:
        kind, _, rest = subject.partition(":")
        directed = ">" in rest
        pair = rest.split(">" if directed else "|")
        for who in pair if kind in ("actor", "dyad") else []:
            require_known(view, "subject", who)
        if kind == "dyad" and not directed:
            subject = dyad_subject(*pair)  # either order
    require_known(view, "actor", actor)
    total, items = view.alerts(
        subject=subject, actor=actor, since=since, limit=limit, offset=offset
    )
    return AlertPage(items=items, total=total, limit=limit, offset=offset)
