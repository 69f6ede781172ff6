"""Running secreview and its peers on a data set, each in its own process.

Every tool runs under a small wrapper process that times it and reads the
peak memory of the tool's process tree as the kernel reports it for
children (`RUSAGE_CHILDREN`: the largest process, workers included), so one
tool's memory is never mixed with another's. A tool that is missing, crashes,
or runs past the time limit gets a status saying so and no score; the others
still run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from secreview.bench.score import ToolFinding

DEFAULT_TIMEOUT = 900.0

_WRAPPER = r"""
import json, resource, subprocess, sys, time
out_path, err_path, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
start = time.perf_counter()
with open(out_path, "wb") as out, open(err_path, "wb") as err:
    try:
        proc = subprocess.Popen(sys.argv[4:], stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as exc:
        print(json.dumps({"error": f"cannot start: {exc}"}))
        sys.exit(0)
    try:
        rc, timed_out = proc.wait(timeout=timeout), False
    except subprocess.TimeoutExpired:
        import os, signal
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        rc, timed_out = proc.wait(), True
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": rc, "wall": wall, "peak_kib": peak, "timed_out": timed_out}))
"""


@dataclass
class ToolRun:
    name: str
    version: str = ""
    status: str = "ok"  # ok | skipped | crashed | timed out
    detail: str = ""
    wall: float | None = None
    peak_mib: float | None = None
    findings: list[ToolFinding] = field(default_factory=list)
    command: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "status": self.status, "detail": self.detail,
                "wall_seconds": self.wall, "peak_mib": self.peak_mib, "findings": len(self.findings),
                # the program by name only: results are shared, local paths are not
                "command": [os.path.basename(self.command[0]), *self.command[1:]] if self.command else []}


def _measure(cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
             ) -> tuple[dict[str, Any], str, str]:
    with tempfile.TemporaryDirectory(prefix="secreview-bench-") as tmp:
        out_path, err_path = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        proc = subprocess.run([sys.executable, "-c", _WRAPPER, out_path, err_path, str(timeout), *cmd],
                              cwd=cwd, capture_output=True, text=True, env=env)
        try:
            data = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            data = {"error": f"the measuring wrapper failed: {proc.stderr.strip()[-300:]}"}
        stdout = Path(out_path).read_text(encoding="utf-8", errors="replace") if os.path.exists(out_path) else ""
        stderr = Path(err_path).read_text(encoding="utf-8", errors="replace") if os.path.exists(err_path) else ""
    return data, stdout, stderr


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def _run(run: ToolRun, cmd: list[str], root: Path, timeout: float, ok_codes: set[int],
         parse: Callable[[str, Path], list[ToolFinding]], env: dict[str, str] | None = None) -> ToolRun:
    run.command = cmd
    data, stdout, stderr = _measure(cmd, root, timeout, env)
    if "error" in data:
        run.status, run.detail = "crashed", data["error"]
        return run
    run.wall, run.peak_mib = data["wall"], data["peak_kib"] / 1024
    if data["timed_out"]:
        run.status, run.detail = "timed out", f"stopped after {timeout:.0f} s"
        return run
    if data["rc"] not in ok_codes:
        run.status, run.detail = "crashed", f"exit status {data['rc']}: {_last_line(stderr or stdout)}"
        return run
    try:
        run.findings = parse(stdout, root)
    except (ValueError, KeyError, TypeError) as exc:
        run.status, run.detail = "crashed", f"unreadable output ({type(exc).__name__}: {exc})"
    return run


def _relative(path: str, root: Path) -> str:
    p = Path(path)
    if not p.is_absolute():
        p = (root / p)
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return p.as_posix()


# ------------------------------------------------------------------ secreview
def run_secreview(root: Path, timeout: float = DEFAULT_TIMEOUT) -> ToolRun:
    from secreview import __version__

    run = ToolRun("secreview", __version__)
    # Every file of a data set is a case: test-looking names get every rule.
    # No result cache: the peers analyse everything, so secreview does too.
    cmd = [sys.executable, "-m", "secreview", "review", ".", "--root", ".", "-f", "json", "--include-tests",
           "--no-cache"]
    _run(run, cmd, root, timeout, {0, 1}, _parse_secreview)
    return run


def _parse_secreview(stdout: str, root: Path) -> list[ToolFinding]:
    report = json.loads(stdout)
    return [ToolFinding(_relative(f["path"], root), int(f["line"]), tuple(int(c) for c in f["cwe"]), f["rule"])
            for f in report["findings"]]


# --------------------------------------------------------------------- Bandit
def run_bandit(root: Path, timeout: float = DEFAULT_TIMEOUT) -> ToolRun:
    try:
        from importlib.metadata import version

        run = ToolRun("bandit", version("bandit"))
    except Exception:  # PackageNotFoundError, or a broken install
        return ToolRun("bandit", status="skipped",
                       detail="Bandit is not installed (pip install 'secreview[bench]')")
    cmd = [sys.executable, "-m", "bandit", "-r", ".", "-f", "json", "-q"]
    _run(run, cmd, root, timeout, {0, 1}, _parse_bandit)
    return run


def _parse_bandit(stdout: str, root: Path) -> list[ToolFinding]:
    # Bandit may print log lines before the JSON document.
    report = json.loads(stdout[stdout.index("{"):])
    found = []
    for item in report["results"]:
        cwe = (item.get("issue_cwe") or {}).get("id")
        found.append(ToolFinding(_relative(item["filename"], root), int(item["line_number"]),
                                 (int(cwe),) if cwe else (), item.get("test_id", "")))
    return found


# -------------------------------------------------------------------- Semgrep
_SEMGREP_CWE = re.compile(r"CWE-(\d+)", re.IGNORECASE)


def run_semgrep(root: Path, rules: Path | None, timeout: float = DEFAULT_TIMEOUT) -> ToolRun:
    exe = shutil.which("semgrep")
    if rules is None:
        return ToolRun("semgrep", status="skipped",
                       detail="no local rules given (--semgrep-rules DIR); Semgrep runs offline only")
    if exe is None:
        return ToolRun("semgrep", status="skipped", detail="semgrep is not on PATH")
    version = ""
    try:
        version = subprocess.run([exe, "--version", "--disable-version-check"], capture_output=True, text=True,
                                 timeout=60, env=_semgrep_env()).stdout.strip().splitlines()[-1]
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    run = ToolRun("semgrep", version)
    # Offline: no metrics, no version check (otherwise it waits on the
    # network for about 95 s before every run).
    cmd = [exe, "scan", "--config", str(rules.resolve()), "--json", "--metrics=off", "--disable-version-check",
           "--quiet", "."]
    _run(run, cmd, root, timeout, {0, 1}, _parse_semgrep, env=_semgrep_env())
    return run


def _semgrep_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"})
    return env


def _parse_semgrep(stdout: str, root: Path) -> list[ToolFinding]:
    report = json.loads(stdout)
    found = []
    for item in report["results"]:
        metadata = (item.get("extra") or {}).get("metadata") or {}
        raw = metadata.get("cwe") or []
        texts = raw if isinstance(raw, list) else [raw]
        cwes = tuple(int(m) for text in texts for m in _SEMGREP_CWE.findall(str(text)))
        found.append(ToolFinding(_relative(item["path"], root), int(item["start"]["line"]), cwes,
                                 item.get("check_id", "")))
    return found
