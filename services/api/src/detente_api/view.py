"""The API's in-memory read model, fed from Kafka by the consumer (pure Python, no Kafka here).

It keeps the latest `IndexUpdate` per subject (a copy of the compacted `tension-indices`
topic) with a bounded archive of the values each subject published, the newest alerts, and
recent per-article stances (bounded by age and by count). Every index update and alert it
applies also goes to the event bus behind `/v1/stream`. Everything runs on the event loop,
so the consumer and request handlers never touch it concurrently.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from detente.events import (
    ActorKind,
    ActorStance,
    ArticleStances,
    IndexUpdate,
    MentionedActor,
    StanceEvent,
    SubjectKind,
    TensionAlert,
    WindowValue,
)
from detente.indices import GLOBAL_SUBJECT, WINDOWS, directed_subject, dyad_subject, outdated
from detente.registry import ActorRegistry
from detente_api.history import Archive, Point, Step
from detente_api.history import change as window_change
from detente_api.history import history as rebuild_history
from detente_api.schemas import (
    ActorIndex,
    DirectedIndex,
    DyadIndex,
    GlobalIndex,
    Mover,
    Movers,
)
from detente_api.stream import DEFAULT_BUFFER, EventBus

HEADLINE_WINDOW = "24h"
_EMPTY_WINDOW = WindowValue(index=None, statements=0, articles=0)
# A clock-skewed or bogus far-future article must not push every real article out of memory.
_FUTURE_SLACK = timedelta(days=1)
# Names of actors missing from the registry, learnt from stance events; bounded like the rest.
_MAX_LEARNT_ACTORS = 10_000
# Alerts kept in memory: the newest (by `as_of`, then `raised_at`, then id) win.
MAX_ALERTS = 1000

# `low`, the default: the lower bound of the index's interval, so that a firm 80 on many
# statements ranks above a lucky 100 on one (docs/indices.md, Evidence).
Sort = Literal["low", "index", "change", "statements", "name"]
Order = Literal["asc", "desc"]
_T = TypeVar("_T")
_AlertKey = tuple[datetime, datetime, str]


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


def _windows(update: IndexUpdate | None) -> dict[str, WindowValue]:
    """The standard windows always present (empty if unknown), plus any extra the worker sends."""
    given = update.windows if update is not None else {}
    return {name: given.get(name, _EMPTY_WINDOW) for name in WINDOWS} | given


def _window_index(update: IndexUpdate, window: str) -> float | None:
    value = update.windows.get(window)
    return value.index if value is not None else None


def _window_low(update: IndexUpdate, window: str) -> float | None:
    """The interval's lower bound; the index itself for a record from before intervals."""
    value = update.windows.get(window)
    if value is None:
        return None
    return value.low if value.low is not None else value.index


def _ordered(
    entries: Iterable[_T],
    value: Callable[[_T], Any],
    tiebreak: Callable[[_T], str],
    descending: bool,
) -> list[_T]:
    """Sorted by `value` (nulls last in either order), ties by `tiebreak` ascending."""
    present: list[_T] = []
    missing: list[_T] = []
    for entry in entries:
        (missing if value(entry) is None else present).append(entry)
    present.sort(key=tiebreak)
    present.sort(key=value, reverse=descending)  # stable: ties keep the tiebreak order
    missing.sort(key=tiebreak)
    return present + missing


def _alert_key(alert: TensionAlert) -> _AlertKey:
    return (alert.as_of, alert.raised_at, alert.alert_id)


