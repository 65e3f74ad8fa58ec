"""Fault tests reuse the integration suite's fixtures: a real broker, fresh topics, and
real worker processes (loaded from its conftest under a name of their own). The
undisturbed run that every fault is compared with is made once per session."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
sys.path.insert(0, str(INTEGRATION))

from detente.topics import TopicNames  # noqa: E402

from harness import Services, create_topics, produce  # noqa: E402
from scenario import Outcome, corpus, finish, wait_ready  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "detente_chaos_fixtures", INTEGRATION / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

bootstrap = _fixtures.bootstrap
topics = _fixtures.topics
services = _fixtures.services


@pytest.fixture(scope="session")
def undisturbed(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """The corpus through one worker with nothing going wrong."""
    # Unique per session: the broker may outlive a session, and with it old topics.
    names = TopicNames(f"chaos-undisturbed-{uuid.uuid4().hex[:10]}-")
    create_topics(bootstrap, names)
    calm = Services(bootstrap, names, tmp_path_factory.mktemp("undisturbed"))
    try:
        calm.worker("worker")
        wait_ready(calm, "worker")
        produce(bootstrap, names.articles, corpus())
        return finish(calm)
    finally:
        calm.stop()
