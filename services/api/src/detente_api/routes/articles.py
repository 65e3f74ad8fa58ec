from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime

from detente.indices import dyad_subject
from detente_api.article_store import HeldArticle
from detente_api.behind import ArticlePage, behind
from detente_api.deps import RegistryDep, ViewDep
from detente_api.routes.alerts import SUBJECT_PATTERN
from detente_api.routes.params import (
    LimitQuery,
    OffsetQuery,
    check_range,
    given_range,
    invalid,
    require_known,
)

router = APIRouter(prefix="/v1/articles", tags=["articles"])

DEFAULT_RANGE = timedelta(hours=24)


def _subject(view: ViewDep, subject: str) -> str:
    """A `subject` parameter checked (422 naming it) and a pair put in sorted order."""
    if not re.fullmatch(SUBJECT_PATTERN, subject):
        raise invalid("subject", f"not a subject: {SUBJECT_PATTERN}", subject)
    kind, _, rest = subject.partition(":")
    directed = ">" in rest
    sides = rest.split(">" if directed else "|") if kind in ("actor", "dyad") else []
    for side in sides:
        require_known(view, "subject", side)
    if kind == "dyad" and not directed:
        if sides[0] == sides[1]:
            raise invalid("subject", "a pair needs two different actors", subject)
        return dyad_subject(*sides)
    return subject


@router.get("")
async def list_articles(
    view: ViewDep,
    registry: RegistryDep,
    subject: Annotated[
        list[str] | None,
        Query(
            description="Repeatable; articles that add to any of them: `actor:<id>` (its own "
            "actors and everyone who rolls up to it), `dyad:<a>|<b>` (both sides take a "
            "stance), `dyad:<from>><to>` (one side's actors about the other) or `global`",
        ),
    ] = None,
    since: Annotated[
        AwareDatetime | None,
        Query(description="`published_at` at or after it; default: `until` − 24 hours"),
    ] = None,
    until: Annotated[
        AwareDatetime | None,
        Query(description="`published_at` before it; default: `since` + 24 hours, else now"),
    ] = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> ArticlePage:
    """The held articles published in [since, until), newest first, with each one's
    stances and evidence: all of them, or those behind the given subjects' indices (an
    hour of a chart: `since` = the point's `as_of` − 1 hour, `until` = its `as_of`)."""
    given = given_range(since, until)
    if until is None:
        until = since + DEFAULT_RANGE if since is not None else datetime.now(UTC)
    if since is None:
        since = until - DEFAULT_RANGE
    check_range(given, since, until)
    wanted = {_subject(view, s) for s in subject} if subject else None
    found = [
        body
        for article in reversed(view.articles_published(since, until))
        if (body := behind(article, wanted, registry)) is not None
    ]
    return ArticlePage(
        items=found[offset : offset + limit],
        total=len(found),
        limit=limit,
        offset=offset,
        since=since.astimezone(UTC),
        until=until.astimezone(UTC),
    )


@router.get(
    "/{article_id}",
    responses={404: {"description": "Never seen, or evicted (older than the retention)"}},
)
async def get_article(article_id: str, view: ViewDep) -> HeldArticle:
    """Each actor's stance in one article, from its latest classification."""
    body = view.article(article_id)
    if body is None:
        raise HTTPException(status_code=404, detail=f"unknown article {article_id!r}")
    return body
