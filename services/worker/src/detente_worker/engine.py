"""The stance engine, loaded once per process (model and registry are read at start)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from detente import indices
from detente.model import StanceModel
from detente.registry import ActorRegistry
from detente.stances import StanceEngine
from detente_worker.settings import get_settings


@cache
def get_engine() -> StanceEngine:
    settings = get_settings()
    model = StanceModel.load(
        settings.model_path,
        sha256=settings.model_sha256,
        verify_checksum=settings.model_verify,
    )
    return StanceEngine.create(ActorRegistry.load(settings.registry_path), model)


def allowed_lateness() -> timedelta:
    return timedelta(hours=get_settings().allowed_lateness_hours)


def lateness_hours() -> int:
    return indices.lateness_hours(allowed_lateness())
