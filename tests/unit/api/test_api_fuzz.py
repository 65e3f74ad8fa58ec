"""Fuzz the API from its own OpenAPI schema: no 5xx, and every error is a JSON body."""

from __future__ import annotations

from datetime import timedelta

import schemathesis
from api_support import BASE, updates
from hypothesis import HealthCheck, settings

from detente.registry import ActorRegistry
from detente_api.main import create_app
from detente_api.settings import Settings
from detente_api.view import TensionView


def build_schema() -> schemathesis.BaseSchema:
    registry = ActorRegistry.load()
    view = TensionView(registry, retention=timedelta(days=30), max_articles=1000)
    hours = [(BASE - timedelta(hours=h), h % 3 == 0) for h in range(60, 0, -1)]
    for kind, actors in (("actor", ["russia"]), ("dyad", ["france", "russia"]), ("global", [])):
        for update in updates(kind, actors, hours):  # type: ignore[arg-type]
            view.apply_index(update)
    view.set_progress(lag=0, ready=True)  # a caught-up replica; /readyz's 503 is by design
    app = create_app(Settings(), start_consumer=False, registry=registry, view=view)
    # The stream never ends by design; its parameters are covered by its own tests.
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/v1/stream")


schema = build_schema()


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_error_is_json(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.path, case.query, response.text[:300])
    if response.status_code >= 400:
        content_type = response.headers.get("content-type") or [""]
        assert str(content_type[0] if isinstance(content_type, list) else content_type).startswith(
            "application/json"
        )
        assert "detail" in response.json()
