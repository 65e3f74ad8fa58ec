"""The API's in-memory read model, fed from Kafka by the consumer (pure Python, no Kafka here).

It keeps the latest `IndexUpdate` per subject (a copy of the compacted `tension-indices`
topic) with a bounded archive of the values each subject published, and serves the index
queries; the newest alerts (alert_store.py) and recent per-article stances
(article_store.py) sit beside them. Every index update and alert it applies also goes to
the event bus behind `/v1/stream`. Everything runs on the event loop, so the consumer and
request handlers never touch it concurrently.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from detente.events import (
    IndexUpdate,
    StanceEvent,
    SubjectKind,
    TensionAlert,
    WindowValue,
)
from detente.indices import GLOBAL_SUBJECT, WINDOWS, directed_subject, dyad_subject, outdated
from detente.registry import ActorRegistry
from detente_api import ranking
from detente_api.alert_store import MAX_ALERTS, AlertStore
from detente_api.article_store import ArticleStore, HeldArticle
from detente_api.history import Archive, Point, Step
from detente_api.history import change as window_change
from detente_api.history import history as rebuild_history
from detente_api.names import ActorNames
from detente_api.ranking import Order, Sort
from detente_api.schemas import (
    ActorIndex,
    DirectedIndex,
    DyadIndex,
    GlobalIndex,
    Movers,
)
from detente_api.stream import DEFAULT_BUFFER, EventBus

HEADLINE_WINDOW = "24h"
_EMPTY_WINDOW = WindowValue(index=None, statements=0, articles=0)

# The parts of the view that change apart (see `version`).
ViewPart = Literal["indices", "alerts", "articles"]


def _windows(update: IndexUpdate | None) -> dict[str, WindowValue]:
    """The standard windows always present (empty if unknown), plus any extra the worker sends."""
    given = update.windows if update is not None else {}
    return {name: given.get(name, _EMPTY_WINDOW) for name in WINDOWS} | given


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
        self.bus = bus if bus is not None else EventBus(DEFAULT_BUFFER)
        self._archive_hours = max(1, int(history_retention.total_seconds() // 3600))
        self._archives: dict[str, Archive] = {}  # subject -> values it published
        # subject -> window -> (index 24 h earlier, change): computed on demand, reset on update
        self._changes: dict[str, dict[str, tuple[float | None, float | None]]] = {}
        self._alerts = AlertStore(max_alerts)
        self._articles = ArticleStore(retention, max_articles, clock)
        self._names = ActorNames(registry)
        self._actors: dict[str, IndexUpdate] = {}  # actor id -> update
        self._dyads: dict[str, IndexUpdate] = {}  # subject -> update
        self._directed: dict[str, IndexUpdate] = {}  # `dyad:<from>><to>` -> update
        self._global: IndexUpdate | None = None
        # Bumped by every change to what a part's answers show (detente_api.prepared).
        self._versions: dict[ViewPart, int] = {"indices": 0, "alerts": 0, "articles": 0}
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
        self._versions["indices"] += 1
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
        self._versions["indices"] += 1

    def apply_alert(self, alert: TensionAlert) -> None:
        """Keep an alert (alert_store.py) and publish it to the stream if it is new or
        differs from the one held under its id."""
        if self._alerts.apply(alert):
            self._versions["alerts"] += 1
            self.bus.publish("alert", alert.subject, alert.actors, alert.model_dump_json())

    def apply_stance(self, event: StanceEvent) -> bool:
        """Add one actor's stance to its article (article_store.py); False if the article is
        too old to keep. The actor's name is learnt either way."""
        if self._names.learn(event.stance):  # indices show actors' names
            self._versions["indices"] += 1
        self._versions["articles"] += 1
        return self._articles.apply(event)

    def version(self, part: ViewPart) -> int:
        """How many changes the part has had: answers built from it are valid while this
        stays the same."""
        return self._versions[part]

    # -- queries -------------------------------------------------------------------------

    def knows(self, actor_id: str) -> bool:
        """Registered, named by a stance event, or holding an index."""
        return self._names.knows(actor_id) or actor_id in self._actors

    def actor(self, actor_id: str, window: str = "24h") -> ActorIndex | None:
        """An actor's index; a registered actor without data yet gets nulls; unknown -> None."""
        update = self._actors.get(actor_id)
        if update is None and not self._names.knows(actor_id):
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
            if (kind is None or self._names.describe(a)[1] == kind)
            and (affiliation is None or self._names.describe(a)[2] == affiliation)
        ]
        name = self._names.describe
        ranked = ranking.rank(
            [u for _, u in selected], name=lambda u: name(u.actors[0])[0],
            change=self._change, sort=sort, order=order, window=window,
        )  # fmt: skip
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
            names=[self._names.describe(source)[0], self._names.describe(target)[0]],
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
        describe = self._names.describe
        selected = [
            u
            for u in self._dyads.values()
            if (actor is None or actor in u.actors)
            and (kind is None or any(describe(a)[1] == kind for a in u.actors))
            and (affiliation is None or any(describe(a)[2] == affiliation for a in u.actors))
        ]
        ranked = ranking.rank(
            selected, name=self._names.subject_name, change=self._change,
            sort=sort, order=order, window=window,
        )  # fmt: skip
        page = ranked[offset : offset + limit]
        return len(selected), [self._dyad_body(u, window) for u in page]

    def _index_fields(self, update: IndexUpdate | None, window: str) -> dict[str, Any]:
        """The fields every subject's body has (`GlobalIndex`); empty ones without data."""
        return {
            "windows": _windows(update),
            "ewma": update.ewma if update else None,
            "index": ranking.window_index(update, window) if update else None,
            "change": self._change(update, window)[1] if update else None,
            "statements": update.total_statements if update else 0,
            "as_of": update.as_of if update else None,
        }

    def global_index(self) -> GlobalIndex:
        return GlobalIndex(**self._index_fields(self._global, HEADLINE_WINDOW))

    def movers(
        self, *, kind: SubjectKind = "actor", window: str = "24h", limit: int = 10
    ) -> Movers:
        """The largest rises and falls of the window's index (ranking.movers)."""
        pool = self._dyads.values() if kind == "dyad" else self._actors.values()
        return ranking.movers(
            pool, kind=kind, window=window, limit=limit, change=self._change,
            name=self._names.subject_name,
        )  # fmt: skip

    def alerts(
        self,
        *,
        subject: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[TensionAlert]]:
        """(total, page) of alerts, newest `as_of` first (alert_store.py)."""
        return self._alerts.query(
            subject=subject, actor=actor, since=since, limit=limit, offset=offset
        )

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

    def article(self, article_id: str) -> HeldArticle | None:
        """The stances of the article's latest classification, one per actor."""
        return self._articles.article(article_id)

    def articles_published(self, since: datetime, until: datetime) -> list[HeldArticle]:
        """The articles held whose `published_at` lies in [since, until), oldest first."""
        return self._articles.articles_published(since, until)

    @property
    def article_count(self) -> int:
        return self._articles.count

    # -- internals -----------------------------------------------------------------------

    def _change(self, update: IndexUpdate, window: str) -> tuple[float | None, float | None]:
        cached = self._changes.setdefault(update.subject, {})
        if window not in cached:
            cached[window] = window_change(update, window)
        return cached[window]

    def _actor_body(
        self, actor_id: str, update: IndexUpdate | None, window: str = "24h"
    ) -> ActorIndex:
        name, kind, affiliation = self._names.describe(actor_id)
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
            names=self._names.names(actors),
            **self._index_fields(update, window),
            directions=directions,
        )
