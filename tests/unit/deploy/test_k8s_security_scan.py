"""Security scan: checkov over the built overlays and the three Dockerfiles, in one run.

Exceptions are checkov skip annotations on the resources themselves
(`checkov.io/skipN: CHECK=reason`); each skipped check must be justified in k8s/README.md.
checkov is installed apart from the project's venv (its pins clash with the workspace):
    uv tool install checkov==3.3.30
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml
from deploy_support import K8S, OVERLAYS, ROOT, find_tool

DOCKERFILES = sorted((ROOT / "services").glob("*/Dockerfile"))


def _run_checkov(built: dict, tmp_path: Path) -> list[dict]:
    checkov = find_tool(
        "checkov", "uv tool install checkov==3.3.30", extra_dirs=(Path.home() / ".local" / "bin",)
    )
    files = []
    for overlay in OVERLAYS:
        path = tmp_path / f"{overlay}.yaml"
        path.write_text(yaml.safe_dump_all(built[overlay], sort_keys=False), encoding="utf-8")
        files.append(path)
    command = [checkov, "--framework", "kubernetes", "dockerfile", "--skip-download"]
    command += ["--compact", "--output", "json"]
    for path in [*files, *DOCKERFILES]:
        command += ["--file", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode in (0, 1), f"checkov did not run:\n{result.stderr[-3000:]}"
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def test_checkov_passes_with_documented_exceptions(built: dict, tmp_path: Path) -> None:
    reports = _run_checkov(built, tmp_path)
    frameworks = {r.get("check_type") for r in reports}
    assert {"kubernetes", "dockerfile"} <= frameworks, f"checkov scanned {frameworks}"
    failed = [
        f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})"
        for report in reports
        for c in report.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    by_type = {r["check_type"]: r["summary"] for r in reports}
    for check_type, summary in by_type.items():
        assert summary["parsing_errors"] == 0, f"checkov could not parse {check_type} files"
    assert by_type["dockerfile"]["resource_count"] == len(DOCKERFILES) == 3
    workload_count = sum(
        1 for o in built["prod"] if o["kind"] in ("Deployment", "CronJob", "NetworkPolicy")
    )
    assert by_type["kubernetes"]["resource_count"] >= 2 * workload_count
    assert by_type["kubernetes"]["passed"] > 100 and by_type["dockerfile"]["passed"] > 50

    skipped = {
        c["check_id"]
        for report in reports
        for c in report.get("results", {}).get("skipped_checks", [])
    }
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    undocumented = {check for check in skipped if check not in readme}
    assert not undocumented, f"skipped checks not justified in k8s/README.md: {undocumented}"


def test_skip_annotations_carry_a_reason() -> None:
    for path in K8S.rglob("*.yaml"):
        for check, reason in re.findall(
            r"checkov\.io/skip\d+:\s*\"?(CKV\w+)=?([^\n\"]*)", path.read_text()
        ):
            assert len(reason.strip()) > 10, f"{path}: {check} skipped without a reason"
