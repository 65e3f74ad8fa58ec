"""Where the worker listens: metrics on loopback unless told otherwise, Faust's web server
(which lists tables and the changelog topology) off unless asked for."""

from __future__ import annotations

from detente_worker.app import app
from detente_worker.settings import Settings


def test_bind_addresses_default_to_loopback_and_faust_web_is_off(monkeypatch):
    for name in ("DETENTE_WEB_HOST", "DETENTE_METRICS_HOST", "DETENTE_WEB_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.metrics_host == "127.0.0.1"
    assert settings.web_host == "127.0.0.1"
    assert settings.web_enabled is False
    monkeypatch.setenv("DETENTE_METRICS_HOST", "0.0.0.0")
    assert Settings().metrics_host == "0.0.0.0"
    assert Settings().web_host == "127.0.0.1"  # the metrics' address no longer opens Faust's
    assert app.conf.web_enabled is False
    assert app.conf.web_bind == "127.0.0.1"
