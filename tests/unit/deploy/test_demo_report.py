"""The demo report names the model the shipped artifact stamps on its stances, so a demo run
again after a new model can say its stances are an earlier model's."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path
from types import ModuleType

from detente.model import DEFAULT_MODEL_PATH, StanceModel

ROOT = Path(__file__).resolve().parents[3]


def load_report() -> ModuleType:
    path = ROOT / "deploy" / "local" / "demo_report.py"
    spec = importlib.util.spec_from_file_location("detente_demo_report", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_current_model_version_is_the_one_the_model_stamps() -> None:
    report = load_report()
    checksum = DEFAULT_MODEL_PATH.with_name(DEFAULT_MODEL_PATH.name + ".sha256")
    assert report.current_model_version(checksum) == StanceModel.load().version


def test_no_checksum_file_means_no_version(tmp_path: Path) -> None:
    assert load_report().current_model_version(tmp_path / "missing.sha256") is None


def test_reset_deletes_the_broker_log_and_the_worker_tables(tmp_path: Path) -> None:
    """`make reset` (stack.sh reset) on a stopped stack: the next `up` starts empty."""
    broker_log = tmp_path / "kafka" / "data"
    tables = tmp_path / "worker" / "tables"
    broker_log.mkdir(parents=True)
    tables.mkdir(parents=True)
    (broker_log / "meta.properties").write_text("cluster.id=x\n")
    (tables / "index-state.db").write_text("state")
    kept = tmp_path / "logs" / "worker.log"
    kept.parent.mkdir()
    kept.write_text("log")
    env = {**os.environ, "DETENTE_RUN_DIR": str(tmp_path)}
    done = subprocess.run(
        ["bash", str(ROOT / "deploy" / "local" / "stack.sh"), "reset"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not broker_log.exists()
    assert not (tmp_path / "worker").exists()
    assert kept.read_text() == "log"  # logs are not data
