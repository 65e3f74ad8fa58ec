"""The `built` fixture: every overlay, built once per session (helpers: deploy_support.py)."""

from __future__ import annotations

from typing import Any

import pytest
from deploy_support import K8S, OVERLAYS, build


@pytest.fixture(scope="session")
def built() -> dict[str, list[dict[str, Any]]]:
    """Overlay name -> the objects `kustomize build` renders for it."""
    return {name: build(K8S / "overlays" / name) for name in OVERLAYS}
