"""The FastAPI application: routes, CORS, metrics, docs and the Kafka consumer's lifetime.

`/metrics` and the docs (`/docs`, `/redoc`, `/openapi.json`) are placed by the settings
`metrics_on` and `docs_on`: on the public port, on the admin port only, or nowhere.
Middleware, outermost first: security headers, the admin-port split, request metrics,
request size limits, CORS, prepared answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from detente.registry import ActorRegistry
from detente_api.consumer import ViewConsumer
from detente_api.docs import docs_routes
from detente_api.guards import PortSplit, RequestLimits, SecurityHeaders
from detente_api.metrics import ApiMetrics, MetricsMiddleware
from detente_api.prepared import PreparedAnswers
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
        # Served by detente_api.docs (local assets) where the settings place them.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.view = view
    app.state.metrics = metrics
    routers = (health, actors, dyads, global_index, movers, alerts, articles, stream, dashboard)
    for module in routers:
        app.include_router(module.router)

    # GET and HEAD only: `PUT /metrics` gets 405, not a scrape.
    # Starlette routes accept ASGI-app endpoints; its type hint only names request handlers.
    metrics_route = Route(
        "/metrics",
        _AsgiEndpoint(make_asgi_app(registry=prometheus)),
        methods=["GET", "HEAD"],
        include_in_schema=False,
    )
    admin_routes: list[BaseRoute] = []
    for placement, routes in (
        (settings.metrics_on, [metrics_route]),
        (settings.docs_on, docs_routes(app.openapi, app.title)),
    ):
        if placement == "public":
            app.router.routes.extend(routes)
        elif placement == "admin":
            admin_routes.extend(routes)

    # Innermost: everything outside it (headers, metrics, limits, CORS) runs for every hit.
    app.add_middleware(
        PreparedAnswers, view=view, served=metrics.prepared, max_entries=settings.prepared_answers
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET"],
            allow_headers=["*"],
        )
    app.add_middleware(
        RequestLimits,
        max_header_bytes=settings.max_header_bytes,
        max_query_bytes=settings.max_query_bytes,
        max_body_bytes=settings.max_body_bytes,
    )
    # Outside the limits and CORS: it also counts refusals, preflights and 404s.
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if admin_routes:
        admin = _admin_app(admin_routes)
        app.add_middleware(PortSplit, admin=admin, admin_port=settings.admin_port)
    app.add_middleware(SecurityHeaders)
    return app


async def _json_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


def _admin_app(routes: list[BaseRoute]) -> Starlette:
    """What the admin port serves: metrics and/or docs, nothing else (404 in JSON)."""
    return Starlette(routes=routes, exception_handlers={HTTPException: _json_http_error})
