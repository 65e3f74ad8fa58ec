"""deploy/local/system-packages.sh, which `make test` and .ci/run start with: on a machine
lacking programs, it installs them as root, or stops with the command that would.

Run against a PATH of stub programs, so nothing is installed and the machine's own
programs do not count."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy" / "local" / "system-packages.sh"
EVERY_COMMAND = ["java", "mvn", "curl", "flock", "npm", "promtool", "amtool", "chromium",
                 "chromedriver", "kubectl"]  # fmt: skip


def stub(directory: Path, name: str, body: str = "exit 0") -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        env={"PATH": str(path)},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A PATH with every command the script looks for, running as a normal user."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in EVERY_COMMAND:
        stub(bin_dir, name)
    stub(bin_dir, "id", "echo 1000")
    stub(bin_dir, "apt-get", f'echo "$*" >> {tmp_path / "apt-get.log"}')
    return bin_dir


def test_with_everything_there_it_does_nothing(machine: Path) -> None:
    done = run(machine)
    assert done.returncode == 0, done.stderr
    assert not (machine.parent / "apt-get.log").exists()


def test_a_normal_user_is_told_the_one_command_and_it_stops(machine: Path) -> None:
    for name in ("promtool", "chromium", "chromedriver"):
        (machine / name).unlink()
    done = run(machine)
    assert done.returncode == 1
    assert (
        "  sudo apt-get update && sudo apt-get install -y --no-install-recommends "
        "prometheus chromium chromium-driver\n"
    ) in done.stderr
    assert not (machine.parent / "apt-get.log").exists()


def test_root_installs_what_is_missing(machine: Path) -> None:
    stub(machine, "id", "echo 0")
    for name in ("java", "amtool"):
        (machine / name).unlink()
    done = run(machine)
    assert done.returncode == 0, done.stderr
    calls = (machine.parent / "apt-get.log").read_text().splitlines()
    assert calls[0] == "update -qq"
    assert calls[1].endswith(
        "install -y -qq --no-install-recommends default-jre-headless prometheus-alertmanager"
    )


def test_without_kubectl_or_kustomize_root_builds_kustomize_and_others_are_told(
    machine: Path,
) -> None:
    (machine / "kubectl").unlink()
    done = run(machine)
    assert done.returncode == 1
    assert "go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1" in done.stderr

    stub(machine, "id", "echo 0")
    stub(machine, "go", f'echo "GOBIN=$GOBIN $*" >> {machine.parent / "go.log"}')
    assert run(machine).returncode == 0
    assert (machine.parent / "go.log").read_text() == (
        "GOBIN=/usr/local/bin install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1\n"
    )
