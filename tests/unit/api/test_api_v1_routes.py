"""The issue-4 routes: sorting and filters, change, history, dyads, movers, alerts, stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from api_support import BASE, shrunk, updates
from fastapi import FastAPI
from fastapi.testclient import TestClient

from detente.events import IndexUpdate, TensionAlert
from detente_api.__main__ import ApiServer
from detente_api.main import create_app
from detente_api.settings import Settings
from detente_api.view import TensionView

H = timedelta(hours=1)
# calm_then_tense: 15 of the last 24 statements hardline now, 6 of 24 a day before.
RUSSIA_CHANGE = round(shrunk(15, 24) - shrunk(6, 24), 2)


def calm_then_tense(hours: int = 48, tense_hours: int = 12, end: datetime = BASE) -> list:
    """One statement an hour; hardline in the last `tense_hours`, else one in four."""
    return [
        (end - (hours - 1 - i) * H, i % 4 == 0 or hours - 1 - i < tense_hours) for i in range(hours)
    ]


def tense_then_calm(hours: int = 48, calm_hours: int = 12) -> list:
    return [(BASE - (hours - 1 - i) * H, hours - 1 - i >= calm_hours) for i in range(hours)]


def feed(view: TensionView, stream: list[IndexUpdate]) -> IndexUpdate:
    for update in stream:
        view.apply_index(update)
    return stream[-1]


def make_alert(
    subject: str, actors: list[str], hours_before: int = 0, **extra: Any
) -> TensionAlert:
    as_of = BASE - hours_before * H
    fields: dict[str, Any] = {
        "alert_id": f"{subject}@{int(as_of.timestamp()) // 3600}",
        "subject": subject,
        "subject_kind": subject.partition(":")[0] if ":" in subject else "global",
        "actors": actors,
        "window": "24h",
        "value": 90.0,
        "baseline": 30.0,
        "baseline_statements": 40,
        "rise": 60.0,
        "z": 6.5,
        "statements": 12,
        "article_ids": ["a-1"],
        "as_of": as_of,
        "raised_at": as_of + timedelta(minutes=5),
    }
    return TensionAlert(**(fields | extra))


@pytest.fixture
def busy(view: TensionView) -> TensionView:
    feed(view, updates("actor", ["russia"], calm_then_tense()))
    feed(view, updates("actor", ["france"], tense_then_calm()))
    feed(view, updates("actor", ["vladimir-putin"], calm_then_tense(tense_hours=6)))
    feed(view, updates("actor", ["ukraine"], [(BASE - 2 * H, True), (BASE, False)]))
    feed(view, updates("dyad", ["russia", "ukraine"], calm_then_tense()))
    feed(view, updates("dyad", ["france", "russia"], tense_then_calm()))
    feed(view, updates("global", [], calm_then_tense()))
    return view


def loc(response: httpx.Response) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


# -- actors ---------------------------------------------------------------------------------


def test_actor_items_carry_the_24h_change(client, busy):
    items = {a["actor"]: a for a in client.get("/v1/actors").json()["items"]}
    russia = items["russia"]
    # 15 of the last 24 statements hardline now, 6 of 24 the day before.
    assert russia["index"] == russia["windows"]["24h"]["index"] == shrunk(15, 24)
    assert russia["windows"]["24h"]["raw"] == 62.5
    assert russia["change"] == RUSSIA_CHANGE
    assert items["france"]["change"] < 0
    # No statements 24 hours before: the window stood at the prior, 50, and is at 50 now.
    assert items["ukraine"]["change"] == 0.0
    assert client.get("/v1/actors/russia").json()["change"] == RUSSIA_CHANGE


def test_actors_sort_by_change_statements_and_name(client, busy):
    def order(**params: Any) -> list[str]:
        body = client.get("/v1/actors", params=params).json()
        return [a["actor"] for a in body["items"]]

    assert order(sort="change") == ["russia", "vladimir-putin", "ukraine", "france"]
    assert order(sort="change", order="asc") == ["france", "ukraine", "vladimir-putin", "russia"]
    assert order(sort="name") == ["france", "russia", "ukraine", "vladimir-putin"]
    assert order(sort="name", order="desc") == ["vladimir-putin", "ukraine", "russia", "france"]
    assert order(sort="statements")[-1] == "ukraine"
    # france and ukraine tie at 50: by id in either order.
    assert order(sort="index") == ["russia", "france", "ukraine", "vladimir-putin"]
    assert order(sort="index", order="asc") == ["vladimir-putin", "france", "ukraine", "russia"]


def test_top_lists_rank_by_the_intervals_lower_bound(client, view):
    """Five hardline statements read 77.8, a steadier 16 of 20 reads 75.0; the steadier
    evidence ranks first by default, the higher reading with `sort=index`."""
    feed(view, updates("actor", ["nato"], [(BASE - k * H, True) for k in range(5)]))
    feed(view, updates("actor", ["france"], [(BASE - k * H, k % 5 != 0) for k in range(20)]))
    feed(view, updates("actor", ["ukraine"], [(BASE, True)]))  # one statement: 60, not 100
    body = client.get("/v1/actors").json()
    assert [a["actor"] for a in body["items"]] == ["france", "nato", "ukraine"]
    nato, france = body["items"][1], body["items"][0]
    assert nato["index"] == shrunk(5, 5) > france["index"] == shrunk(16, 20)
    assert france["windows"]["24h"]["low"] > nato["windows"]["24h"]["low"]
    ranked = client.get("/v1/actors", params={"sort": "index"}).json()["items"]
    assert [a["actor"] for a in ranked] == ["nato", "france", "ukraine"]


def test_actors_window_sets_index_and_change(client, busy):
    items = client.get("/v1/actors", params={"window": "1h"}).json()["items"]
    russia = next(a for a in items if a["actor"] == "russia")
    assert russia["index"] == russia["windows"]["1h"]["index"] == shrunk(1, 1)
    assert russia["change"] == round(shrunk(1, 1) - shrunk(0, 1), 2)  # conciliatory a day before
    detail = client.get("/v1/actors/russia", params={"window": "7d"}).json()
    assert detail["index"] == detail["windows"]["7d"]["index"]


def test_actors_filter_by_affiliation(client, busy):
    body = client.get("/v1/actors", params={"affiliation": "russia"}).json()
    assert [a["actor"] for a in body["items"]] == ["vladimir-putin"]
    assert body["total"] == 1


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/v1/actors?affiliation=atlantis", ["query", "affiliation"]),
        ("/v1/actors?sort=mood", ["query", "sort"]),
        ("/v1/actors?order=up", ["query", "order"]),
        ("/v1/actors?window=2d", ["query", "window"]),
        ("/v1/actors/russia?window=1w", ["query", "window"]),
        ("/v1/actors/russia/history?window=30d", ["query", "window"]),
        ("/v1/actors/russia/history?step=1w", ["query", "step"]),
        ("/v1/actors/russia/history?since=yesterday", ["query", "since"]),
        ("/v1/actors/russia/history?until=2025-03-01T00:00:00", ["query", "until"]),
        ("/v1/actors/russia/history?until=0001-01-01T00:00:00Z", ["query", "until"]),
        ("/v1/actors/russia/history?since=1960-01-01T00:00:00Z", ["query", "since"]),
        ("/v1/actors/russia/history?until=9999-12-31T23:59:59-05:00", ["query", "until"]),
        ("/v1/dyads?actor=atlantis", ["query", "actor"]),
        ("/v1/dyads?kind=planet", ["query", "kind"]),
        ("/v1/dyads?sort=mood", ["query", "sort"]),
        ("/v1/dyads/russia/russia", ["path", "b"]),
        ("/v1/movers?kind=global", ["query", "kind"]),
        ("/v1/movers?limit=0", ["query", "limit"]),
        ("/v1/movers?window=1y", ["query", "window"]),
        ("/v1/alerts?subject=russia", ["query", "subject"]),
        ("/v1/alerts?subject=actor:atlantis", ["query", "subject"]),
        ("/v1/alerts?actor=atlantis", ["query", "actor"]),
        ("/v1/alerts?since=2025-13-01T00:00:00Z", ["query", "since"]),
        ("/v1/alerts?limit=1001", ["query", "limit"]),
        ("/v1/stream?kind=news", ["query", "kind", 0]),
        ("/v1/stream?actor=atlantis", ["query", "actor"]),
    ],
)
def test_every_bad_parameter_is_422_naming_it(client, busy, path, where):
    response = client.get(path)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/json"
    assert loc(response) == [where]


# -- history --------------------------------------------------------------------------------


def test_actor_history_defaults_to_the_last_7_days_up_to_the_latest_event(client, busy):
    body = client.get("/v1/actors/russia/history").json()
    assert body["subject"] == "actor:russia"
    assert (body["window"], body["step"]) == ("24h", "1h")
    assert body["until"] == "2025-03-10T13:00:00Z"
    assert body["since"] == "2025-03-03T13:00:00Z"
    points = body["points"]
    assert len(points) == 7 * 24 + 1
    last = points[-1]
    assert (last["as_of"], last["index"], last["statements"]) == (
        "2025-03-10T13:00:00Z",
        shrunk(15, 24),
        24,
    )
    # Each point carries its interval, the band a chart draws around the line.
    window = client.get("/v1/actors/russia").json()["windows"]["24h"]
    assert (last["low"], last["high"]) == (window["low"], window["high"])
    assert last["low"] < last["index"] < last["high"]
    assert points[0]["index"] is None  # before the first article: a gap
    assert points[0]["low"] is None and points[0]["high"] is None
    assert set(points[0]) == {"as_of", "index", "statements", "low", "high"}


def test_history_range_step_and_window(client, busy):
    body = client.get(
        "/v1/actors/russia/history",
        params={
            "window": "1h",
            "step": "1d",
            "since": "2025-03-09T00:00:00+00:00",
            "until": "2025-03-10T13:00:00+01:00",
        },
    ).json()
    assert body["until"] == "2025-03-10T12:00:00Z"  # normalised to UTC
    assert [p["as_of"] for p in body["points"]] == ["2025-03-09T00:00:00Z", "2025-03-10T00:00:00Z"]
    assert all(p["statements"] == 1 for p in body["points"])


def test_history_range_errors_name_since_and_until(client, busy):
    reversed_ = client.get(
        "/v1/actors/russia/history",
        params={"since": "2025-03-10T00:00:00Z", "until": "2025-03-09T00:00:00Z"},
    )
    assert reversed_.status_code == 422
    assert loc(reversed_) == [["query", "since"], ["query", "until"]]
    assert "after" in reversed_.json()["detail"][0]["msg"]

    too_long = client.get("/v1/actors/russia/history", params={"since": "2025-01-01T00:00:00Z"})
    assert too_long.status_code == 422
    assert loc(too_long) == [["query", "since"]]
    assert "30 days" in too_long.json()["detail"][0]["msg"]

    # Exactly 30 days is allowed.
    ok = client.get(
        "/v1/actors/russia/history",
        params={"since": "2025-02-08T13:00:00Z", "until": "2025-03-10T13:00:00Z"},
    )
    assert ok.status_code == 200
    assert len(ok.json()["points"]) == 30 * 24 + 1


def test_history_of_unknown_and_quiet_actors(client, busy):
    missing = client.get("/v1/actors/atlantis/history")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "unknown actor 'atlantis'"}
    quiet = client.get("/v1/actors/nato/history")
    assert quiet.status_code == 200
    assert quiet.json()["points"] == []


# -- dyads ----------------------------------------------------------------------------------


def test_dyad_detail_and_history_in_either_order(client, busy):
    one = client.get("/v1/dyads/russia/ukraine")
    other = client.get("/v1/dyads/ukraine/russia")
    assert one.status_code == 200
    assert one.json() == other.json()
    assert one.json()["actors"] == ["russia", "ukraine"]
    assert one.json()["change"] == RUSSIA_CHANGE
    history = client.get("/v1/dyads/ukraine/russia/history", params={"window": "24h"}).json()
    assert history["subject"] == "dyad:russia|ukraine"
    assert history == client.get("/v1/dyads/russia/ukraine/history").json()


def test_a_pair_shows_what_each_side_does_toward_the_other(client, busy):
    pair_before = client.get("/v1/dyads/russia/ukraine").json()
    global_before = client.get("/v1/global").json()
    feed(
        busy, updates("directed", ["russia", "ukraine"], [(BASE - i * H, True) for i in range(10)])
    )
    feed(
        busy, updates("directed", ["ukraine", "russia"], [(BASE - i * H, False) for i in range(4)])
    )

    body = client.get("/v1/dyads/ukraine/russia").json()
    forward, backward = body["directions"]
    assert (forward["source"], forward["target"]) == ("russia", "ukraine")
    assert forward["names"] == ["Russia", "Ukraine"]
    assert (forward["index"], forward["statements"]) == (shrunk(10, 10), 10)
    assert (backward["source"], backward["index"], backward["statements"]) == (
        "ukraine", shrunk(0, 4), 4,
    )  # fmt: skip
    # The symmetric pair, the global index and the pair list are what they were.
    assert {k: v for k, v in body.items() if k != "directions"} == {
        k: v for k, v in pair_before.items() if k != "directions"
    }
    assert client.get("/v1/global").json() == global_before
    assert [d["actors"] for d in client.get("/v1/dyads").json()["items"]] == [
        ["russia", "ukraine"], ["france", "russia"],
    ]  # fmt: skip

    history = client.get("/v1/dyads/russia/ukraine/history", params={"directed": True}).json()
    assert history["subject"] == "dyad:russia>ukraine"
    assert history["points"][-1]["index"] == shrunk(10, 10)
    reverse = client.get("/v1/dyads/ukraine/russia/history", params={"directed": True}).json()
    assert reverse["subject"] == "dyad:ukraine>russia"
    assert reverse["points"][-1]["index"] == shrunk(0, 4)


def test_a_pair_where_only_one_side_acts(client, busy):
    feed(busy, updates("directed", ["nato", "russia"], [(BASE, True)]))
    body = client.get("/v1/dyads/russia/nato").json()
    assert body["actors"] == ["nato", "russia"]
    assert body["index"] is None and body["statements"] == 0
    assert [(d["source"], d["statements"]) for d in body["directions"]] == [
        ("nato", 1), ("russia", 0),
    ]  # fmt: skip
    assert client.get("/v1/dyads/russia/nato/history", params={"directed": True}).status_code == 404


def test_dyad_not_found(client, busy):
    assert client.get("/v1/dyads/russia/atlantis").json() == {"detail": "unknown actor 'atlantis'"}
    none = client.get("/v1/dyads/nato/russia")
    assert none.status_code == 404
    assert none.json() == {"detail": "no index for dyad 'nato|russia'"}
    assert client.get("/v1/dyads/nato/russia/history").status_code == 404


def test_dyads_sort_and_filters(client, busy):
    def subjects(**params: Any) -> list[list[str]]:
        return [d["actors"] for d in client.get("/v1/dyads", params=params).json()["items"]]

    assert subjects(sort="change") == [["russia", "ukraine"], ["france", "russia"]]
    assert subjects(sort="name") == [["france", "russia"], ["russia", "ukraine"]]
    assert subjects(actor="ukraine") == [["russia", "ukraine"]]
    assert subjects(kind="state") == [["russia", "ukraine"], ["france", "russia"]]
    assert subjects(kind="organisation") == []


def test_global_has_a_change(client, busy):
    body = client.get("/v1/global").json()
    assert body["index"] == shrunk(15, 24) and body["change"] == RUSSIA_CHANGE


# -- movers ---------------------------------------------------------------------------------


def test_movers_rises_and_falls(client, busy):
    body = client.get("/v1/movers").json()
    assert (body["window"], body["kind"]) == ("24h", "actor")
    assert [m["subject"] for m in body["rises"]] == ["actor:russia", "actor:vladimir-putin"]
    assert [m["subject"] for m in body["falls"]] == ["actor:france"]
    top = body["rises"][0]
    assert top["name"] == "Russia"
    assert (top["index"], top["previous"], top["change"]) == (
        shrunk(15, 24),
        shrunk(6, 24),
        RUSSIA_CHANGE,
    )
    # 28.57 lies below the interval of Russia's index now: beyond the noise.
    assert top["significant"] and top["low"] > top["previous"]
    assert top["as_of"] == "2025-03-10T13:00:00Z"
    # The evidence behind it: one statement an hour, each its own article, in the 24 h now.
    assert (top["statements"], top["articles"]) == (24, 24)

    assert [m["subject"] for m in client.get("/v1/movers?limit=1").json()["rises"]] == [
        "actor:russia"
    ]
    dyads = client.get("/v1/movers", params={"kind": "dyad"}).json()
    assert [m["name"] for m in dyads["rises"]] == ["Russia – Ukraine"]
    assert [m["name"] for m in dyads["falls"]] == ["France – Russia"]


# -- alerts ---------------------------------------------------------------------------------


def test_alerts_newest_first_with_filters(client, view):
    view.apply_alert(make_alert("actor:russia", ["russia"], hours_before=30))
    view.apply_alert(make_alert("dyad:france|russia", ["france", "russia"], hours_before=2))
    view.apply_alert(make_alert("actor:france", ["france"], hours_before=1))
    view.apply_alert(make_alert("global", []))

    body = client.get("/v1/alerts").json()
    assert body["total"] == 4
    assert [a["subject"] for a in body["items"]] == [
        "global",
        "actor:france",
        "dyad:france|russia",
        "actor:russia",
    ]
    assert body["items"][0]["kind"] == "spike"

    def subjects(**params: Any) -> list[str]:
        return [a["subject"] for a in client.get("/v1/alerts", params=params).json()["items"]]

    assert subjects(actor="russia") == ["dyad:france|russia", "actor:russia"]
    assert subjects(subject="dyad:russia|france") == ["dyad:france|russia"]
    assert subjects(subject="global") == ["global"]
    assert subjects(since="2025-03-10T10:00:00Z") == [
        "global",
        "actor:france",
        "dyad:france|russia",
    ]
    page = client.get("/v1/alerts", params={"limit": 1, "offset": 1}).json()
    assert (page["total"], [a["subject"] for a in page["items"]]) == (4, ["actor:france"])


def test_alerts_of_one_direction_of_a_pair(client, view):
    view.apply_alert(make_alert("dyad:russia>ukraine", ["russia", "ukraine"], hours_before=1))
    view.apply_alert(make_alert("dyad:russia|ukraine", ["russia", "ukraine"]))

    def subjects(subject: str) -> list[str]:
        answer = client.get("/v1/alerts", params={"subject": subject})
        assert answer.status_code == 200, answer.json()
        return [a["subject"] for a in answer.json()["items"]]

    assert subjects("dyad:russia>ukraine") == ["dyad:russia>ukraine"]
    assert subjects("dyad:ukraine>russia") == []  # the other direction
    assert subjects("dyad:ukraine|russia") == ["dyad:russia|ukraine"]
    unknown = client.get("/v1/alerts", params={"subject": "dyad:russia>atlantis"})
    assert unknown.status_code == 422


def test_alerts_keep_the_newest_whatever_the_arrival_order(api_registry):
    alerts = [make_alert("actor:russia", ["russia"], hours_before=h * 7) for h in range(6)]
    kept = []
    for order in (alerts, alerts[::-1], alerts[2:] + alerts[:2]):
        view = TensionView(api_registry, max_alerts=3)
        for alert in order:
            view.apply_alert(alert)
        view.apply_alert(alerts[0])  # a redelivery changes nothing
        kept.append(view.alerts())
    assert kept[0] == kept[1] == kept[2]
    assert kept[0] == (3, alerts[:3])


# -- stream ---------------------------------------------------------------------------------


def test_stream_refuses_clients_beyond_the_limit_with_503(make_client, view):
    client = make_client(max_sse_clients=2)
    held = [view.bus.subscribe(), view.bus.subscribe()]
    response = client.get("/v1/stream")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert "too many stream clients" in response.json()["detail"]
    for subscription in held:
        subscription.close()


def test_stream_rejects_a_malformed_last_event_id(client):
    response = client.get("/v1/stream", headers={"Last-Event-ID": "yesterday"})
    assert response.status_code == 422
    assert loc(response) == [["header", "last-event-id"]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(app: FastAPI) -> Iterator[tuple[str, asyncio.AbstractEventLoop]]:
    """The app under the API's real server in a thread (TestClient cannot read an endless
    body). Leaving the block shuts the server down, as SIGTERM would."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = ApiServer(config, app.state.view.bus)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", loop
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "the server did not shut down"
        loop.close()


