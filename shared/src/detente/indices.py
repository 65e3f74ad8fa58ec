"""Tension index maths (definitions in docs/indices.md). Pure functions over plain data.

A subject (an actor, a dyad, or the globe) keeps hourly event-time buckets of additive sums.
Sums commute, so any arrival order within the lateness bound gives the same index.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any

from scipy.special import betaincinv

from detente.events import (
    ArticleStances,
    Contribution,
    IndexUpdate,
    SubjectKind,
    WindowValue,
)
from detente.registry import ActorRegistry

HOUR = 3600
WINDOWS: dict[str, int] = {"1h": 1, "24h": 24, "7d": 24 * 7}
RETENTION_HOURS = max(WINDOWS.values())
EWMA_HALF_LIFE_HOURS = 24.0
DEFAULT_ALLOWED_LATENESS = timedelta(hours=RETENTION_HOURS)
GLOBAL_SUBJECT = "global"
# A wire story can name dozens of states; pairs grow quadratically, so cap the fan-out.
MAX_DYAD_ACTORS = 8
MAX_DIRECTED_PAIRS = 16


def confidence(p_hardline: float) -> float:
    """How sure the model is, in [0.5, 1]: the weight of a statement in the index."""
    return max(p_hardline, 1.0 - p_hardline)


def actor_subject(actor_id: str) -> str:
    return f"actor:{actor_id}"


def dyad_subject(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return f"dyad:{first}|{second}"


def directed_subject(source: str, target: str) -> str:
    """What `source` does toward `target`: `dyad:russia>ukraine`."""
    return f"dyad:{source}>{target}"


@dataclass(frozen=True)
class _Sums:
    hardline_weight: float
    weight: float
    statements: int

    def __add__(self, other: _Sums) -> _Sums:
        return _Sums(
            self.hardline_weight + other.hardline_weight,
            self.weight + other.weight,
            self.statements + other.statements,
        )


def contributions(
    stances: ArticleStances,
    registry: ActorRegistry,
    *,
    source_partition: int | None = None,
    source_offset: int | None = None,
    article_produced_at: float | None = None,
) -> list[Contribution]:
    """What one article adds to each subject it touches; each contribution carries where the
    article was read (`source_partition`, `source_offset`) and its record's timestamp.

    Each actor counts for itself and rolls up its lineage (Putin and Lavrov count toward
    Russia). Dyads pair the principals (top of lineage) seen in the same article and are
    symmetric; a directed dyad (`russia>ukraine`) takes the stances of one side's actors
    toward the other (their `targets`). The global subject takes every statement once.
    """
    own: dict[str, _Sums] = {}
    lineages: dict[str, list[str]] = {}
    toward: dict[tuple[str, str], _Sums] = {}
    for stance in stances.actors:
        lineages[stance.actor] = registry.lineage_of(stance.actor, stance.affiliation)
        # Only stance-takers are in `actors`; each weighs by how sure the model is of the
        # direction and of the stance being the actor's own. (Records from before the
        # "none" outcome have p_stance 1.0 and may say basis "mentions": half weight.)
        weight = confidence(stance.p_hardline) * stance.p_stance
        if stance.basis == "mentions":
            weight *= 0.5
        sums = _Sums(weight if stance.stance == "hardline" else 0.0, weight, 1)
        own[stance.actor] = sums
        source = lineages[stance.actor][-1]
        for target in stance.targets:
            if target != source:
                pair = (source, target)
                toward[pair] = toward[pair] + sums if pair in toward else sums
    rolled: dict[str, _Sums] = {}
    for actor_id, sums in own.items():
        for subject in lineages[actor_id]:
            rolled[subject] = rolled[subject] + sums if subject in rolled else sums
    principals = sorted({lineages[a][-1] for a in own})

    def make(subject: str, kind: SubjectKind, actors: list[str], sums: _Sums) -> Contribution:
        return Contribution(
            subject=subject,
            subject_kind=kind,
            actors=actors,
            article_id=stances.id,
            published_at=stances.published_at,
            hardline_weight=round(sums.hardline_weight, 6),
            weight=round(sums.weight, 6),
            statements=sums.statements,
            source_partition=source_partition,
            source_offset=source_offset,
            article_produced_at=article_produced_at,
        )

    out = [make(actor_subject(a), "actor", [a], s) for a, s in sorted(rolled.items())]
    top = sorted(principals, key=lambda p: -rolled[p].statements)[:MAX_DYAD_ACTORS]
    for a, b in combinations(sorted(top), 2):
        out.append(make(dyad_subject(a, b), "dyad", [a, b], rolled[a] + rolled[b]))
    ranked = sorted(toward.items(), key=lambda item: (-item[1].statements, item[0]))
    for (source, target), sums in sorted(ranked[:MAX_DIRECTED_PAIRS]):
        out.append(make(directed_subject(source, target), "directed", [source, target], sums))
    if own:
        total = sum(own.values(), _Sums(0.0, 0.0, 0))
        out.append(make(GLOBAL_SUBJECT, "global", [], total))
    return out


def hour_of(moment: datetime) -> int:
    """The clock hour (hours since the epoch) that holds `moment`: event-time buckets."""
    return int(moment.timestamp()) // HOUR


def lateness_hours(lateness: timedelta) -> int:
    """An allowed lateness in whole hours, as buckets and watermarks count it."""
    return int(lateness.total_seconds()) // HOUR


# Articles remembered per subject to name what drove a spike; bounded, newest kept.
RECENT_ARTICLES = 50


def empty_state() -> dict[str, Any]:
    """The per-subject state kept in the worker's table (JSON-friendly)."""
    return {
        "buckets": [],
        "watermark_hour": None,
        "statements": 0,
        "articles": 0,
        "last": "",
        "recent": [],  # [hour, article id, hardline weight, weight], newest last
        "last_alert_hour": None,
    }


