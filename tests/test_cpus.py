"""The default of `--jobs`: the CPUs the process may use (its affinity,
within a container's CPU quota), not the machine's count."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import secreview.engine as engine_module
from conftest import SHELL, write
from secreview.config import Config
from secreview.cpus import available_cpus, cgroup_cpu_quota


def _cgroup(root: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        write(root, name, text + "\n")
    return str(root)


@pytest.mark.parametrize(("files", "quota"), [
    ({"cpu.max": "200000 100000"}, 2.0),
    ({"cpu.max": "150000 100000"}, 1.5),
    ({"cpu.max": "max 100000"}, None),
    ({"cpu.max": "garbled"}, None),
    ({"cpu/cpu.cfs_quota_us": "50000", "cpu/cpu.cfs_period_us": "100000"}, 0.5),
    ({"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}, None),
    ({"cpu/cpu.cfs_quota_us": "300000"}, None),  # no period: not a quota to trust
    ({}, None),
], ids=["v2", "v2 fraction", "v2 none", "v2 garbled", "v1", "v1 none", "v1 half", "no cgroup"])
def test_the_container_s_cpu_quota(tmp_path: Path, files: dict[str, str], quota: float | None) -> None:
    assert cgroup_cpu_quota(_cgroup(tmp_path, files)) == quota


def test_the_quota_caps_the_cpus_the_process_may_run_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert available_cpus(_cgroup(tmp_path / "none", {})) == 64
    assert available_cpus(_cgroup(tmp_path / "two", {"cpu.max": "200000 100000"})) == 2
    assert available_cpus(_cgroup(tmp_path / "half", {"cpu.max": "150000 100000"})) == 2  # rounded up
    assert available_cpus(_cgroup(tmp_path / "tiny", {"cpu.max": "1000 100000"})) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3})
    assert available_cpus(_cgroup(tmp_path / "two", {"cpu.max": "200000 100000"})) == 1


@pytest.mark.skipif(shutil.which("taskset") is None or len(os.sched_getaffinity(0)) < 2,
                    reason="needs taskset and two CPUs")
def test_a_process_pinned_to_one_cpu_counts_one() -> None:
    code = "from secreview.cpus import available_cpus; print(available_cpus())"
    pinned = subprocess.run(["taskset", "-c", str(min(os.sched_getaffinity(0))), sys.executable, "-c", code],
                            capture_output=True, text=True, timeout=60, check=True)
    assert pinned.stdout.strip() == "1"


def test_the_review_s_default_jobs_are_the_cpus_it_may_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One CPU to use: no rules helper is forked for the edited file."""
    write(tmp_path, "app.py", SHELL)
    files = [engine_module.SourceFile(abspath=str(tmp_path / "app.py"), path="app.py")]
    monkeypatch.setattr(engine_module, "_start_method", lambda: "fork")
    started: list[object] = []
    start = engine_module.RulesHelper.start
    monkeypatch.setattr(engine_module.RulesHelper, "start", classmethod(
        lambda cls, *args, **options: started.append(start(*args, **options)) or started[-1]))
    setup = engine_module.TaintSetup(*_models())
    for cpus, helpers in ((1, 0), (2, 1)):
        started.clear()
        monkeypatch.setattr(engine_module, "available_cpus", lambda: cpus)
        results = list(engine_module.LocalExecutor().review_files(files, Config(), setup))
        assert [f.rule for f in results[0].findings] == ["py.shell-injection"]
        assert len([h for h in started if h is not None]) == helpers
        for helper in started:
            if helper is not None:
                helper.stop()


def _models() -> tuple:
    from secreview.taint import ProjectModules, load_models

    return load_models(()), ProjectModules(()), {}