def _events(lines: Iterator[str], until: Callable[[list[dict[str, str]]], bool]) -> list[dict]:
    """Read SSE lines into events (comments as {"comment": …}) until `until(events)`."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in lines:
        if line == "":
            if current:
                events.append(current)
                current = {}
                if until(events):
                    return events
        elif line.startswith(":"):
            current["comment"] = line[1:].strip()
        else:
            name, _, value = line.partition(": ")
            current[name] = value
    raise AssertionError(f"stream ended after {events}")


def _named(events: list[dict[str, str]]) -> list[dict[str, str]]:
    """The events proper, without comments (connected, keep-alive)."""
    return [event for event in events if "event" in event]


def _gauge(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    match = re.search(r"^detente_api_sse_subscribers (\S+)$", text, re.MULTILINE)
    assert match, text
    return float(match.group(1))


def test_a_short_streaming_request_end_to_end(api_registry):
    view = TensionView(api_registry)
    app = create_app(
        Settings(sse_keepalive_seconds=0.2), start_consumer=False, registry=api_registry, view=view
    )
    russia = updates("actor", ["russia"], calm_then_tense(hours=30))
    with serve(app) as (url, loop):
        assert _gauge(url) == 0.0
        with httpx.stream("GET", f"{url}/v1/stream", params={"actor": "russia"}, timeout=5) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["cache-control"] == "no-cache"
            lines = r.iter_lines()
            assert _events(lines, lambda e: True) == [{"comment": "connected"}]
            assert _gauge(url) == 1.0

            loop.call_soon_threadsafe(view.apply_index, russia[-1])
            loop.call_soon_threadsafe(view.apply_alert, make_alert("actor:russia", ["russia"]))
            loop.call_soon_threadsafe(view.apply_alert, make_alert("actor:france", ["france"]))
            # Keep-alives come every 0.2 s, so on a busy machine one may come first: read
            # until both events and a keep-alive after them.
            got = _events(lines, lambda e: len(_named(e)) == 2 and "comment" in e[-1])
            index, alert = _named(got)
            keepalive = got[-1]
            assert (index["event"], alert["event"]) == ("index", "alert")
            assert index["id"] == f"{view.bus.boot}-1" and alert["id"] == f"{view.bus.boot}-2"
            # The index update as on the topic, without its hourly buckets.
            data = json.loads(index["data"])
            assert "hourly" not in data
            assert IndexUpdate.model_validate(data) == russia[-1].model_copy(update={"hourly": []})
            assert TensionAlert.model_validate_json(alert["data"]).subject == "actor:russia"
            assert keepalive == {"comment": "keep-alive"}

        # Resume after the first event: the buffered alert comes again, the france one is
        # filtered out; an id from another process gets a reset.
        headers = {"Last-Event-ID": f"{view.bus.boot}-1"}
        with httpx.stream(
            "GET", f"{url}/v1/stream?actor=russia&kind=alert", headers=headers, timeout=5
        ) as r:
            (resent,) = _named(_events(r.iter_lines(), lambda e: len(_named(e)) == 1))
            assert resent["id"] == f"{view.bus.boot}-2" and resent["event"] == "alert"
        with httpx.stream(
            "GET", f"{url}/v1/stream", headers={"Last-Event-ID": "0000-5"}, timeout=5
        ) as r:
            (reset,) = _named(_events(r.iter_lines(), lambda e: len(_named(e)) == 1))
            assert reset["event"] == "reset" and reset["id"] == f"{view.bus.boot}-3"
            assert json.loads(reset["data"])["reason"] == "unknown_id"

        deadline = time.monotonic() + 5
        while _gauge(url) != 0.0:  # the server notices the disconnects
            assert time.monotonic() < deadline, "subscribers gauge stuck"
            time.sleep(0.05)
        assert view.bus.subscribers == 0


# -- app --------------------------------------------------------------------------------------


def test_openapi_documents_the_new_routes(client):
    paths = set(client.get("/openapi.json").json()["paths"])
    assert {
        "/v1/actors/{actor}/history",
        "/v1/dyads/{a}/{b}",
        "/v1/dyads/{a}/{b}/history",
        "/v1/movers",
        "/v1/alerts",
        "/v1/stream",
    } <= paths


def test_cors_applies_to_the_new_routes(make_client):
    client = make_client(cors_origins=["https://dashboard.example"])
    response = client.get("/v1/movers", headers={"Origin": "https://dashboard.example"})
    assert response.headers["access-control-allow-origin"] == "https://dashboard.example"


def test_settings_for_history_and_stream(monkeypatch):
    monkeypatch.setenv("DETENTE_HISTORY_RETENTION_DAYS", "10")
    monkeypatch.setenv("DETENTE_MAX_SSE_CLIENTS", "7")
    monkeypatch.setenv("DETENTE_SSE_KEEPALIVE_SECONDS", "2.5")
    settings = Settings()
    assert (settings.history_retention_days, settings.max_sse_clients) == (10, 7)
    assert settings.sse_keepalive_seconds == 2.5


def test_shutdown_ends_open_streams_at_once(api_registry):
    app = create_app(Settings(), start_consumer=False, registry=api_registry)
    opened = threading.Event()
    ended: list[float] = []

    def listen(url: str) -> None:
        with httpx.stream("GET", f"{url}/v1/stream", timeout=30) as response:
            for line in response.iter_lines():
                if line == ": connected":
                    opened.set()
        ended.append(time.monotonic())

    with serve(app) as (url, _):
        client = threading.Thread(target=listen, args=(url,))
        client.start()
        assert opened.wait(5)
        stopping = time.monotonic()
    # Leaving `serve` shut the server down with the stream still open, and it ended.
    client.join(timeout=5)
    assert ended and ended[0] - stopping < 3
    assert app.state.view.bus.closed
    assert TestClient(app).get("/v1/stream").status_code == 503
