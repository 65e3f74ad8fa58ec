"""Fault tests reuse the integration suite's fixtures: a real broker, fresh topics, and
real worker processes (loaded from its conftest under a name of their own)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
sys.path.insert(0, str(INTEGRATION))

_spec = importlib.util.spec_from_file_location(
    "detente_chaos_fixtures", INTEGRATION / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

bootstrap = _fixtures.bootstrap
topics = _fixtures.topics
services = _fixtures.services
