"""The API's doors: security headers, request limits, where metrics and docs are served,
and the per-address limit of the stream (detente_api.guards, .docs, .main, routes/stream)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from detente_api.settings import Settings

ADMIN = "http://testserver:9100"


def _counter(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = rf"^{name}{{{wanted}}} (\S+)$" if wanted else rf"^{name} (\S+)$"
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{name} {labels} not in the metrics"
    return float(match.group(1))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/v1/actors"),
        ("GET", "/v1/actors/nobody"),  # 404
        ("GET", "/v1/actors?window=2h"),  # 422
        ("GET", "/nowhere"),
        ("GET", "/metrics"),
        ("PUT", "/metrics"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("GET", "/dashboard"),
        ("POST", "/v1/actors"),  # 405
    ],
)
def test_every_answer_says_nosniff(client, method, path):
    response = client.request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff", response.status_code


def test_put_and_post_on_metrics_are_not_scrapes(client):
    for method in ("PUT", "POST", "DELETE", "PATCH"):
        response = client.request(method, "/metrics")
        assert response.status_code == 405, method
        assert "detente_api_requests_total" not in response.text
    assert client.head("/metrics").status_code == 200


def test_docs_are_served_with_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/docs/assets/") for source in sources), sources
    assert "cdn" not in page.text.lower()
    redoc = client.get("/redoc")
    assert redoc.status_code == 200
    assert "fonts.googleapis" not in redoc.text and "cdn" not in redoc.text.lower()
    for source in sources + re.findall(r'src="([^"]+)"', redoc.text):
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert (
        client.get("/docs/assets/swagger-ui-bundle.js")
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )
    assert client.get("/docs/assets/../__init__.py").status_code == 404


def test_docs_off(make_client):
    client = make_client(docs_on="off")
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"]
    assert client.get("/v1/actors").status_code == 200


def test_metrics_off(make_client):
    client = make_client(metrics_on="off")
    assert client.get("/metrics").status_code == 404
    assert client.get(f"{ADMIN}/metrics").status_code == 404


def test_metrics_and_docs_on_the_admin_port_only(make_client):
    client = make_client(metrics_on="admin", docs_on="admin", admin_port=9100)
    for path in ("/metrics", "/docs", "/openapi.json"):
        assert client.get(path).status_code == 404, path
    admin = TestClient(client.app, base_url=ADMIN)
    scrape = admin.get("/metrics")
    assert scrape.status_code == 200
    assert "detente_api_requests_total" in scrape.text
    assert admin.put("/metrics").status_code == 405
    assert admin.get("/docs").status_code == 200
    assert "/v1/actors" in admin.get("/openapi.json").json()["paths"]
    assert admin.get("/docs/assets/swagger-ui.css").status_code == 200
    # The admin port serves nothing else; the public one everything else.
    for path in ("/v1/actors", "/healthz", "/dashboard"):
        refused = admin.get(path)
        assert refused.status_code == 404, path
        assert refused.json() == {"detail": "Not Found"}
        assert refused.headers["x-content-type-options"] == "nosniff"
    assert client.get("/v1/actors").status_code == 200


def test_metrics_public_docs_admin(make_client):
    client = make_client(metrics_on="public", docs_on="admin", admin_port=9100)
    assert client.get("/metrics").status_code == 200
    assert client.get("/docs").status_code == 404
    assert client.get(f"{ADMIN}/docs").status_code == 200
    assert client.get(f"{ADMIN}/metrics").status_code == 404


def test_the_admin_port_must_differ_from_the_public_one():
    with pytest.raises(ValidationError, match="admin_port"):
        Settings(metrics_on="admin", port=9100, admin_port=9100)
    Settings(metrics_on="off", docs_on="off", port=9100, admin_port=9100)  # no admin listener
    with pytest.raises(ValidationError, match="limit_concurrency"):
        Settings(max_sse_clients=100, limit_concurrency=100)


def test_a_huge_query_string_gets_414_in_json(make_client):
    client = make_client(max_query_bytes=256)
    response = client.get("/v1/actors", params={"actor": "x" * 300})
    assert response.status_code == 414
    assert response.headers["content-type"] == "application/json"
    assert "256 bytes" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/v1/actors", params={"window": "24h"}).status_code == 200
    counted = client.get("/metrics").text
    # Refused before routing: counted under `unmatched`, with its status.
    assert _counter(counted, "detente_api_requests_total", method="GET", route="unmatched",
                    status="414") == 1.0  # fmt: skip


def test_a_large_body_gets_413_in_json(make_client):
    client = make_client(max_body_bytes=1000)
    announced = client.post("/v1/actors", content=b"x" * 1001)
    assert announced.status_code == 413
    assert "1000 bytes" in announced.json()["detail"]
    assert client.post("/v1/actors", headers={"content-length": "nope"}).status_code in (400, 413)

    def chunks():
        for _ in range(5):
            yield b"y" * 400

    streamed = client.post("/v1/actors", content=chunks())
    # The route does not read bodies (405); a reader of the body would get 413.
    assert streamed.status_code in (405, 413)
    assert client.post("/v1/actors", content=b"small").status_code == 405


def test_stream_slots_per_client_address(make_client, view):
    client = make_client(max_sse_clients_per_address=2)
    held = [view.bus.subscribe(address="testclient") for _ in range(2)]
    other = view.bus.subscribe(address="203.0.113.9")
    response = client.get("/v1/stream")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert "from this address" in response.json()["detail"]
    assert view.bus.subscribers_from("testclient") == 2
    held[0].close()
    held[0].close()  # idempotent
    assert view.bus.subscribers_from("testclient") == 1
    assert view.bus.subscribers == 2
    text = client.get("/metrics").text
    assert _counter(text, "detente_api_sse_refused_total", reason="per_address") == 1.0
    assert _counter(text, "detente_api_sse_refused_total", reason="capacity") == 0.0
    for subscription in (held[1], other):
        subscription.close()
    assert view.bus.subscribers == 0 and view.bus.subscribers_from("testclient") == 0
