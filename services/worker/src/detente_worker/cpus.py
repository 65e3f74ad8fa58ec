"""How many CPUs this worker may use: what `DETENTE_CLASSIFY_PROCESS=auto` decides on.

Two limits apply, and the smaller one counts: the CPUs the process may be scheduled on
(`os.sched_getaffinity`: taskset, cpusets) and the CPU time its cgroup may take (cgroup v2
`cpu.max`, "quota period" in microseconds, or "max": a Kubernetes CPU limit of 1 is
"100000 100000"). Every cgroup from the process's own up to the root can set one; the
tightest wins. `os.cpu_count()` sees neither: in a pod limited to one CPU on a 64-core
node it says 64. A cgroup v1 quota (`cpu.cfs_quota_us`) is not read: on such hosts the
affinity alone counts, so pin the worker (or set the setting) there.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")


def quota_cpus(cpu_max: str) -> float | None:
    """CPUs a cgroup's `cpu.max` allows (None: no quota, or a line that does not parse)."""
    fields = cpu_max.split()
    if len(fields) != 2 or fields[0] == "max":
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def own_cgroup(proc_self_cgroup: str) -> str | None:
    """The process's cgroup v2 path from /proc/self/cgroup (its "0::/path" line)."""
    for line in proc_self_cgroup.splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            return path
    return None


def cgroup_cpus(
    cgroup_root: Path = CGROUP_ROOT, proc_self_cgroup: Path = PROC_SELF_CGROUP
) -> float | None:
    """The tightest `cpu.max` quota from this process's cgroup up to the root, in CPUs;
    None if none is set or cgroup v2 is not mounted there."""
    try:
        path = own_cgroup(proc_self_cgroup.read_text())
    except OSError:
        return None
    if path is None:
        return None
    # In a container (its own cgroup namespace) the path reads "/" and the root is its own.
    directory = cgroup_root / path.lstrip("/")
    limits = []
    while True:
        try:
            limit = quota_cpus((directory / "cpu.max").read_text())
        except OSError:
            limit = None
        if limit is not None:
            limits.append(limit)
        if directory == cgroup_root or cgroup_root not in directory.parents:
            break
        directory = directory.parent
    return min(limits) if limits else None


def usable_cpus(affinity: int, quota: float | None) -> int:
    """Whole CPUs the process can keep busy at once: its affinity, capped by the quota
    (rounded down: 1.5 CPUs of quota cannot keep two threads of work busy)."""
    if quota is None:
        return affinity
    return max(1, min(affinity, math.floor(quota)))


def available_cpus() -> int:
    """`usable_cpus` for this process, read from the running system (Linux; elsewhere
    `os.cpu_count()`)."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = os.cpu_count() or 1
    return usable_cpus(affinity, cgroup_cpus())


def classify_in_process(setting: Literal["auto"] | bool, cpus: Callable[[], int]) -> bool:
    """`DETENTE_CLASSIFY_PROCESS`: as set, or under `auto` a process of its own when the
    worker may use two CPUs or more. With one, the process only adds pickling and a
    second model to the same CPU (docs/performance.md)."""
    if setting == "auto":
        return cpus() >= 2
    return bool(setting)
