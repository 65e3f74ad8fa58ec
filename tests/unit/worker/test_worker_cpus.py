"""The CPUs a worker may use (`cpus.py`), read from fake cgroup files, and what
`DETENTE_CLASSIFY_PROCESS=auto` makes of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente_worker import cpus


def cgroup_tree(tmp_path: Path, own: str, limits: dict[str, str]) -> tuple[Path, Path]:
    """A cgroup v2 mount at tmp_path/cgroup with `cpu.max` files where `limits` says, and a
    /proc/self/cgroup naming `own`."""
    root = tmp_path / "cgroup"
    (root / own.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for path, line in limits.items():
        directory = root / path.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "cpu.max").write_text(line + "\n")
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text(f"0::{own}\n")
    return root, proc


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("100000 100000", 1.0),  # a Kubernetes limit of 1 CPU
        ("200000 100000", 2.0),
        ("150000 100000", 1.5),
        ("max 100000", None),  # no limit
        ("", None),
        ("nonsense", None),
        ("0 100000", None),
    ],
)
def test_a_cpu_max_line(line: str, expected: float | None) -> None:
    assert cpus.quota_cpus(line) == expected


def test_own_cgroup_is_the_v2_line() -> None:
    hybrid = "9:name=systemd:/\n4:memory:/x\n1:cpu:/\n0::/kubepods/pod1/abc\n"
    assert cpus.own_cgroup(hybrid) == "/kubepods/pod1/abc"
    assert cpus.own_cgroup("4:memory:/x\n1:cpu,cpuacct:/\n") is None  # cgroup v1 only


def test_a_container_with_its_own_cgroup_namespace(tmp_path: Path) -> None:
    root, proc = cgroup_tree(tmp_path, "/", {"/": "100000 100000"})
    assert cpus.cgroup_cpus(root, proc) == 1.0


def test_the_tightest_limit_up_the_tree_counts(tmp_path: Path) -> None:
    root, proc = cgroup_tree(
        tmp_path, "/kubepods/pod1/worker",
        {"/kubepods/pod1/worker": "max 100000", "/kubepods/pod1": "150000 100000",
         "/kubepods": "400000 100000"},
    )  # fmt: skip
    assert cpus.cgroup_cpus(root, proc) == 1.5


def test_no_limit_anywhere_or_no_cgroup_v2(tmp_path: Path) -> None:
    root, proc = cgroup_tree(tmp_path, "/user.slice/session", {"/user.slice": "max 100000"})
    assert cpus.cgroup_cpus(root, proc) is None
    assert cpus.cgroup_cpus(tmp_path / "absent", tmp_path / "absent-proc") is None


def test_the_quota_caps_the_affinity_in_whole_cpus() -> None:
    assert cpus.usable_cpus(64, 1.0) == 1  # a pod limited to 1 CPU on a big node
    assert cpus.usable_cpus(64, 1.5) == 1
    assert cpus.usable_cpus(64, 2.0) == 2
    assert cpus.usable_cpus(2, 4.0) == 2  # pinned to two
    assert cpus.usable_cpus(8, None) == 8
    assert cpus.usable_cpus(4, 0.5) == 1


def test_auto_classifies_in_a_process_with_two_cpus_or_more() -> None:
    assert cpus.classify_in_process("auto", lambda: 2)
    assert not cpus.classify_in_process("auto", lambda: 1)
    assert cpus.classify_in_process(True, lambda: 1)  # as set, whatever the CPUs

    def unread() -> int:
        raise AssertionError("CPUs are read only for auto")

    assert not cpus.classify_in_process(False, unread)


def test_this_machine_reads_without_error() -> None:
    assert cpus.available_cpus() >= 1
