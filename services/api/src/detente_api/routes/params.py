"""Query parameters and checks shared by the routes; every error names its parameter.

FastAPI answers a malformed parameter with 422 and `detail[].loc` = ["query", name]; the
checks here (unknown actors, date ranges) answer the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from fastapi import HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime

from detente.indices import WINDOWS
from detente_api.history import Step
from detente_api.ranking import Order, Sort
from detente_api.schemas import History, HistoryPoint
from detente_api.view import TensionView

Window = Literal["1h", "24h", "7d"]
if set(get_args(Window)) != set(WINDOWS):  # a new window in detente.indices must be listed here
    raise RuntimeError(f"Window {get_args(Window)} does not match WINDOWS {sorted(WINDOWS)}")

DEFAULT_HISTORY = timedelta(days=7)
MAX_HISTORY = timedelta(days=30)
# Times a history request may name: far enough from datetime's limits to compute with.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MAX_PAGE = 1000

WindowQuery = Annotated[Window, Query(description="Index window")]
SortQuery = Annotated[
    Sort,
    Query(
        description="Sort key; ties by id. `low`: the lower bound of the index's 90 % "
        "interval (evidence first), `index`: the index itself"
    ),
]
OrderQuery = Annotated[
    Order | None, Query(description="`desc` by default, `asc` for `sort=name`; nulls last")
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE)]
OffsetQuery = Annotated[int, Query(ge=0)]
SinceQuery = Annotated[
    AwareDatetime | None, Query(description="RFC 3339 with offset; default: `until` − 7 days")
]
UntilQuery = Annotated[
    AwareDatetime | None,
    Query(description="RFC 3339 with offset; default: the subject's latest `as_of`"),
]
StepQuery = Annotated[Step, Query(description="A point per hour (`1h`) or per UTC day (`1d`)")]


def invalid(name: str, message: str, value: Any, location: str = "query") -> RequestValidationError:
    """A 422 shaped like FastAPI's own, naming the parameter in `loc`."""
    return invalid_all([(name, value)], message, location)


def invalid_all(
    params: list[tuple[str, Any]], message: str, location: str = "query"
) -> RequestValidationError:
    """A 422 naming each of several parameters that are wrong together."""
    return RequestValidationError(
        [
            {"type": "value_error", "loc": (location, name), "msg": message, "input": value}
            for name, value in params
        ]
    )


def require_known(view: TensionView, name: str, actor: str | None) -> None:
    """422 naming the query parameter if it holds an actor id nobody knows."""
    if actor is not None and not view.knows(actor):
        raise invalid(name, f"unknown actor {actor!r}", actor)


def require_actor(view: TensionView, actor: str) -> None:
    """404 for an unknown actor in a path."""
    if not view.knows(actor):
        raise HTTPException(status_code=404, detail=f"unknown actor {actor!r}")


def given_range(since: datetime | None, until: datetime | None) -> list[tuple[str, str]]:
    """The range parameters the client gave, checked one by one: named in any later error
    about the range as a whole."""
    given = [(n, v) for n, v in (("since", since), ("until", until)) if v is not None]
    for name, value in given:
        if not EARLIEST <= value <= LATEST:
            raise invalid(name, "must lie between 1970 and 9000", value.isoformat())
    return [(n, v.isoformat()) for n, v in given]


def check_range(given: list[tuple[str, str]], since: datetime, until: datetime) -> None:
    """422 naming the `given` parameters if the range is reversed or too long."""
    if since > until:
        raise invalid_all(given, f"since is after until ({until.isoformat()})")
    if until - since > MAX_HISTORY:
        raise invalid_all(given, f"since and until are more than {MAX_HISTORY.days} days apart")


def history_body(
    view: TensionView,
    subject: str,
    window: str,
    since: datetime | None,
    until: datetime | None,
    step: Step,
) -> History:
    """The history of a subject with the documented defaults, after checking the range."""
    given = given_range(since, until)
    update = view.index_update(subject)
    if until is None:
        if update is not None:
            until = update.as_of
        else:  # nothing yet: an empty history of the last 7 days
            until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    if since is None:
        since = until - DEFAULT_HISTORY
    check_range(given, since, until)
    points = view.history(subject, window, since, until, step)
    return History(
        subject=subject,
        window=window,
        step=step,
        since=since.astimezone(UTC),
        until=until.astimezone(UTC),
        points=[
            HistoryPoint(
                as_of=p.as_of, index=p.index, statements=p.statements, low=p.low, high=p.high
            )
            for p in points
        ],
    )
