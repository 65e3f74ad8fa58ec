from __future__ import annotations

from fastapi import APIRouter, HTTPException

from detente.events import ArticleStances
from detente_api.deps import ViewDep

router = APIRouter(prefix="/v1/articles", tags=["articles"])


@router.get(
    "/{article_id}",
    responses={404: {"description": "Never seen, or evicted (older than the retention)"}},
)
async def get_article(article_id: str, view: ViewDep) -> ArticleStances:
    """Each actor's stance in one article, from its latest classification."""
    body = view.article(article_id)
    if body is None:
        raise HTTPException(status_code=404, detail=f"unknown article {article_id!r}")
    return body
