"""The API's in-memory read model, fed from Kafka by the consumer (pure Python, no Kafka here).

It keeps the latest `IndexUpdate` per subject (a copy of the compacted `tension-indices`
topic) and recent per-article stances (bounded by age and by count). Everything runs on the
event loop, so the consumer and request handlers never touch it concurrently.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from detente.events import (
    ActorKind,
    ActorStance,
    ArticleStances,
    IndexUpdate,
    StanceEvent,
    WindowValue,
)
from detente.indices import GLOBAL_SUBJECT, WINDOWS
from detente.registry import ActorRegistry

from detente_api.schemas import ActorIndex, DyadIndex, GlobalIndex

HEADLINE_WINDOW = "24h"
_EMPTY_WINDOW = WindowValue(index=None, statements=0, articles=0)
# A clock-skewed or bogus far-future article must not push every real article out of memory.
_FUTURE_SLACK = timedelta(days=1)
# Names of actors missing from the registry, learnt from stance events; bounded like the rest.
_MAX_LEARNT_ACTORS = 10_000


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


def _windows(update: IndexUpdate | None) -> dict[str, WindowValue]:
    """The standard windows always present (empty if unknown), plus any extra the worker sends."""
    given = update.windows if update is not None else {}
    return {name: given.get(name, _EMPTY_WINDOW) for name in WINDOWS} | given


def _headline(update: IndexUpdate) -> float | None:
    window = update.windows.get(HEADLINE_WINDOW)
    return window.index if window is not None else None


def _ranked(updates: Iterable[IndexUpdate]) -> list[IndexUpdate]:
    """Highest 24h index first, subjects without one last, ties by subject id."""
    return sorted(updates, key=lambda u: (_headline(u) is None, -(_headline(u) or 0.0), u.subject))


class TensionView:
    def __init__(
        self,
        registry: ActorRegistry | None = None,
        *,
        retention: timedelta = timedelta(days=30),
        max_articles: int = 100_000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if max_articles < 1:
            raise ValueError("max_articles must be at least 1")
        self._registry = registry
        self._retention = retention
        self._max_articles = max_articles
        self._clock = clock
        self._actors: dict[str, IndexUpdate] = {}  # actor id -> update
        self._dyads: dict[str, IndexUpdate] = {}  # subject -> update
        self._global: IndexUpdate | None = None
        self._articles: dict[str, _Article] = {}
        # Min-heap of (classified_at timestamp, sequence, article id); entries whose key no
        # longer matches the article (deleted, or reclassified) are stale and skipped.
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._newest: datetime | None = None
        self._learnt: dict[str, tuple[str, ActorKind, str | None]] = {}
        self.ready = False
        self.lag: int | None = None

    # -- feeding -------------------------------------------------------------------------

    def set_progress(self, *, lag: int | None, ready: bool) -> None:
        """Record consumer progress. Readiness latches: once caught up, a later lag spike
        (or a broker outage) leaves the API serving its last known data."""
        self.lag = lag
        self.ready = self.ready or ready

    def apply_index(self, update: IndexUpdate) -> None:
        """Keep the latest index of a subject; offsets order updates per key, so last wins."""
        if update.subject_kind == "actor":
            if len(update.actors) != 1:
                raise ValueError(f"actor subject {update.subject!r} needs exactly one actor")
            self._actors[update.actors[0]] = update
        elif update.subject_kind == "dyad":
            if len(update.actors) != 2:
                raise ValueError(f"dyad subject {update.subject!r} needs exactly two actors")
            self._dyads[update.subject] = update
        else:
            self._global = update

    def remove_subject(self, subject: str) -> None:
        """A tombstone on the compacted topic: the subject is gone."""
        kind, _, rest = subject.partition(":")
        if subject == GLOBAL_SUBJECT:
            self._global = None
        elif kind == "actor":
            self._actors.pop(rest, None)
        else:
            self._dyads.pop(subject, None)

    def apply_stance(self, event: StanceEvent) -> bool:
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
            )
            self._articles[event.article_id] = article
        elif stamp > article.classified_at:
            # The latest classification of the article defines its header.
            article.title = event.title
            article.model_version = event.model_version
            article.published_at = event.published_at
            article.classified_at = stamp
            article.heap_key = self._push(stamp, event.article_id)
        actor_id = event.stance.actor
        previous = article.stances.get(actor_id)
        if previous is None or event.classified_at >= previous[0]:
            article.stances[actor_id] = (event.classified_at, event.model_version, event.stance)
        self._learn(event.stance)
        self._evict()
        return event.article_id in self._articles

    # -- queries -------------------------------------------------------------------------

    def actor(self, actor_id: str) -> ActorIndex | None:
        """An actor's index; a registered actor without data yet gets nulls; unknown -> None."""
        update = self._actors.get(actor_id)
        if update is None and not self._knows(actor_id):
            return None
        return self._actor_body(actor_id, update)

    def actors(
        self, *, kind: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[int, list[ActorIndex]]:
        """(total, page) of actors that have an index, ranked by 24h index."""
        selected = [
            u for a, u in self._actors.items() if kind is None or self._describe(a)[1] == kind
        ]
        page = _ranked(selected)[offset : offset + limit]
        return len(selected), [self._actor_body(u.actors[0], u) for u in page]

    def dyads(
        self, *, actor: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[int, list[DyadIndex]]:
        """(total, page) of dyads, optionally only those involving `actor`, ranked by 24h index."""
        selected = [u for u in self._dyads.values() if actor is None or actor in u.actors]
        page = _ranked(selected)[offset : offset + limit]
        return len(selected), [self._dyad_body(u) for u in page]

    def global_index(self) -> GlobalIndex:
        update = self._global
        return GlobalIndex(
            windows=_windows(update),
            ewma=update.ewma if update else None,
            index=_headline(update) if update else None,
            statements=update.total_statements if update else 0,
            as_of=update.as_of if update else None,
        )

    def article(self, article_id: str) -> ArticleStances | None:
        """The stances of the article's latest classification, one per actor."""
        article = self._articles.get(article_id)
        if article is None:
            return None
        stances = [
            stance
            for _, version, stance in article.stances.values()
            if version == article.model_version
        ]
        return ArticleStances(
            id=article.id,
            published_at=article.published_at,
            title=article.title,
            model_version=article.model_version,
            actors=sorted(stances, key=lambda s: s.actor),
        )

    @property
    def article_count(self) -> int:
        return len(self._articles)

    # -- internals -----------------------------------------------------------------------

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

    def _learn(self, stance: ActorStance) -> None:
        if self._registry is not None and stance.actor in self._registry:
            return
        if stance.actor in self._learnt or len(self._learnt) < _MAX_LEARNT_ACTORS:
            self._learnt[stance.actor] = (stance.name, stance.kind, stance.affiliation)

    def _knows(self, actor_id: str) -> bool:
        registered = self._registry is not None and actor_id in self._registry
        return registered or actor_id in self._learnt

    def _describe(self, actor_id: str) -> tuple[str, ActorKind | None, str | None]:
        """Name, kind and affiliation: the registry first, else what stance events said."""
        if self._registry is not None and actor_id in self._registry:
            known = self._registry.get(actor_id)
            return known.name, known.kind, known.affiliation
        return self._learnt.get(actor_id, (actor_id, None, None))

    def _actor_body(self, actor_id: str, update: IndexUpdate | None) -> ActorIndex:
        name, kind, affiliation = self._describe(actor_id)
        return ActorIndex(
            actor=actor_id,
            name=name,
            kind=kind,
            affiliation=affiliation,
            windows=_windows(update),
            ewma=update.ewma if update else None,
            index=_headline(update) if update else None,
            statements=update.total_statements if update else 0,
            as_of=update.as_of if update else None,
        )

    def _dyad_body(self, update: IndexUpdate) -> DyadIndex:
        actors = sorted(update.actors)
        return DyadIndex(
            actors=actors,
            names=[self._describe(a)[0] for a in actors],
            windows=_windows(update),
            ewma=update.ewma,
            index=_headline(update),
            statements=update.total_statements,
            as_of=update.as_of,
        )
