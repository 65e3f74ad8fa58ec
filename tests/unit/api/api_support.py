"""Index updates as the worker makes them (real bucket maths), for the API's history tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from detente import indices
from detente.events import Contribution, IndexUpdate, SubjectKind

# A Monday, 12:00 UTC.
BASE = datetime(2025, 3, 10, 12, tzinfo=UTC)


def shrunk(hardline: int, statements: int) -> float:
    """The published index of full-weight statements, `hardline` of `statements`: the
    posterior mean under the default Beta(2, 2) prior (detente.indices.PRIOR)."""
    return round(100 * (2 + hardline) / (4 + statements), 2)


def subject_of(kind: SubjectKind, actors: list[str]) -> str:
    if kind == "actor":
        return indices.actor_subject(actors[0])
    if kind == "dyad":
        return indices.dyad_subject(actors[0], actors[1])
    if kind == "directed":
        return indices.directed_subject(actors[0], actors[1])
    return indices.GLOBAL_SUBJECT


def updates(
    kind: SubjectKind,
    actors: list[str],
    events: Iterable[tuple[datetime, bool]],
    *,
    prefix: str = "a",
) -> list[IndexUpdate]:
    """One update per (published_at, hardline?) event, each a full-weight statement."""
    subject = subject_of(kind, actors)
    if kind != "directed":  # a directed pair's order is its direction
        actors = sorted(actors)
    state = indices.empty_state()
    out = []
    for number, (published_at, hardline) in enumerate(events):
        contribution = Contribution(
            subject=subject,
            subject_kind=kind,
            actors=actors,
            article_id=f"{prefix}-{subject}-{number}",
            published_at=published_at,
            hardline_weight=1.0 if hardline else 0.0,
            weight=1.0,
            statements=1,
        )
        state = indices.apply(state, contribution)
        out.append(indices.index_update(subject, kind, actors, state))
    return out
