"""Issue #17's baseline engine: the stance engine as it was before the change, kept runnable.

`make bench` times the current engine against the engine of a pinned commit on the same
corpus, in the same run, round for round. The commit's `shared/src` is extracted with
`git archive` into a temporary folder and imported there, in a process of its own (two
versions of `detente` cannot share one interpreter); it loads the same model file. That
process classifies one round of the corpus each time it is asked, so the rounds alternate
with the current engine's and a busy spell slows both alike.

Without git, without the commit, or when the old engine fails to start, the bench records
why and goes on: the baseline never fails it.

Run as `python baseline.py --serve CORPUS` by `BaselineEngine` itself: one line per request
on stdin, one JSON line per answer on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType, TracebackType

ROOT = Path(__file__).resolve().parents[1]
# "The engine before the change" of issue #17: the last commit before the classify
# engine's speed-ups of 2026-12-07 (detente.alias_index, fold of non-ASCII runs, ...).
BASELINE_COMMIT = "2845c16"
MODEL = ROOT / "models" / "stance.skops"
BATCH = 64
START_SECONDS = 300


class BaselineUnavailable(RuntimeError):
    """Why the baseline engine cannot be timed in this run."""


def extract(commit: str, into: Path) -> Path:
    """`shared/src` of `commit` under `into`, from `git archive`; the folder to import from."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "shared/src"],
            capture_output=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BaselineUnavailable(f"git archive could not run: {exc}") from exc
    if archive.returncode != 0:
        detail = archive.stderr.decode(errors="replace").strip().splitlines()
        raise BaselineUnavailable(
            f"git archive {commit} failed: {detail[-1] if detail else archive.returncode}"
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    source = into / "shared" / "src"
    if not (source / "detente" / "stances.py").is_file():
        raise BaselineUnavailable(f"{commit} has no shared/src/detente/stances.py")
    return source


def output_digest(stances: list[object]) -> str:
    """SHA-256 of the engine's answers (ArticleStances as JSON, one per line)."""
    digest = hashlib.sha256()
    for item in stances:
        digest.update(item.model_dump_json().encode() + b"\n")  # type: ignore[attr-defined]
    return digest.hexdigest()


class BaselineEngine:
    """The pinned commit's engine in a process of its own, loaded on `corpus` (JSON Lines):
    `round()` classifies the whole corpus once (batches of 64) and returns its seconds;
    `digest` is the SHA-256 of its answers on the corpus (see `output_digest`)."""

    def __init__(self, corpus: Path, commit: str = BASELINE_COMMIT) -> None:
        self.commit = commit
        self._folder = tempfile.TemporaryDirectory(prefix="detente-baseline-")
        try:
            source = extract(commit, Path(self._folder.name))
            environment = {**os.environ, "PYTHONPATH": str(source)}
            self._process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--serve", str(corpus)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=environment,
            )
            ready = self._answer(START_SECONDS)
        except BaseException:
            self.close()
            raise
        self.digest = str(ready["digest"])
        self.version = str(ready["version"])
        if not str(ready["engine_file"]).startswith(self._folder.name):
            self.close()
            raise BaselineUnavailable(
                f"the baseline process imported {ready['engine_file']}, not {commit}'s engine"
            )

    def _answer(self, timeout: float) -> dict[str, object]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout)
            error = self._process.stderr.read() if self._process.stderr else ""
            last = error.strip().splitlines()[-1:] or [f"exit {self._process.returncode}"]
            raise BaselineUnavailable(f"the baseline engine stopped: {last[0]}")
        answer: dict[str, object] = json.loads(line)
        return answer

    def round(self) -> float:
        assert self._process.stdin is not None
        self._process.stdin.write("round\n")
        self._process.stdin.flush()
        return float(self._answer(START_SECONDS)["seconds"])  # type: ignore[arg-type]

    def close(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.stdin.close()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._folder.cleanup()

    def __enter__(self) -> BaselineEngine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def current_heap() -> ModuleType:
    """This checkout's `detente.heap`, loaded by path: the baseline's own tree predates it,
    and the engines should differ, not the collector they run under."""
    spec = importlib.util.spec_from_file_location(
        "current_heap", ROOT / "shared" / "src" / "detente" / "heap.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(corpus: Path) -> int:
    """The baseline process: load the engine it imports, settle the collector as the
    current engine's processes do, warm it on the corpus, say so with the answers' digest,
    then time one round per line read."""
    import detente.stances
    from detente.events import Article
    from detente.model import StanceModel
    from detente.registry import ActorRegistry
    from detente.stances import StanceEngine

    articles = [Article.model_validate_json(line) for line in corpus.read_text().splitlines()]
    engine = StanceEngine.create(ActorRegistry.load(), StanceModel.load(MODEL))
    current_heap().settle()

    def classify() -> list[object]:
        answers: list[object] = []
        for start in range(0, len(articles), BATCH):
            answers.extend(engine.classify_many(articles[start : start + BATCH]))
        return answers

    ready = {
        "digest": output_digest(classify()),
        "version": engine.model.version,
        "engine_file": detente.stances.__file__,
    }
    print(json.dumps(ready), flush=True)
    for _ in sys.stdin:
        started = time.perf_counter()
        classify()
        print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", type=Path, required=True, help="corpus (JSON Lines)")
    sys.exit(serve(parser.parse_args().serve))
