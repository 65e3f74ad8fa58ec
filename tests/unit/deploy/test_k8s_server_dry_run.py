"""Optional: a server-side dry run of both overlays against a real kube-apiserver and etcd,
started on 127.0.0.1 by deploy/k8s-tools/apiserver_dry_run.sh (about 10 s).

It runs when the two binaries are there: in .run/k8s-tools/bin/ (built by
`bash deploy/k8s-tools/build_apiserver.sh`, about 10 minutes from the Go module proxy) or
named by DETENTE_ETCD and DETENTE_KUBE_APISERVER. Otherwise it skips and says so: the
required checks (schemas, CRDs, scanner) do not depend on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from deploy_support import ROOT, TOOLS

BIN = ROOT / ".run" / "k8s-tools" / "bin"


def _binary(variable: str, name: str) -> Path | None:
    path = Path(os.environ.get(variable) or BIN / name)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def test_overlays_pass_a_server_side_dry_run() -> None:
    etcd = _binary("DETENTE_ETCD", "etcd")
    apiserver = _binary("DETENTE_KUBE_APISERVER", "kube-apiserver")
    if not (etcd and apiserver and shutil.which("kubectl") and shutil.which("openssl")):
        pytest.skip(
            "optional server-side dry run: needs kubectl, openssl and the binaries from "
            "`bash deploy/k8s-tools/build_apiserver.sh` (or DETENTE_ETCD/DETENTE_KUBE_APISERVER)"
        )
    result = subprocess.run(
        ["bash", str(TOOLS / "apiserver_dry_run.sh")],
        env={**os.environ, "ETCD": str(etcd), "KUBE_APISERVER": str(apiserver)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    for overlay in ("dev", "prod"):
        assert f"k8s/overlays/{overlay}: server-side dry run OK" in output