def is_late(state: dict[str, Any], published_at: datetime, lateness: timedelta) -> bool:
    watermark: int | None = state.get("watermark_hour")
    if watermark is None:
        return False
    return hour_of(published_at) < watermark - lateness_hours(lateness)


def already_applied(state: dict[str, Any], contribution: Contribution) -> bool:
    """True for a contribution re-sent after a crash or a rebalance.

    Contributions from one partition of `articles` reach a subject in the order they were
    read, so the highest source offset applied per source partition fences off replays.
    """
    if contribution.source_partition is None or contribution.source_offset is None:
        return False
    applied = state.get("sources", {}).get(str(contribution.source_partition))
    return applied is not None and contribution.source_offset <= applied


def superseded(state: dict[str, Any], by: dict[str, Any]) -> bool:
    """Is `state` an older version of the subject than `by`: a write that must not win?

    A subject's states form one chain: each owner starts from the state in the changelog
    and applies the same partition of contributions in order, so of two states the newer
    has applied, per source partition, at least as high a source offset (`sources`). A
    worker frozen past its session timeout writes, when it wakes, a state its successor's
    has already overtaken; such a write is dominated and dropped wherever states are read
    back. States that cannot be ordered (none has `sources`) are never dropped."""
    older, newer = state.get("sources"), by.get("sources")
    if not older or not newer or older == newer:
        return False
    return all(offset <= newer.get(partition, -1) for partition, offset in older.items())


def outdated(update: IndexUpdate, by: IndexUpdate) -> bool:
    """Is `update` an older index of its subject than `by`? Along a subject's chain of states
    (`superseded`) the watermark never goes back and, at one watermark, the article count
    only grows; a subject that starts afresh after going idle (`apply`) counts its articles
    from zero again, but at a watermark beyond the retention. So the older is the one with
    the earlier `as_of`, or the smaller count at the same `as_of`."""
    return (update.as_of, update.total_articles) < (by.as_of, by.total_articles)


def idle_too_long(state: dict[str, Any], hour: int) -> bool:
    """Has the subject been silent for longer than the retention before `hour`? Then nothing
    it holds (buckets, recent articles, the last alert's hour) would survive `hour`."""
    watermark: int | None = state["watermark_hour"]
    return watermark is not None and hour - watermark > RETENTION_HOURS


def afresh(state: dict[str, Any]) -> dict[str, Any]:
    """A subject back from idleness: an empty state that keeps only its replay fences, so a
    subject forgotten (docs/indices.md, Forgetting) and one not yet forgotten go on alike."""
    return {**empty_state(), "sources": dict(state.get("sources", {}))}


def apply(state: dict[str, Any], contribution: Contribution) -> dict[str, Any]:
    """A new state with `contribution` added; buckets older than the longest window are
    dropped, and a subject idle for longer than that starts afresh, totals included. Stage
    two folds a batch of them at once (`detente.folding.SubjectFold`)."""
    from detente.folding import SubjectFold  # it builds on this module's definitions

    return SubjectFold(state).add(contribution).state()


@dataclass(frozen=True)
class IndexPrior:
    """What an index believes before any statement: a Beta prior on the hardline share.

    `mean` 0.5 leans neither way (the hardline share among the stance-takers judged in
    ../shared/data/news-dev is 0.43, close enough not to favour a side); `strength` is how
    many statements' worth of weight it counts for, so one statement moves an index from 50
    to 60, not to 100, and ten statements all hardline give 86. `level` is the probability
    mass of the equal-tailed interval published beside the index."""

    mean: float = 0.5
    strength: float = 4.0
    level: float = 0.9


