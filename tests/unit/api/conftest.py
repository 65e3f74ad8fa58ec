"""Fixtures for the API tests: a small registry, event builders, a view and a test client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from detente.events import ActorStance, IndexUpdate, MentionedActor, StanceEvent, WindowValue
from detente.indices import actor_subject, dyad_subject
from detente.registry import ActorRegistry
from detente_api.main import create_app
from detente_api.settings import Settings
from detente_api.view import TensionView

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)

API_REGISTRY = """
[[actor]]
id = "russia"
name = "Russia"
kind = "state"

[[actor]]
id = "vladimir-putin"
name = "Vladimir Putin"
kind = "person"
affiliation = "russia"

[[actor]]
id = "france"
name = "France"
kind = "state"

[[actor]]
id = "emmanuel-macron"
name = "Emmanuel Macron"
kind = "person"
affiliation = "france"

[[actor]]
id = "nato"
name = "NATO"
kind = "organisation"

[[actor]]
id = "ukraine"
name = "Ukraine"
kind = "state"
"""

MakeIndex = Callable[..., IndexUpdate]
MakeStance = Callable[..., StanceEvent]


@pytest.fixture(scope="session")
def api_registry() -> ActorRegistry:
    return ActorRegistry.from_toml(API_REGISTRY)


@pytest.fixture
def make_index() -> MakeIndex:
    def build(
        kind: str,
        actors: list[str],
        index: float | None,
        *,
        ewma: float | None = None,
        statements: int = 10,
        as_of: datetime = T0,
    ) -> IndexUpdate:
        if kind == "actor":
            subject = actor_subject(actors[0])
        elif kind == "dyad":
            subject = dyad_subject(actors[0], actors[1])
        else:
            subject = "global"
        return IndexUpdate(
            subject=subject,
            subject_kind=kind,  # type: ignore[arg-type]
            actors=sorted(actors),
            as_of=as_of,
            windows={
                "1h": WindowValue(index=index, statements=1, articles=1),
                "24h": WindowValue(index=index, statements=statements, articles=3),
                "7d": WindowValue(index=index, statements=statements * 2, articles=6),
            },
            ewma=ewma if ewma is not None else index,
            ewma_half_life_hours=24.0,
            total_statements=statements * 3,
            total_articles=9,
            last_article_id="a-last",
            updated_at=as_of,
        )

    return build


@pytest.fixture
def make_stance(api_registry: ActorRegistry) -> MakeStance:
    def build(
        article_id: str,
        actor: str,
        *,
        stance: str = "hardline",
        p_hardline: float = 0.8,
        published_at: datetime = T0,
        classified_at: datetime | None = None,
        model_version: str = "m1",
        title: str = "Talks stall",
        evidence: list[str] | None = None,
        p_stance: float = 1.0,
        mentioned: list[MentionedActor] | None = None,
        stance_takers: int | None = None,
    ) -> StanceEvent:
        known = api_registry.get(actor)
        return StanceEvent(
            article_id=article_id,
            published_at=published_at,
            title=title,
            model_version=model_version,
            stance=ActorStance(
                actor=actor,
                name=known.name,
                kind=known.kind,
                affiliation=known.affiliation,
                stance=stance,  # type: ignore[arg-type]
                p_hardline=p_hardline,
                p_stance=p_stance,
                statements=2,
                evidence=evidence if evidence is not None else [f"{known.name} said no."],
            ),
            classified_at=classified_at or published_at + timedelta(minutes=1),
            mentioned=mentioned or [],
            stance_takers=stance_takers,
        )

    return build


@pytest.fixture
def view(api_registry: ActorRegistry) -> TensionView:
    return TensionView(api_registry, retention=timedelta(days=30), max_articles=1000)


@pytest.fixture
def make_client(
    api_registry: ActorRegistry, view: TensionView
) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def build(**settings: Any) -> TestClient:
        app = create_app(
            Settings(**settings), start_consumer=False, registry=api_registry, view=view
        )
        client = TestClient(app)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