class TensionView:
    def __init__(
        self,
        registry: ActorRegistry | None = None,
        *,
        retention: timedelta = timedelta(days=30),
        max_articles: int = 100_000,
        history_retention: timedelta = timedelta(days=30),
        max_alerts: int = MAX_ALERTS,
        bus: EventBus | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if max_articles < 1:
            raise ValueError("max_articles must be at least 1")
        if max_alerts < 1:
            raise ValueError("max_alerts must be at least 1")
        self.bus = bus if bus is not None else EventBus(DEFAULT_BUFFER)
        self._archive_hours = max(1, int(history_retention.total_seconds() // 3600))
        self._archives: dict[str, Archive] = {}  # subject -> values it published
        # subject -> window -> (index 24 h earlier, change): computed on demand, reset on update
        self._changes: dict[str, dict[str, tuple[float | None, float | None]]] = {}
        self._max_alerts = max_alerts
        self._alerts: dict[str, tuple[_AlertKey, TensionAlert]] = {}  # alert id -> alert
        # Min-heap of (key, alert id) to evict the oldest; entries replaced since are stale.
        self._alert_heap: list[tuple[_AlertKey, str]] = []
        self._registry = registry
        self._retention = retention
        self._max_articles = max_articles
        self._clock = clock
        self._actors: dict[str, IndexUpdate] = {}  # actor id -> update
        self._dyads: dict[str, IndexUpdate] = {}  # subject -> update
        self._directed: dict[str, IndexUpdate] = {}  # `dyad:<from>><to>` -> update
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

    def apply_index(self, update: IndexUpdate) -> bool:
        """Keep the latest index of a subject; False when `update` is older than the one held.

        Offsets order a subject's updates, except for a worker frozen past its session
        timeout that wakes and sends an update its successor has already overtaken
        (docs/guarantees.md, Fencing): article counts only grow, so fewer means older.
        A kept update is also archived for history and published to the stream (without
        its hourly buckets, which only history needs)."""
        held = self.index_update(update.subject)
        if held is not None and outdated(update, held):
            return False
        if update.subject_kind == "actor":
            if len(update.actors) != 1:
                raise ValueError(f"actor subject {update.subject!r} needs exactly one actor")
            self._actors[update.actors[0]] = update
        elif update.subject_kind in ("dyad", "directed"):
            if len(update.actors) != 2:
                raise ValueError(f"dyad subject {update.subject!r} needs exactly two actors")
            pairs = self._dyads if update.subject_kind == "dyad" else self._directed
            pairs[update.subject] = update
        elif update.subject == GLOBAL_SUBJECT:
            self._global = update
        else:
            raise ValueError(f"unknown subject {update.subject!r} of kind {update.subject_kind}")
        self._changes.pop(update.subject, None)
        archive = self._archives.get(update.subject)
        if archive is None:
            archive = self._archives[update.subject] = Archive(self._archive_hours)
        archive.record(update)
        data = update.model_dump_json(exclude={"hourly"})
        self.bus.publish("index", update.subject, update.actors, data)
        return True

    def remove_subject(self, subject: str) -> None:
        """A tombstone on the compacted topic: the subject is gone."""
        kind, _, rest = subject.partition(":")
        if subject == GLOBAL_SUBJECT:
            self._global = None
        elif kind == "actor":
            self._actors.pop(rest, None)
        else:
            self._dyads.pop(subject, None)
            self._directed.pop(subject, None)
        self._archives.pop(subject, None)
        self._changes.pop(subject, None)

    def apply_alert(self, alert: TensionAlert) -> None:
        """Keep an alert (the newest `max_alerts` by `as_of`) and publish it to the stream.

        The kept set depends only on which alerts arrived, not on their order, so replicas
        agree. A redelivered alert replaces the one with its id and is published only if
        it differs."""
        key = _alert_key(alert)
        previous = self._alerts.get(alert.alert_id)
        if previous is not None and previous[1] == alert:
            return
        self._alerts[alert.alert_id] = (key, alert)
        heapq.heappush(self._alert_heap, (key, alert.alert_id))
        while len(self._alerts) > self._max_alerts:
            oldest, alert_id = heapq.heappop(self._alert_heap)
            kept = self._alerts.get(alert_id)
            if kept is not None and kept[0] == oldest:
                del self._alerts[alert_id]
        if len(self._alert_heap) > 2 * len(self._alerts) + 1024:
            self._alert_heap = [(k, i) for i, (k, _) in self._alerts.items()]
            heapq.heapify(self._alert_heap)
        self.bus.publish("alert", alert.subject, alert.actors, alert.model_dump_json())

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
                mentioned=list(event.mentioned),
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
        actor_id = event.stance.actor
        previous = article.stances.get(actor_id)
        if previous is None or event.classified_at >= previous[0]:
            article.stances[actor_id] = (event.classified_at, event.model_version, event.stance)
        self._learn(event.stance)
        self._evict()
        return event.article_id in self._articles

    # -- queries -------------------------------------------------------------------------

    def knows(self, actor_id: str) -> bool:
        """Registered, named by a stance event, or holding an index."""
        return self._knows(actor_id) or actor_id in self._actors

    def actor(self, actor_id: str, window: str = "24h") -> ActorIndex | None:
        """An actor's index; a registered actor without data yet gets nulls; unknown -> None."""
        update = self._actors.get(actor_id)
        if update is None and not self._knows(actor_id):
            return None
        return self._actor_body(actor_id, update, window)

    def actors(
        self,
        *,
        kind: str | None = None,
        affiliation: str | None = None,
        sort: Sort = "low",
        order: Order | None = None,
        window: str = "24h",
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[ActorIndex]]:
        """(total, page) of actors that have an index, highest `window` index first unless
        `sort`/`order` say otherwise (`name` sorts ascending by default); ties by id."""
        selected = [
            (a, u)
            for a, u in self._actors.items()
            if (kind is None or self._describe(a)[1] == kind)
            and (affiliation is None or self._describe(a)[2] == affiliation)
        ]
        ranked = self._rank(
            [u for _, u in selected], lambda u: self._describe(u.actors[0])[0], sort, order, window
        )
        page = ranked[offset : offset + limit]
        return len(selected), [self._actor_body(u.actors[0], u, window) for u in page]

    def dyad(self, a: str, b: str, window: str = "24h") -> DyadIndex | None:
        """The pair's index (in either order) with what each side does toward the other,
        None if the pair has neither."""
        update = self._dyads.get(dyad_subject(a, b))
        first, second = sorted((a, b))
        directions = [
            self._directed_body(source, target, window)
            for source, target in ((first, second), (second, first))
        ]
        if update is None and not any(d.statements for d in directions):
            return None
        return self._dyad_body(update, window, directions)

    def _directed_body(self, source: str, target: str, window: str) -> DirectedIndex:
        update = self._directed.get(directed_subject(source, target))
        return DirectedIndex(
            source=source,
            target=target,
            names=[self._describe(source)[0], self._describe(target)[0]],
            **self._index_fields(update, window),
        )

    def dyads(
        self,
        *,
        actor: str | None = None,
        kind: str | None = None,
        affiliation: str | None = None,
        sort: Sort = "low",
        order: Order | None = None,
        window: str = "24h",
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[DyadIndex]]:
        """(total, page) of dyads, ranked as `actors`. `actor`: pairs that include it;
        `kind`, `affiliation`: pairs with at least one side of that kind or affiliation."""
        selected = [
            u
            for u in self._dyads.values()
            if (actor is None or actor in u.actors)
            and (kind is None or any(self._describe(a)[1] == kind for a in u.actors))
            and (affiliation is None or any(self._describe(a)[2] == affiliation for a in u.actors))
        ]
        ranked = self._rank(selected, self._subject_name, sort, order, window)
        page = ranked[offset : offset + limit]
        return len(selected), [self._dyad_body(u, window) for u in page]

    def _rank(
        self,
        updates: list[IndexUpdate],
        name: Callable[[IndexUpdate], str],
        sort: Sort,
        order: Order | None,
        window: str,
    ) -> list[IndexUpdate]:
        """Actors and dyads rank alike: by `sort` (names ascending by default, everything
        else descending), nulls last, ties by subject."""
        value: Callable[[IndexUpdate], Any] = {
            "low": lambda u: _window_low(u, window),
            "index": lambda u: _window_index(u, window),
            "change": lambda u: self._change(u, window)[1],
            "statements": lambda u: u.total_statements,
            "name": lambda u: name(u).casefold(),
        }[sort]
        descending = order == "desc" if order is not None else sort != "name"
        return _ordered(updates, value, lambda u: u.subject, descending)

    def _index_fields(self, update: IndexUpdate | None, window: str) -> dict[str, Any]:
        """The fields every subject's body has (`GlobalIndex`); empty ones without data."""
        return {
            "windows": _windows(update),
            "ewma": update.ewma if update else None,
            "index": _window_index(update, window) if update else None,
            "change": self._change(update, window)[1] if update else None,
            "statements": update.total_statements if update else 0,
            "as_of": update.as_of if update else None,
        }

    def global_index(self) -> GlobalIndex:
        return GlobalIndex(**self._index_fields(self._global, HEADLINE_WINDOW))

    def movers(
        self, *, kind: SubjectKind = "actor", window: str = "24h", limit: int = 10
    ) -> Movers:
        """The largest rises and falls of the window's index over the 24 hours before each
        subject's latest event; ties by subject."""
        pool = self._dyads.values() if kind == "dyad" else self._actors.values()
        moves = [(update, *self._change(update, window)) for update in pool]

        def mover(update: IndexUpdate, previous: float | None, delta: float) -> Mover:
            now = update.windows.get(window)
            low, high = (now.low, now.high) if now is not None else (None, None)
            return Mover(
                subject=update.subject,
                subject_kind=update.subject_kind,
                actors=sorted(update.actors),
                name=self._subject_name(update),
                window=window,
                index=_window_index(update, window),
                previous=previous,
                change=delta,
                low=low,
                high=high,
                # Beyond the noise of its evidence: the earlier value lies outside the
                # window's interval now.
                significant=(
                    previous is not None
                    and low is not None
                    and high is not None
                    and not low <= previous <= high
                ),
                statements=now.statements if now is not None else 0,
                articles=now.articles if now is not None else 0,
                as_of=update.as_of,
            )

        rises = heapq.nsmallest(
            limit, ((-d, u.subject, u, p) for u, p, d in moves if d is not None and d > 0)
        )
        falls = heapq.nsmallest(
            limit, ((d, u.subject, u, p) for u, p, d in moves if d is not None and d < 0)
        )
        return Movers(
            window=window,
            kind=kind,
            rises=[mover(u, p, -d) for d, _, u, p in rises],
            falls=[mover(u, p, d) for d, _, u, p in falls],
        )

    def alerts(
        self,
        *,
        subject: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[TensionAlert]]:
        """(total, page) of alerts, newest `as_of` first; `actor`: alerts whose subject
        involves it; `since`: `as_of` at or after it."""
        selected = [
            alert
            for _, alert in self._alerts.values()
            if (subject is None or alert.subject == subject)
            and (actor is None or actor in alert.actors)
            and (since is None or alert.as_of >= since)
        ]
        selected.sort(key=_alert_key, reverse=True)
        return len(selected), selected[offset : offset + limit]

    def index_update(self, subject: str) -> IndexUpdate | None:
        """The latest update of a subject (`actor:<id>`, `dyad:<a>|<b>`, `global`)."""
        kind, _, rest = subject.partition(":")
        if subject == GLOBAL_SUBJECT:
            return self._global
        if kind == "actor":
            return self._actors.get(rest)
        if kind != "dyad":
            return None
        return self._directed.get(subject) if ">" in rest else self._dyads.get(subject)

    def history(
        self, subject: str, window: str, since: datetime, until: datetime, step: Step
    ) -> list[Point]:
        """The window's index of a subject over [since, until] (see `history.history`)."""
        update = self.index_update(subject)
        if update is None:
            return []
        archive = self._archives.get(subject)
        return rebuild_history(update, archive, window, since, until, step)

    def archived_points(self) -> int:
        """Points held by the history archives, all subjects together."""
        return sum(len(a) for a in self._archives.values())

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
            mentioned=article.mentioned,
        )

    def articles_published(self, since: datetime, until: datetime) -> list[ArticleStances]:
        """The articles held whose `published_at` lies in [since, until), oldest first."""
        held = [a for a in self._articles.values() if since <= a.published_at < until]
        held.sort(key=lambda a: (a.published_at, a.id))
        return [body for a in held if (body := self.article(a.id)) is not None]

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

    def _change(self, update: IndexUpdate, window: str) -> tuple[float | None, float | None]:
        cached = self._changes.setdefault(update.subject, {})
        if window not in cached:
            cached[window] = window_change(update, window)
        return cached[window]

    def _names(self, actors: Sequence[str]) -> list[str]:
        return [self._describe(a)[0] for a in sorted(actors)]

    def _subject_name(self, update: IndexUpdate) -> str:
        if update.subject_kind == "global":
            return "Global"
        return " – ".join(self._names(update.actors))

    def _actor_body(
        self, actor_id: str, update: IndexUpdate | None, window: str = "24h"
    ) -> ActorIndex:
        name, kind, affiliation = self._describe(actor_id)
        return ActorIndex(
            actor=actor_id,
            name=name,
            kind=kind,
            affiliation=affiliation,
            **self._index_fields(update, window),
        )

    def _dyad_body(
        self,
        update: IndexUpdate | None,
        window: str = "24h",
        directions: list[DirectedIndex] | None = None,
    ) -> DyadIndex:
        """A pair's body; `update` None when only one side acts toward the other."""
        actors = update.actors if update else [d.source for d in directions or []]
        return DyadIndex(
            actors=sorted(actors),
            names=self._names(actors),
            **self._index_fields(update, window),
            directions=directions,
        )
