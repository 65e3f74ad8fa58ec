"""Prepared answers (detente_api.prepared): the same bytes until the view part they show
changes; errors, clock-dependent routes and streams always built by the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter
from starlette.types import Receive, Scope, Send

from detente.events import ActorStance, IndexUpdate, StanceEvent, TensionAlert
from detente_api.prepared import PreparedAnswers
from detente_api.view import TensionView

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
MakeIndex = Callable[..., IndexUpdate]  # the fixtures of conftest.py
MakeStance = Callable[..., StanceEvent]


def served(client: TestClient) -> dict[str, float]:
    """detente_api_prepared_answers_total by result, from the app's own registry."""
    text = client.get("/metrics").text
    totals = {"hit": 0.0, "miss": 0.0}
    for line in text.splitlines():
        if line.startswith("detente_api_prepared_answers_total{"):
            result = line.split('result="')[1].split('"')[0]
            totals[result] = float(line.rsplit(" ", 1)[1])
    return totals


def requests_counted(client: TestClient, route: str) -> float:
    prefix = f'detente_api_requests_total{{method="GET",route="{route}",status="200"}} '
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0


def test_the_same_query_is_answered_from_the_same_bytes_until_the_indices_change(
    client: TestClient, view: TensionView, make_index: MakeIndex
) -> None:
    view.apply_index(make_index("actor", ["russia"], 70.0))
    first = client.get("/v1/actors?limit=50")
    again = client.get("/v1/actors?limit=50")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert served(client) == {"hit": 1.0, "miss": 1.0}
    # Headers of the middleware outside still come with a prepared answer.
    assert again.headers["x-content-type-options"] == "nosniff"
    assert again.headers["content-type"] == "application/json"
    # A hit is counted under the route that built it.
    assert requests_counted(client, "/v1/actors") == 2.0

    view.apply_index(make_index("actor", ["russia"], 20.0, statements=40))
    changed = client.get("/v1/actors?limit=50")
    assert changed.json()["items"][0]["index"] == 20.0
    assert served(client) == {"hit": 1.0, "miss": 2.0}


def test_each_part_of_the_view_invalidates_only_its_own_answers(
    client: TestClient, view: TensionView, make_index: MakeIndex, make_stance: MakeStance
) -> None:
    view.apply_index(make_index("actor", ["russia"], 70.0))
    view.apply_stance(make_stance("a-1", "russia"))
    for path in ("/v1/actors", "/v1/alerts", "/v1/articles/a-1"):
        assert client.get(path).status_code == 200
    # A stance of a registered actor changes the article, not the indices or the alerts.
    view.apply_stance(make_stance("a-1", "vladimir-putin"))
    before = served(client)
    assert client.get("/v1/actors").content == client.get("/v1/actors").content
    assert client.get("/v1/alerts").status_code == 200
    article = client.get("/v1/articles/a-1").json()
    assert {a["actor"] for a in article["actors"]} == {"russia", "vladimir-putin"}
    after = served(client)
    assert after["hit"] - before["hit"] == 3.0  # actors twice, alerts
    assert after["miss"] - before["miss"] == 1.0  # the article
    # A new alert shows at once.
    alert = TensionAlert(
        alert_id="al-1", subject="actor:russia", subject_kind="actor", actors=["russia"],
        window="24h", value=80.0, baseline=30.0, baseline_statements=40, rise=50.0, z=5.0,
        statements=12, article_ids=["a-1"], as_of=T0, raised_at=T0,
    )  # fmt: skip
    view.apply_alert(alert)
    assert [a["alert_id"] for a in client.get("/v1/alerts").json()["items"]] == ["al-1"]


def test_errors_are_never_kept_and_a_learnt_name_changes_the_indices(
    client: TestClient, view: TensionView, make_index: MakeIndex, make_stance: MakeStance
) -> None:
    assert client.get("/v1/actors/ivo-example").status_code == 404
    assert client.get("/v1/actors/ivo-example").status_code == 404
    assert served(client)["hit"] == 0.0

    def learn(name: str) -> None:  # an actor outside the registry, known from its stances
        stance = make_stance("a-2", "russia")
        outsider = ActorStance(
            **{**stance.stance.model_dump(), "actor": "ivo-example", "name": name,
               "kind": "person", "affiliation": "russia"}
        )  # fmt: skip
        view.apply_stance(stance.model_copy(update={"stance": outsider}))

    learn("Ivo Example")
    view.apply_index(make_index("actor", ["ivo-example"], 60.0))
    assert client.get("/v1/actors/ivo-example").json()["name"] == "Ivo Example"
    assert client.get("/v1/actors").json()["items"][0]["name"] == "Ivo Example"
    learn("Ivo B. Example")  # a later article names it better: every index answer shows it
    assert client.get("/v1/actors/ivo-example").json()["name"] == "Ivo B. Example"
    assert client.get("/v1/actors").json()["items"][0]["name"] == "Ivo B. Example"


def test_routes_that_read_the_clock_are_always_built(client: TestClient) -> None:
    for _ in range(3):
        assert client.get("/v1/articles").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert served(client) == {"hit": 0.0, "miss": 0.0}


def test_only_the_most_recently_used_answers_are_kept(
    make_client: Callable[..., TestClient], view: TensionView, make_index: MakeIndex
) -> None:
    client = make_client(prepared_answers=2)
    view.apply_index(make_index("actor", ["russia"], 70.0))
    for limit in (1, 2, 3):  # three answers, room for two: limit=1 goes
        client.get(f"/v1/actors?limit={limit}")
    client.get("/v1/actors?limit=3")
    client.get("/v1/actors?limit=1")
    assert served(client) == {"hit": 1.0, "miss": 4.0}


def test_nothing_is_kept_when_turned_off(
    make_client: Callable[..., TestClient], view: TensionView, make_index: MakeIndex
) -> None:
    client = make_client(prepared_answers=0)
    view.apply_index(make_index("actor", ["russia"], 70.0))
    for _ in range(3):
        assert client.get("/v1/actors").status_code == 200
    assert served(client) == {"hit": 0.0, "miss": 0.0}


def test_an_answer_built_while_the_view_changed_is_not_served_again(
    view: TensionView, make_index: MakeIndex
) -> None:
    """The answer may show the view before or after the change: it is stamped with the
    version before, so the next request builds it again."""
    built = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal built
        built += 1
        view.apply_index(make_index("actor", ["russia"], float(built)))  # meanwhile
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    counter = Counter("prepared", "test", ["result"], registry=CollectorRegistry())
    prepared = PreparedAnswers(app, view, counter)

    async def get() -> None:
        scope: dict[str, Any] = {
            "type": "http", "method": "GET", "path": "/v1/actors", "query_string": b"",
        }  # fmt: skip

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: Any) -> None:
            pass

        await prepared(scope, receive, send)

    for _ in range(3):
        asyncio.run(get())
    assert built == 3
