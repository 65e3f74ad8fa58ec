"""The articles behind an index: which held articles add to a subject, and through whom.

An article is behind a subject when the worker's own function, `detente.indices.contributions`,
gives it a contribution to that subject: Lavrov's stance is behind `actor:russia` (roll-up),
an article where both sides take a stance is behind their pair, and one where Russia's actors
speak about Ukraine is behind `dyad:russia>ukraine`. The caps on pairs per article apply as
in the worker, so the list is what the index counted (with this API's registry).

A stance-taker *counts* toward a subject when its own stance, alone, would add to it (for a
symmetric pair: to either side), so a reader can show the evidence sentences that moved the
figure and leave the other actors of the article aside.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from detente.events import ArticleStances
from detente.indices import actor_subject, contributions
from detente.registry import ActorRegistry
from detente_api.article_store import HeldArticle


class ArticleBehind(HeldArticle):
    """An article with what it adds to the subjects asked about."""

    # The subjects asked about that the article adds to (all of them given none).
    subjects: list[str]
    # The stance-takers whose statements count toward those subjects, by id.
    counted: list[str]


class ArticlePage(BaseModel):
    items: list[ArticleBehind]
    total: int
    limit: int
    offset: int
    since: datetime
    until: datetime


def _subjects_of(article: ArticleStances, registry: ActorRegistry) -> set[str]:
    return {c.subject for c in contributions(article, registry)}


def _counts_toward(subject: str, own: set[str]) -> bool:
    """Whether one stance's own subjects (`own`) make it count toward `subject`."""
    kind, _, rest = subject.partition(":")
    if kind == "dyad" and "|" in rest:
        return any(actor_subject(side) in own for side in rest.split("|"))
    return subject in own


def _named(article: ArticleStances, registry: ActorRegistry) -> set[str]:
    """Every actor id a subject of the article could name: its stance-takers, what they
    roll up to, and their targets (a cheap superset, to skip most articles quickly)."""
    named: set[str] = set()
    for stance in article.actors:
        named.update((stance.actor, *stance.targets))
        for start in (stance.actor, stance.affiliation):
            if start is not None and start in registry:
                named.update(registry.lineage(start))
    return named


def _sides(subject: str) -> list[str]:
    kind, _, rest = subject.partition(":")
    return [] if kind == "global" else rest.replace(">", "|").split("|")


def behind(
    article: HeldArticle, subjects: set[str] | None, registry: ActorRegistry
) -> ArticleBehind | None:
    """The article with what it adds to `subjects` (None: to anything), or None if nothing."""
    if subjects is not None:
        named = _named(article, registry)
        if not any(set(_sides(subject)) <= named for subject in subjects):
            return None
    touched = _subjects_of(article, registry)
    if subjects is not None:
        touched &= subjects
    if not touched:
        return None
    counted = []
    for stance in article.actors:
        own = _subjects_of(article.model_copy(update={"actors": [stance]}), registry)
        if any(_counts_toward(subject, own) for subject in touched):
            counted.append(stance.actor)
    return ArticleBehind(
        **article.model_dump(),
        subjects=sorted(touched) if subjects is not None else [],
        counted=counted,
    )
