"""The FastAPI application: routes, CORS, metrics and the Kafka consumer's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.types import ASGIApp, Receive, Scope, Send

from detente.registry import ActorRegistry
from detente_api.consumer import ViewConsumer
from detente_api.metrics import ApiMetrics, MetricsMiddleware
from detente_api.routes import (
    actors,
    alerts,
    articles,
    dashboard,
    dyads,
    global_index,
    health,
    movers,
    stream,
)
from detente_api.settings import Settings
from detente_api.view import TensionView


def _version() -> str:
    try:
        return version("detente-api")
    except PackageNotFoundError:
        return "0.0.0"


class _AsgiEndpoint:
    """An ASGI app as a route endpoint: Starlette wraps plain functions as request handlers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    start_consumer: bool = True,
    *,
    registry: ActorRegistry | None = None,
    view: TensionView | None = None,
) -> FastAPI:
    """Build the app. Tests pass `start_consumer=False` and fill `app.state.view` directly.

    The registry is loaded here so that an invalid one stops the API at start, not mid-request.
    """
    settings = settings if settings is not None else Settings()
    if registry is None:
        registry = ActorRegistry.load(settings.registry_path)
    if view is None:
        view = TensionView(
            registry,
            retention=timedelta(hours=settings.stance_retention_hours),
            max_articles=settings.max_articles,
            history_retention=timedelta(days=settings.history_retention_days),
        )
    prometheus = CollectorRegistry()
    metrics = ApiMetrics(prometheus, view)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task: asyncio.Task[None] | None = None
        if start_consumer:
            consumer = ViewConsumer(view, settings.kafka, on_record=metrics.record_consumed)
            task = asyncio.create_task(consumer.run(), name="detente-view-consumer")
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="Détente API",
        description="Live diplomatic tension indices and per-article actor stances.",
        version=_version(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.view = view
    app.state.metrics = metrics
    routers = (health, actors, dyads, global_index, movers, alerts, articles, stream, dashboard)
    for module in routers:
        app.include_router(module.router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET"],
            allow_headers=["*"],
        )
    # Added last so it is outermost: it also counts CORS preflights and 404s.
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    metrics_app = make_asgi_app(registry=prometheus)
    # The mount alone answers "/metrics" with a 307 to "/metrics/"; serve both directly.
    # Starlette routes accept ASGI-app endpoints; its type hint only names request handlers.
    endpoint = _AsgiEndpoint(metrics_app)
    app.add_route("/metrics", endpoint, include_in_schema=False)  # type: ignore[arg-type]
    app.mount("/metrics", metrics_app)
    return app
