"""The worker hands its model settings to the loader (the library never reads the env)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from detente.model import DEFAULT_MODEL_PATH, ModelError
from detente_worker import engine
from detente_worker.settings import Settings, get_settings


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    engine.get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    engine.get_engine.cache_clear()


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="no model artifact")
def test_a_model_sha256_setting_that_does_not_match_stops_the_worker(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.setenv("DETENTE_MODEL_SHA256", "f" * 64)
    with pytest.raises(ModelError, match="is given"):
        engine.get_engine()


def test_a_model_sha256_setting_must_be_a_sha256(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_MODEL_SHA256", "f5ba84c0")
    with pytest.raises(ValidationError, match="model_sha256"):
        Settings()
    monkeypatch.setenv("DETENTE_MODEL_SHA256", "")
    monkeypatch.setenv("DETENTE_MODEL_VERIFY", "false")
    assert Settings().model_verify is False
