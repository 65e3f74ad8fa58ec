"""Helpers for the deployment checks (a uniquely named module: test files import from here,
never from `conftest`, a name several folders use).

A check that needs a tool which is not installed FAILS with the command that installs it:
these checks are part of CI, and a silent skip would let a broken manifest through.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "k8s"
OVERLAYS = ("dev", "prod")
TOOLS = ROOT / "deploy" / "k8s-tools"


def find_tool(name: str, how_to_install: str, extra_dirs: tuple[Path, ...] = ()) -> str:
    """The tool's path, or a test failure that says how to install it."""
    found = shutil.which(name)
    if found:
        return found
    for directory in (ROOT / ".venv" / "bin", *extra_dirs):
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.fail(f"{name} is not installed; install it with: {how_to_install}", pytrace=False)


def kustomize_command() -> list[str]:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    pytest.fail(
        "neither kubectl nor kustomize is installed; install one, e.g.: "
        "go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1",
        pytrace=False,
    )


def build(path: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [*kustomize_command(), str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"kustomize build {path} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def load_tool(name: str) -> ModuleType:
    """Import a generator script from deploy/k8s-tools/ (not a package) by file path."""
    path = TOOLS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"detente_k8s_tools_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    if workload["kind"] == "CronJob":
        return workload["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return workload["spec"]["template"]["spec"]


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def workloads(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] in WORKLOAD_KINDS]


def settings_classes() -> dict[str, type[BaseModel]]:
    """Each service's Settings class, by the name its pods and users carry."""
    from detente_api.settings import Settings as ApiSettings
    from detente_producer.ingest.settings import IngestSettings
    from detente_producer.settings import Settings as ProducerSettings
    from detente_worker.settings import Settings as WorkerSettings

    return {
        "detente-api": ApiSettings,
        "detente-worker": WorkerSettings,
        "detente-producer": ProducerSettings,
        "detente-ingest": IngestSettings,
    }


def known_setting(model: type[BaseModel], parts: list[str]) -> bool:
    """Whether DETENTE_A__B names a field: pydantic-settings ignores unknown variables."""
    field = model.model_fields.get(parts[0])
    if field is None:
        return False
    if len(parts) == 1:
        return True
    annotation = field.annotation
    return (
        isinstance(annotation, type)
        and issubclass(annotation, BaseModel)
        and known_setting(annotation, parts[1:])
    )
