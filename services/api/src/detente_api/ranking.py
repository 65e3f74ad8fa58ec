"""How the view ranks subjects: the sort keys of the top lists and the biggest movers.

Pure functions over index updates; the view (view.py) passes in what it caches per subject
(the change of a window over 24 hours) and how it names subjects.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeVar

from detente.events import IndexUpdate, SubjectKind
from detente_api.schemas import Mover, Movers

# `low`, the default: the lower bound of the index's interval, so that a firm 80 on many
# statements ranks above a lucky 100 on one (docs/indices.md, Evidence).
Sort = Literal["low", "index", "change", "statements", "name"]
Order = Literal["asc", "desc"]
# A subject's window change over 24 hours: (the index then, the change), either None.
Change = Callable[[IndexUpdate, str], tuple[float | None, float | None]]
_T = TypeVar("_T")


def window_index(update: IndexUpdate, window: str) -> float | None:
    value = update.windows.get(window)
    return value.index if value is not None else None


def window_low(update: IndexUpdate, window: str) -> float | None:
    """The interval's lower bound; the index itself for a record from before intervals."""
    value = update.windows.get(window)
    if value is None:
        return None
    return value.low if value.low is not None else value.index


def ordered(
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


def rank(
    updates: list[IndexUpdate],
    *,
    name: Callable[[IndexUpdate], str],
    change: Change,
    sort: Sort,
    order: Order | None,
    window: str,
) -> list[IndexUpdate]:
    """Actors and dyads rank alike: by `sort` (names ascending by default, everything else
    descending), nulls last, ties by subject."""
    value: Callable[[IndexUpdate], Any] = {
        "low": lambda u: window_low(u, window),
        "index": lambda u: window_index(u, window),
        "change": lambda u: change(u, window)[1],
        "statements": lambda u: u.total_statements,
        "name": lambda u: name(u).casefold(),
    }[sort]
    descending = order == "desc" if order is not None else sort != "name"
    return ordered(updates, value, lambda u: u.subject, descending)


def movers(
    pool: Iterable[IndexUpdate],
    *,
    kind: SubjectKind,
    window: str,
    limit: int,
    change: Change,
    name: Callable[[IndexUpdate], str],
) -> Movers:
    """The largest rises and falls of the window's index over the 24 hours before each
    subject's latest event; ties by subject."""
    moves = [(update, *change(update, window)) for update in pool]

    def mover(update: IndexUpdate, previous: float | None, delta: float) -> Mover:
        now = update.windows.get(window)
        low, high = (now.low, now.high) if now is not None else (None, None)
        return Mover(
            subject=update.subject,
            subject_kind=update.subject_kind,
            actors=sorted(update.actors),
            name=name(update),
            window=window,
            index=window_index(update, window),
            previous=previous,
            change=delta,
            low=low,
            high=high,
            # Beyond the noise of its evidence: the earlier value lies outside the window's
            # interval now.
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
