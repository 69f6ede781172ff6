#!/usr/bin/env python3
"""Benchmark: a whole-tree review against Bandit and the `ast.parse` floor, in one run.

Usage::

    python3 benchmarks/bench_review.py                      # OpenStack Nova, latest release from PyPI
    python3 benchmarks/bench_review.py --nova-version 34.0.0
    python3 benchmarks/bench_review.py --path some/tree     # any directory

Downloads Nova's source release with `pip download --no-deps --no-binary :all:`
(into --work, default a temporary folder), then measures, each in a fresh
process so peak memory is per tool:

- the parse floor: `ast.parse` of every `.py` file (reading included);
- `secreview review` (JSON report), wall time and peak RSS;
- Bandit (`bandit -r -f json`), when installed, on the same tree.

Prints a Markdown section with the figures, the ratios and every secreview
finding outside the tests, for docs/benchmarks.md. Timings are a benchmark,
not a test: machines here are noisy, so compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PARSE_FLOOR = r"""
import ast, pathlib, sys, warnings
warnings.simplefilter("ignore")
n = 0
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    try:
        ast.parse(path.read_bytes())
        n += 1
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
print(n)
"""


def measure(cmd: list[str], cwd: Path) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run `cmd` under a tiny wrapper that reports its own child's peak RSS,
    so each tool's memory is measured alone (RUSAGE_CHILDREN is a maximum
    over all children of this process otherwise)."""
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps({'wall': wall, 'peak_kib': peak, 'rc': p.returncode, 'out': p.stdout, 'err': p.stderr}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, capture_output=True, text=True)
    data = json.loads(proc.stdout)
    return data["wall"], data["peak_kib"], subprocess.CompletedProcess(cmd, data["rc"], data["out"], data["err"])


def fetch_nova(version: str | None, work: Path) -> Path:
    spec = f"nova=={version}" if version else "nova"
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                    "-d", str(work), spec], check=True)
    archive = sorted(work.glob("nova-*.tar.gz"))[-1]
    target = work / archive.name[: -len(".tar.gz")]
    if not target.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, help="tree to review (default: download Nova)")
    parser.add_argument("--nova-version", help="Nova release to download (default: the latest)")
    parser.add_argument("--work", type=Path, help="download folder (default: a temporary one)")
    args = parser.parse_args()

    if args.path:
        root, tree = args.path.resolve().parent, args.path.resolve().name
    else:
        work = args.work or Path(tempfile.mkdtemp(prefix="secreview-bench-"))
        work.mkdir(parents=True, exist_ok=True)
        root, tree = fetch_nova(args.nova_version, work), "nova"
    target = root / tree
    files = list(target.rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for p in files)

    floor_wall, floor_kib, floor = measure([sys.executable, "-c", PARSE_FLOOR, tree], root)
    command = [sys.executable, "-c", "from secreview.cli import main; main()", "review", tree, "-q", "-f", "json", "--no-cache"]
    # One process: its peak RSS is the whole review's. Then the default
    # (one worker per CPU), whose wall time is what a user waits.
    single_wall, single_kib, single = measure([*command, "--jobs", "1"], root)
    ours_wall, ours_kib, ours = measure(command, root)
    report = json.loads(ours.stdout)
    if json.loads(single.stdout)["findings"] != report["findings"]:
        print("warning: the single-process and parallel reviews disagree", file=sys.stderr)
    bandit = shutil.which("bandit")
    if bandit:
        theirs_wall, theirs_kib, theirs = measure([bandit, "-r", tree, "-f", "json", "-q"], root)
        bandit_results = json.loads(theirs.stdout or "{}").get("results", [])
    outside = [f for f in report["findings"] if "/tests/" not in f["path"]]

    print(f"### Whole-tree review: `{root.name}/{tree}` ({len(files):,} files, {lines:,} lines)\n")
    print(f"CPython {platform.python_version()}, {os.cpu_count()} CPU(s); each tool in its own process, one run.\n")
    print("| tool | wall (s) | vs parse floor | peak RSS (MiB) | findings | outside tests |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| `ast.parse` floor | {floor_wall:.1f} | 1.0x | {floor_kib / 1024:.0f} | - | - |")
    print(f"| secreview {report['tool']['version']}, `--jobs 1` | {single_wall:.1f} | {single_wall / floor_wall:.1f}x | "
          f"{single_kib / 1024:.0f} | {len(report['findings'])} | {len(outside)} |")
    print(f"| secreview {report['tool']['version']}, {os.cpu_count()} workers | {ours_wall:.1f} | "
          f"{ours_wall / floor_wall:.1f}x | {ours_kib / 1024:.0f} (largest process) | {len(report['findings'])} | "
          f"{len(outside)} |")
    if bandit:
        bandit_outside = [r for r in bandit_results if "/tests/" not in r["filename"]]
        print(f"| Bandit | {theirs_wall:.1f} | {theirs_wall / floor_wall:.1f}x | {theirs_kib / 1024:.0f} | "
              f"{len(bandit_results)} | {len(bandit_outside)} |")
        print(f"\nsecreview / Bandit wall time: {ours_wall / theirs_wall:.2f}x.")
    else:
        print("\nBandit is not installed (`pip install bandit`), so it was not measured.")
    print(f"\nsecreview verdict: {report['verdict']}; errors: {len(report['errors'])}; "
          f"stats: {json.dumps(report['stats'])}\n")
    per_rule: dict[str, int] = {}
    for f in report["findings"]:
        per_rule[f["rule"]] = per_rule.get(f["rule"], 0) + 1
    print("secreview findings per rule: " + (", ".join(f"{r} {n}" for r, n in sorted(per_rule.items())) or "none")
          + "\n")
    print("secreview findings outside tests:\n")
    for f in outside:
        print(f"- `{f['path']}:{f['line']}` {f['rule']} (CWE-{f['cwe'][0]}, {f['severity']}/{f['confidence']}): "
              f"`{f['code'].strip().splitlines()[0][:90]}`")
    if not outside:
        print("- none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
