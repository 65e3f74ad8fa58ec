"""End-to-end fixtures: the integration tests' real broker, worker and API, plus a real
headless Chromium (Debian's `chromium` and `chromium-driver`) driven through Selenium."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

# Reuse the integration harness (broker, topics, subprocesses) rather than copy it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from detente.kafka_config import KafkaConnection
from detente.topics import TopicNames

from harness import ROOT, Services, free_port, http_get, wait_for

if TYPE_CHECKING:
    from selenium.webdriver import Chrome


def _integration_conftest() -> ModuleType:
    """The integration suite's conftest, loaded under a name of its own."""
    path = ROOT / "tests" / "integration" / "conftest.py"
    spec = importlib.util.spec_from_file_location("detente_integration_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Its fixtures, as they are: `bootstrap` (the dedicated test broker, shared with the
# integration tests when both run in one session), `topics` (fresh per test), `services`.
_integration = _integration_conftest()
bootstrap = _integration.bootstrap
topics = _integration.topics
services = _integration.services

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: drives the dashboard in headless Chromium against a real running stack"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the browser tests (before any broker starts) where there is no browser."""
    reason = missing_browser()
    if reason:
        for item in items:
            if item.get_closest_marker("e2e"):
                item.add_marker(pytest.mark.skip(reason=reason))


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium chromium-driver)"
    if not CHROMEDRIVER.exists():
        return f"{CHROMEDRIVER} is missing (apt-get install -y chromium-driver)"
    return None


def _dashboard_registered() -> bool:
    from detente_api.main import create_app
    from detente_api.settings import Settings

    app = create_app(Settings(), start_consumer=False)
    return any(getattr(route, "path", None) == "/dashboard" for route in app.routes)


@pytest.fixture
def api(bootstrap: str, topics: TopicNames, services: Services) -> Iterator[str]:
    """The API's base URL. The real `detente-api` process once main.py registers the
    dashboard router; until then the same app in this process, with the router added."""
    if _dashboard_registered():
        yield services.api()
        return

    import uvicorn

    from detente_api.main import create_app
    from detente_api.routes import dashboard
    from detente_api.settings import Settings

    port = free_port()
    kafka = KafkaConnection(bootstrap_servers=bootstrap, topic_prefix=topics.prefix)
    app = create_app(Settings(kafka=kafka, port=port))
    app.include_router(dashboard.router)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="e2e-api", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_get(f"{url}/healthz")[0] == 200, 60, "in-process API /healthz")
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chrome]:
    """Headless Chromium with a fresh profile; its console log is kept for the test."""
    from selenium.webdriver import Chrome, ChromeOptions
    from selenium.webdriver.chrome.service import Service

    options = ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)
