"""FastAPI dependencies: the per-app objects `create_app` stores on `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from detente.registry import ActorRegistry
from detente_api.metrics import ApiMetrics
from detente_api.settings import Settings
from detente_api.view import TensionView


def get_view(request: Request) -> TensionView:
    view: TensionView = request.app.state.view
    return view


def get_registry(request: Request) -> ActorRegistry:
    registry: ActorRegistry = request.app.state.registry
    return registry


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ViewDep = Annotated[TensionView, Depends(get_view)]
RegistryDep = Annotated[ActorRegistry, Depends(get_registry)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_metrics(request: Request) -> ApiMetrics:
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]
