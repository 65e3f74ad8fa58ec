"""bench/baseline.py: the engine of a pinned commit runs beside the current one, and a
missing git or commit is a reason recorded, never a failed bench."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from detente.model import DEFAULT_MODEL_PATH

ROOT = Path(__file__).resolve().parents[3]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def in_a_git_checkout() -> bool:
    if shutil.which("git") is None:
        return False
    found = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, check=False
    )
    return found.returncode == 0


needs_git = pytest.mark.skipif(not in_a_git_checkout(), reason="not a git checkout")


@needs_git
def test_extracts_the_engine_of_a_commit(tmp_path: Path) -> None:
    baseline = load("baseline")
    source = baseline.extract("HEAD", tmp_path)
    assert (source / "detente" / "stances.py").is_file()
    assert (source / "detente" / "data" / "actors.toml").is_file()


@needs_git
def test_an_unknown_commit_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    baseline = load("baseline")
    with pytest.raises(baseline.BaselineUnavailable, match="git archive"):
        baseline.extract("0" * 40, tmp_path)
    with pytest.raises(baseline.BaselineUnavailable):
        baseline.BaselineEngine(tmp_path / "corpus.jsonl", commit="0" * 40)


def test_without_git_the_bench_records_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = load("baseline")
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on it
    with pytest.raises(baseline.BaselineUnavailable, match="could not run"):
        baseline.extract("HEAD", tmp_path)


@needs_git
@pytest.mark.skipif(not DEFAULT_MODEL_PATH.exists(), reason="no model artifact")
def test_the_baseline_process_times_rounds_of_the_corpus(tmp_path: Path) -> None:
    baseline = load("baseline")
    corpus = tmp_path / "corpus.jsonl"
    sample = (ROOT / "data" / "sample" / "articles.jsonl").read_text().splitlines()
    corpus.write_text("\n".join(sample[:2]) + "\n")
    with baseline.BaselineEngine(corpus, commit="HEAD") as engine:
        assert len(engine.digest) == 64
        assert engine.version.startswith("detente-stance")
        assert engine.round() > 0
        assert engine.round() > 0
