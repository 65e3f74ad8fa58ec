from __future__ import annotations

import json
import re

import pytest

from detente.events import MentionedActor, StanceEvent
from detente_api.main import create_app
from detente_api.settings import Settings


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_503_until_the_view_has_caught_up(client, view):
    starting = client.get("/readyz")
    assert starting.status_code == 503
    assert starting.json() == {"status": "starting", "lag": None}

    view.set_progress(lag=42, ready=False)
    assert client.get("/readyz").json() == {"status": "starting", "lag": 42}

    view.set_progress(lag=0, ready=True)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


def test_actors_list_sorted_filtered_and_paged(client, view, make_index):
    for actor, index in [
        ("russia", 90.0),
        ("france", 50.0),
        ("ukraine", 70.0),
        ("nato", 60.0),
        ("vladimir-putin", 95.0),
    ]:
        view.apply_index(make_index("actor", [actor], index))

    everyone = client.get("/v1/actors").json()
    assert everyone["total"] == 5
    assert [a["actor"] for a in everyone["items"]] == [
        "vladimir-putin",
        "russia",
        "ukraine",
        "nato",
        "france",
    ]
    putin = everyone["items"][0]
    assert putin["name"] == "Vladimir Putin"
    assert putin["kind"] == "person"
    assert putin["affiliation"] == "russia"
    assert putin["index"] == 95.0
    assert putin["windows"]["24h"] == {
        "index": 95.0, "statements": 10, "articles": 3,
        # An update from before intervals: the new fields take their defaults.
        "low": None, "high": None, "raw": None, "weight": 0.0,
    }  # fmt: skip
    assert set(putin) == {
        "actor",
        "name",
        "kind",
        "affiliation",
        "windows",
        "ewma",
        "index",
        "change",
        "statements",
        "as_of",
    }

    states = client.get("/v1/actors", params={"kind": "state", "limit": 2, "offset": 1}).json()
    assert states["total"] == 3
    assert (states["limit"], states["offset"]) == (2, 1)
    assert [a["actor"] for a in states["items"]] == ["ukraine", "france"]


def test_actor_detail_known_quiet_and_unknown(client, view, make_index):
    view.apply_index(make_index("actor", ["russia"], 80.0))

    russia = client.get("/v1/actors/russia")
    assert russia.status_code == 200
    assert russia.json()["index"] == 80.0
    assert russia.json()["as_of"] == "2025-03-01T12:00:00Z"

    quiet = client.get("/v1/actors/nato")
    assert quiet.status_code == 200
    assert quiet.json()["index"] is None
    assert quiet.json()["statements"] == 0

    unknown = client.get("/v1/actors/atlantis")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/json"
    assert unknown.json() == {"detail": "unknown actor 'atlantis'"}


def test_dyads_and_global(client, view, make_index):
    view.apply_index(make_index("dyad", ["russia", "ukraine"], 90.0))
    view.apply_index(make_index("dyad", ["france", "russia"], 30.0))
    view.apply_index(make_index("global", [], 61.0))

    dyads = client.get("/v1/dyads").json()
    assert dyads["total"] == 2
    assert [(d["actors"], d["names"]) for d in dyads["items"]] == [
        (["russia", "ukraine"], ["Russia", "Ukraine"]),
        (["france", "russia"], ["France", "Russia"]),
    ]
    with_france = client.get("/v1/dyads", params={"actor": "france"}).json()
    assert [d["actors"] for d in with_france["items"]] == [["france", "russia"]]

    assert client.get("/v1/global").json()["index"] == 61.0


def test_article_assembly_and_404(client, view, make_stance):
    named = [MentionedActor(actor="nato", name="NATO", kind="organisation", p_stance=0.1)]
    view.apply_stance(make_stance("a-1", "vladimir-putin", p_hardline=0.9, mentioned=named))
    view.apply_stance(
        make_stance(
            "a-1", "emmanuel-macron", stance="conciliatory", p_hardline=0.3, p_stance=0.7,
            mentioned=named,
        )
    )  # fmt: skip

    response = client.get("/v1/articles/a-1")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "a-1"
    assert body["published_at"] == "2025-03-01T12:00:00Z"
    assert body["title"] == "Talks stall"
    assert body["model_version"] == "m1"
    assert body["actors"] == [
        {
            "actor": "emmanuel-macron",
            "name": "Emmanuel Macron",
            "kind": "person",
            "affiliation": "france",
            "stance": "conciliatory",
            "p_hardline": 0.3,
            "p_stance": 0.7,
            "statements": 2,
            "evidence": ["Emmanuel Macron said no."],
            "basis": "statements",
            "targets": [],
        },
        {
            "actor": "vladimir-putin",
            "name": "Vladimir Putin",
            "kind": "person",
            "affiliation": "russia",
            "stance": "hardline",
            "p_hardline": 0.9,
            "p_stance": 1.0,
            "statements": 2,
            "evidence": ["Vladimir Putin said no."],
            "basis": "statements",
            "targets": [],
        },
    ]
    assert body["mentioned"] == [
        {"actor": "nato", "name": "NATO", "kind": "organisation", "p_stance": 0.1}
    ]

    missing = client.get("/v1/articles/a-2")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "unknown article 'a-2'"}


