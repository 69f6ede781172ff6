"""How many CPUs the review may use: the default of `--jobs`.

`os.cpu_count()` counts the machine's CPUs. In a container with a CPU quota
(`docker run --cpus 2`, a Kubernetes CPU limit) on a large CI host, or in a
process pinned to some CPUs (`taskset`), that many worker processes would
share a few CPUs' time, each holding a parse tree: slower, and many times
the memory. The CPUs the process may run on (its affinity), capped by the
container's quota, are what it can use.

The quota is read as loky (joblib's process pool) reads it, from the
cgroup file system mounted in the container: `cpu.max` (cgroup v2), else
`cpu/cpu.cfs_quota_us` and `cpu/cpu.cfs_period_us` (v1), rounded up. Written
here rather than imported from loky: importing it takes 50 ms, a tenth of a
review after a one-file edit.
"""

from __future__ import annotations

import math
import os

CGROUP_ROOT = "/sys/fs/cgroup"


def available_cpus(cgroup_root: str = CGROUP_ROOT) -> int:
    """The CPUs this process may use, at least 1."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        count = os.cpu_count() or 1
    quota = cgroup_cpu_quota(cgroup_root)
    if quota is not None:
        count = min(count, math.ceil(quota))
    return max(1, count)


def cgroup_cpu_quota(root: str = CGROUP_ROOT) -> float | None:
    """The container's CPU quota, in CPUs (1.5: one and a half CPUs' time);
    None where there is none, or it cannot be read."""
    v2 = _read(os.path.join(root, "cpu.max"))
    if v2 is not None:
        fields = v2.split()
        if len(fields) == 2 and fields[0] != b"max":
            return _ratio(fields[0], fields[1])
        return None
    quota = _read(os.path.join(root, "cpu", "cpu.cfs_quota_us"))
    period = _read(os.path.join(root, "cpu", "cpu.cfs_period_us"))
    if quota is None or period is None:
        return None
    return _ratio(quota, period)


def _ratio(quota: bytes, period: bytes) -> float | None:
    try:
        value, per = int(quota), int(period)
    except ValueError:
        return None
    return value / per if value > 0 and per > 0 else None  # v1 says -1 for none


def _read(path: str) -> bytes | None:
    """The file's bytes (no codec: the process may no longer be able to
    import one, after dropping its privileges), or None."""
    try:
        with open(path, "rb") as handle:
            return handle.read().strip()
    except OSError:
        return None
