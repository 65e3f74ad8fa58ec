"""Recent per-article stances, as the API shows them: bounded by age and by count.

Fed from the `stances` topic by the consumer, one actor's stance at a time; runs on the
event loop like the rest of the view (pure Python, no Kafka here).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from detente.events import ActorStance, ArticleStances, MentionedActor, StanceEvent

# A clock-skewed or bogus far-future article must not push every real article out of memory.
_FUTURE_SLACK = timedelta(days=1)


@dataclass
class _Article:
    id: str
    published_at: datetime
    title: str
    model_version: str
    classified_at: datetime
    heap_key: tuple[float, int]
    # actor id -> (classified_at, model_version, stance): the latest stance per actor.
    stances: dict[str, tuple[datetime, str, ActorStance]] = field(default_factory=dict)
    # The named-only actors of the latest classification (absent from records before the
    # "none" outcome, which then show none).
    mentioned: list[MentionedActor] = field(default_factory=list)
    # How many stance records the latest classification sends (None before the field).
    stance_takers: int | None = None


class HeldArticle(ArticleStances):
    """An article as the API holds it: its stance records arrive one actor at a time."""

    # Whether every stance record of the latest classification has arrived; null for
    # records written before workers said how many there are (events.md).
    complete: bool | None = None


class ArticleStore:
    """The stances of recent articles, evicted oldest first past `retention` (counted from
    the newest classification seen) or past `max_articles`."""

    def __init__(
        self, retention: timedelta, max_articles: int, clock: Callable[[], datetime]
    ) -> None:
        if max_articles < 1:
            raise ValueError("max_articles must be at least 1")
        self._retention = retention
        self._max_articles = max_articles
        self._clock = clock
        self._articles: dict[str, _Article] = {}
        # Min-heap of (classified_at timestamp, sequence, article id); entries whose key no
        # longer matches the article (deleted, or reclassified) are stale and skipped.
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._newest: datetime | None = None

    def apply(self, event: StanceEvent) -> bool:
        """Add one actor's stance to its article; False if the article is too old to keep.

        Retention counts from when the worker classified the article, not from when it was
        published: a backfill of old news stays visible, and every replica evicts alike.
        """
        stamp = event.classified_at
        newest = min(stamp, self._clock() + _FUTURE_SLACK)
        if self._newest is None or newest > self._newest:
            self._newest = newest
        if stamp < self._horizon():
            return False
        article = self._articles.get(event.article_id)
        if article is None:
            article = _Article(
                id=event.article_id,
                published_at=event.published_at,
                title=event.title,
                model_version=event.model_version,
                classified_at=stamp,
                heap_key=self._push(stamp, event.article_id),
                mentioned=list(event.mentioned),
                stance_takers=event.stance_takers,
            )
            self._articles[event.article_id] = article
        elif stamp > article.classified_at:
            # The latest classification of the article defines its header.
            article.title = event.title
            article.model_version = event.model_version
            article.published_at = event.published_at
            article.classified_at = stamp
            article.heap_key = self._push(stamp, event.article_id)
            article.mentioned = list(event.mentioned)
            article.stance_takers = event.stance_takers
        actor_id = event.stance.actor
        previous = article.stances.get(actor_id)
        if previous is None or event.classified_at >= previous[0]:
            article.stances[actor_id] = (event.classified_at, event.model_version, event.stance)
        self._evict()
        return event.article_id in self._articles

    def article(self, article_id: str) -> HeldArticle | None:
        """The stances of the article's latest classification, one per actor."""
        article = self._articles.get(article_id)
        if article is None:
            return None
        stances = [
            stance
            for _, version, stance in article.stances.values()
            if version == article.model_version
        ]
        arrived = sum(1 for at, _, _ in article.stances.values() if at == article.classified_at)
        expected = article.stance_takers
        return HeldArticle(
            id=article.id,
            published_at=article.published_at,
            title=article.title,
            model_version=article.model_version,
            actors=sorted(stances, key=lambda s: s.actor),
            mentioned=article.mentioned,
            complete=None if expected is None else arrived >= expected,
        )

    def articles_published(self, since: datetime, until: datetime) -> list[HeldArticle]:
        """The articles held whose `published_at` lies in [since, until), oldest first."""
        held = [a for a in self._articles.values() if since <= a.published_at < until]
        held.sort(key=lambda a: (a.published_at, a.id))
        return [body for a in held if (body := self.article(a.id)) is not None]

    @property
    def count(self) -> int:
        return len(self._articles)

    def _horizon(self) -> datetime:
        assert self._newest is not None
        return self._newest - self._retention

    def _push(self, published: datetime, article_id: str) -> tuple[float, int]:
        self._seq += 1
        key = (published.timestamp(), self._seq)
        heapq.heappush(self._heap, (*key, article_id))
        return key

    def _evict(self) -> None:
        horizon = self._horizon().timestamp()
        heap = self._heap
        while heap and (len(self._articles) > self._max_articles or heap[0][0] < horizon):
            stamp, seq, article_id = heapq.heappop(heap)
            article = self._articles.get(article_id)
            if article is not None and article.heap_key == (stamp, seq):
                del self._articles[article_id]
        # Re-dated articles leave stale entries behind; compact before they add up.
        if len(heap) > 2 * len(self._articles) + 1024:
            self._heap = [(*a.heap_key, a.id) for a in self._articles.values()]
            heapq.heapify(self._heap)