def test_stance_records_from_before_the_none_outcome_still_read(client, view, make_stance):
    """During a rollout the API meets records without p_stance or mentioned."""
    current = make_stance("a-1", "vladimir-putin").model_dump(mode="json")
    del current["mentioned"]
    del current["stance"]["p_stance"]
    current["stance"]["basis"] = "mentions"
    view.apply_stance(StanceEvent.model_validate_json(json.dumps(current)))

    body = client.get("/v1/articles/a-1").json()

    assert body["mentioned"] == []
    assert [(a["actor"], a["p_stance"], a["basis"]) for a in body["actors"]] == [
        ("vladimir-putin", 1.0, "mentions")
    ]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/v1/actors?limit=0", "limit"),
        ("/v1/actors?limit=1001", "limit"),
        ("/v1/actors?limit=ten", "limit"),
        ("/v1/actors?offset=-1", "offset"),
        ("/v1/actors?kind=planet", "kind"),
        ("/v1/dyads?limit=5000", "limit"),
    ],
)
def test_invalid_query_parameter_is_422_naming_it(client, path, param):
    response = client.get(path)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["query", param]]


def test_unknown_route_is_404_json(client):
    response = client.get("/v2/nothing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def _samples(text: str, name: str) -> dict[str, float]:
    pattern = re.compile(rf"^{name}(\{{.*\}})? (\S+)$", re.MULTILINE)
    return {m.group(1) or "": float(m.group(2)) for m in pattern.finditer(text)}


def test_metrics_count_requests_by_route_template(client, view, make_index):
    view.apply_index(make_index("actor", ["russia"], 80.0))
    client.get("/v1/actors/russia")
    client.get("/v1/actors/france")
    client.get("/v1/actors/atlantis")
    client.get("/v1/actors", params={"limit": 0})
    client.get("/no/such/page")

    response = client.get("/metrics")

    assert response.status_code == 200
    requests = _samples(response.text, "detente_api_requests_total")
    assert requests['{method="GET",route="/v1/actors/{actor}",status="200"}'] == 2.0
    assert requests['{method="GET",route="/v1/actors/{actor}",status="404"}'] == 1.0
    assert requests['{method="GET",route="/v1/actors",status="422"}'] == 1.0
    assert requests['{method="GET",route="unmatched",status="404"}'] == 1.0
    # Raw paths never become label values.
    assert not any("russia" in labels or "atlantis" in labels for labels in requests)
    durations = _samples(response.text, "detente_api_request_duration_seconds_count")
    assert durations['{method="GET",route="/v1/actors/{actor}"}'] == 3.0
    assert _samples(response.text, "detente_api_view_ready") == {"": 0.0}


def test_metrics_gauges_follow_the_view(client, view):
    view.set_progress(lag=7, ready=False)
    text = client.get("/metrics").text
    assert _samples(text, "detente_api_view_lag_messages") == {"": 7.0}
    assert _samples(text, "detente_api_view_ready") == {"": 0.0}

    view.set_progress(lag=0, ready=True)
    text = client.get("/metrics").text
    assert _samples(text, "detente_api_view_lag_messages") == {"": 0.0}
    assert _samples(text, "detente_api_view_ready") == {"": 1.0}


def test_each_app_has_its_own_metrics_registry(api_registry):
    from fastapi.testclient import TestClient

    first = TestClient(create_app(Settings(), start_consumer=False, registry=api_registry))
    second = TestClient(create_app(Settings(), start_consumer=False, registry=api_registry))
    first.get("/healthz")

    counted = _samples(second.get("/metrics").text, "detente_api_requests_total")
    assert '{method="GET",route="/healthz",status="200"}' not in counted


def test_cors_allows_configured_origins_only(make_client):
    client = make_client(cors_origins=["https://dashboard.example"])

    allowed = client.get("/healthz", headers={"Origin": "https://dashboard.example"})
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})

    assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example"
    assert "access-control-allow-origin" not in other.headers


def test_openapi_documents_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/actors", "/v1/actors/{actor}", "/v1/dyads", "/v1/articles/{article_id}"} <= set(
        paths
    )
    assert client.get("/docs").status_code == 200