PRIOR = IndexPrior()
# What a window without statements stands at: where a first flare-up moves from, and the
# baseline of a subject without history.
PRIOR_INDEX = 100.0 * PRIOR.mean


@dataclass(frozen=True)
class Posterior:
    """The hardline share after `weight` of statements of which `hardline` were hardline."""

    mean: float
    low: float
    high: float


def _beta(hardline: float, weight: float, prior: IndexPrior) -> tuple[float, float]:
    """The posterior's parameters: Beta(prior.mean·strength + hardline, (1 − prior.mean)·
    strength + the rest of the weight)."""
    a = prior.mean * prior.strength + max(hardline, 0.0)
    b = (1.0 - prior.mean) * prior.strength + max(weight - hardline, 0.0)
    return a, b


def posterior(hardline: float, weight: float, prior: IndexPrior = PRIOR) -> Posterior:
    """The posterior's mean and its equal-tailed `prior.level` interval (docs/indices.md,
    Evidence)."""
    a, b = _beta(hardline, weight, prior)
    tail = (1.0 - prior.level) / 2.0
    low, high = betaincinv(a, b, [tail, 1.0 - tail])
    return Posterior(a / (a + b), float(low), float(high))


def window_value(
    buckets: Iterable[list[Any]], as_of_hour: int, hours: int, prior: IndexPrior = PRIOR
) -> WindowValue:
    """A window's index: the posterior hardline share (0-100) with its interval, the raw
    share, and the evidence behind them; all null (and zero) without statements."""
    hard = weight = 0.0
    statements = articles = 0
    for hour, hard_w, w, n, a in buckets:
        if as_of_hour - hours < hour <= as_of_hour:
            hard, weight, statements, articles = (
                hard + hard_w,
                weight + w,
                statements + n,
                articles + a,
            )
    if weight <= 0:
        return WindowValue(index=None, statements=statements, articles=articles)
    belief = posterior(hard, weight, prior)
    return WindowValue(
        index=round(100.0 * belief.mean, 2),
        statements=statements,
        articles=articles,
        low=round(100.0 * belief.low, 2),
        high=round(100.0 * belief.high, 2),
        raw=round(100.0 * hard / weight, 2),
        weight=round(weight, 4),
    )


def ewma(
    buckets: Iterable[list[Any]],
    as_of_hour: int,
    half_life_hours: float,
    prior: IndexPrior = PRIOR,
) -> float | None:
    """The posterior hardline share over every bucket, each weighted by its age's decay: an
    old statement counts for less evidence, as well as for less of the share."""
    hard = weight = 0.0
    for hour, hard_w, w, _, _ in buckets:
        if hour > as_of_hour:
            continue
        decay = 0.5 ** ((as_of_hour - hour) / half_life_hours)
        hard, weight = hard + hard_w * decay, weight + w * decay
    if weight <= 0:
        return None
    a, b = _beta(hard, weight, prior)
    return round(100.0 * a / (a + b), 2)


def index_update(
    subject: str, kind: SubjectKind, actors: list[str], state: dict[str, Any]
) -> IndexUpdate:
    """The published index of a subject, as of its event-time watermark."""
    as_of_hour: int = state["watermark_hour"]
    buckets = state["buckets"]
    return IndexUpdate(
        subject=subject,
        subject_kind=kind,
        actors=actors,
        as_of=datetime.fromtimestamp((as_of_hour + 1) * HOUR, UTC),
        windows={name: window_value(buckets, as_of_hour, h) for name, h in WINDOWS.items()},
        ewma=ewma(buckets, as_of_hour, EWMA_HALF_LIFE_HOURS),
        ewma_half_life_hours=EWMA_HALF_LIFE_HOURS,
        total_statements=state["statements"],
        total_articles=state["articles"],
        last_article_id=state["last"],
        updated_at=datetime.now(UTC),
        hourly=[tuple(b) for b in buckets],
    )


@dataclass(frozen=True)
class HistoryPoint:
    as_of: datetime
    index: float | None
    statements: int
    low: float | None = None  # the index's 90 % interval
    high: float | None = None


def series(
    hourly: Iterable[tuple[int, float, float, int, int]] | Iterable[list[Any]],
    window: str,
    since: datetime,
    until: datetime,
) -> list[HistoryPoint]:
    """A window's index at the end of every clock hour from `since` to `until`.

    Hours with no statements in the window give a null index, so a chart shows gaps.
    """
    buckets = [list(b) for b in hourly]
    hours = WINDOWS[window]
    first, last = hour_of(since), hour_of(until)
    points = []
    for hour in range(first, last + 1):
        value = window_value(buckets, hour, hours)
        points.append(
            HistoryPoint(
                datetime.fromtimestamp((hour + 1) * HOUR, UTC),
                value.index,
                value.statements,
                value.low,
                value.high,
            )
        )
    return points
