#!/usr/bin/env python3
"""Benchmark: parallel work and the result cache on a whole tree, in one run.

Usage::

    python3 benchmarks/bench_scale.py --nova-version 34.0.0
    python3 benchmarks/bench_scale.py --path some/tree

Measures, each in a fresh process (wall time and peak RSS of that process):

- the `ast.parse` floor in one process, and in two processes (the files
  split in halves), what a two-worker review cannot beat;
- secreview cold, `--jobs 1` and `--jobs 2`, without a cache;
- secreview cold with an empty cache (`--jobs 2`, filling it), warm with
  nothing changed, and warm after editing one file (a function appended):
  the largest test file, the largest file of the project's own code, and
  one of median size;
- with `--ray`, the `--executor ray` review starting a local Ray instance,
  and connecting to one started before (`ray start --head`), as on a cluster;
- Bandit on the same tree, when installed.

Prints a Markdown section for docs/benchmarks.md, with the ratios the scale
targets are stated in. The measurements run in `--repeat` rounds (each once
per round, so a slow spell of a shared machine weighs on all alike), and
each row is the median of its runs, with every round's time beside it:
compare ratios, not seconds, across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_review import PARSE_FLOOR, fetch_nova, measure  # noqa: E402

from secreview.triage.testcode import is_test_path  # noqa: E402

TWO_PROCESS_FLOOR = r"""
import ast, pathlib, sys, warnings
from concurrent.futures import ProcessPoolExecutor

def parse(paths):
    warnings.simplefilter("ignore")
    n = 0
    for path in paths:
        try:
            ast.parse(pathlib.Path(path).read_bytes())
            n += 1
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    return n

if __name__ == "__main__":
    files = sorted(str(p) for p in pathlib.Path(sys.argv[1]).rglob("*.py"))
    with ProcessPoolExecutor(2) as pool:
        print(sum(pool.map(parse, [files[0::2], files[1::2]])))
"""


def start_ray(cwd: Path) -> str | None:
    """A local Ray instance started as a cluster is (`ray start --head`), so
    the review connects to it instead of starting one; its address."""
    ray = shutil.which("ray")
    if ray is None:
        print("warning: the `ray` command is not installed (pip install 'secreview[ray]')", file=sys.stderr)
        return None
    subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)
    started = subprocess.run([ray, "start", "--head", "--num-cpus", str(os.cpu_count() or 1), "--port", "6390",
                              "--include-dashboard", "false", "--disable-usage-stats"],
                             capture_output=True, text=True, timeout=300, cwd=cwd)
    if started.returncode != 0:
        print(f"warning: ray start failed: {started.stderr[-500:]}", file=sys.stderr)
        return None
    return "127.0.0.1:6390"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, help="tree to review (default: download Nova)")
    parser.add_argument("--nova-version", help="Nova release to download (default: the latest)")
    parser.add_argument("--work", type=Path, help="download and scratch folder (default: a temporary one)")
    parser.add_argument("--ray", action="store_true", help="also measure the Ray executor on a local instance")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the median is shown")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="secreview-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.path:
        source = args.path.resolve()
    else:
        source = fetch_nova(args.nova_version, work) / "nova"
    # A copy: the one-file edit must not touch the user's tree.
    root = work / "tree"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(source, root / source.name)
    tree = source.name
    files = sorted((root / tree).rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)

    secreview = [sys.executable, "-c", "from secreview.cli import main; main()", "review", tree, "-q", "-f", "json"]
    walls: dict[str, list[float]] = {}
    peaks: dict[str, int] = {}
    reports: dict[str, dict | None] = {}

    def run(label: str, cmd: list[str]) -> None:
        """One run of `cmd`: its wall time and peak RSS are added to the
        row `label`, and its report kept (the last round's is compared)."""
        wall, kib, done = measure(cmd, root)
        walls.setdefault(label, []).append(wall)
        peaks[label] = max(peaks.get(label, 0), kib)
        if done.returncode not in (0, 1):
            print(f"warning: {label} exited {done.returncode}: {done.stderr[-500:]}", file=sys.stderr)
            reports[label] = None
        else:
            reports[label] = json.loads(done.stdout) if done.stdout.startswith("{") else None

    serial, cold, filling, warm = ("secreview `--jobs 1`, no cache", "secreview `--jobs 2`, no cache",
                                   "secreview `--jobs 2`, empty cache (filling it)",
                                   "secreview warm cache, nothing changed")
    ray_started, ray_running = ("secreview `--executor ray`, starting a local instance",
                                "secreview `--executor ray` on a running local instance")
    # Edits to test code, then to the project's own code (a new function
    # appended before each run): the first leave every file with taint facts
    # as it was, the second do not.
    # The targets are judged on the largest file of each kind (the worst
    # case: the edited file itself is parsed and analysed again); a file of
    # median size shows what a typical edit costs.
    edits = [max((p for p in files if is_test_path(str(p.relative_to(root))) == test), key=lambda p: p.stat().st_size,
                 default=None) for test in (True, False)]
    edit_rows = [(path, "test code" if is_test_path(str(path.relative_to(root))) else "project code")
                 for path in edits if path is not None]
    project = sorted((p for p in files if not is_test_path(str(p.relative_to(root)))), key=lambda p: p.stat().st_size)
    if project:
        edit_rows.append((project[len(project) // 2], "project code, median size"))
    address = None
    # Rounds: every measurement once per round, so a slow spell of a shared
    # machine weighs on all of them alike; each row is the median of its runs.
    for round_ in range(args.repeat):
        run("`ast.parse` floor, 1 process", [sys.executable, "-c", PARSE_FLOOR, tree])
        run("`ast.parse` floor, 2 processes", [sys.executable, "-c", TWO_PROCESS_FLOOR, tree])
        run(serial, [*secreview, "--jobs", "1", "--no-cache"])
        run(cold, [*secreview, "--jobs", "2", "--no-cache"])
        shutil.rmtree(cache, ignore_errors=True)
        run(filling, [*secreview, "--jobs", "2", "--cache-dir", str(cache)])
        run(warm, [*secreview, "--jobs", "2", "--cache-dir", str(cache)])
        if args.ray and shutil.which("ray"):
            subprocess.run(["ray", "stop", "--force"], capture_output=True, timeout=120)  # none to attach to
            run(ray_started, [*secreview, "--executor", "ray", "--no-cache"])
            address = start_ray(root)
            if address:
                # Where `ray start` left a token (~/.ray/auth_token: a cluster
                # with token authentication), the review must send it; asking
                # for token authentication without one is an error.
                token = (Path.home() / ".ray" / "auth_token").is_file() and "RAY_AUTH_MODE" not in os.environ
                if token:
                    os.environ["RAY_AUTH_MODE"] = "token"
                run(ray_running, [*secreview, "--executor", "ray", "--ray-address", address, "--no-cache"])
                if token:
                    del os.environ["RAY_AUTH_MODE"]
                subprocess.run(["ray", "stop", "--force"], capture_output=True, timeout=120)
        for path, kind in edit_rows:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(f"\n\ndef _bench_edit_{round_}(value):\n    return value\n")
            run(f"secreview warm cache, `{path.relative_to(root)}` ({kind}) edited",
                [*secreview, "--jobs", "2", "--cache-dir", str(cache)])
    bandit = shutil.which("bandit")
    if bandit:
        run("Bandit", [bandit, "-r", tree, "-f", "json", "-q"])  # once: slow, and only a reference
    rows = [(label, statistics.median(times), peaks[label], "") for label, times in walls.items()]
    edited = [(kind, reports[f"secreview warm cache, `{path.relative_to(root)}` ({kind}) edited"])
              for path, kind in edit_rows]

    # The edits append a function that reports nothing: every run must give
    # the same findings.
    compared = [reports[cold], reports[filling], reports[warm]] + [report for _, report in edited] + (
        [reports.get(ray_running)] if address else [])
    same = reports[serial] is not None and all(r is not None and r["findings"] == reports[serial]["findings"]
                                               for r in compared)
    by_label = {label: (wall, kib) for label, wall, kib, _ in rows}
    floor1 = by_label["`ast.parse` floor, 1 process"][0]
    floor2 = by_label["`ast.parse` floor, 2 processes"][0]
    cold_wall = by_label["secreview `--jobs 2`, no cache"][0]
    print(f"### Scale: `{tree}` ({len(files):,} files, {lines:,} lines)\n")
    print(f"CPython {platform.python_version()}, {os.cpu_count()} CPU(s); each run in its own process; "
          f"{args.repeat} rounds of every measurement, each row the median of its runs (Bandit: one run) "
          "and the largest peak RSS; the rounds' own times show how much the machine varied.\n")
    print("| run | wall (s) | rounds (s) | vs 1-process floor | vs 2-process floor | vs cold `--jobs 2` | "
          "peak RSS (MiB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, wall, kib, _ in rows:
        rounds = ", ".join(f"{t:.2f}" for t in walls[label])
        print(f"| {label} | {wall:.1f} | {rounds} | {wall / floor1:.2f}x | {wall / floor2:.2f}x | "
              f"{wall / cold_wall:.2f}x | {kib / 1024:.0f} |")
    print()
    print(f"- Cold `--jobs 2` / two-process floor: {cold_wall / floor2:.2f}x (target at most 1.5x).")
    for (kind, report), (label, wall, _, _) in zip(edited, [r for r in rows if "edited" in r[0]]):
        if report is not None:
            target = "no target" if "median" in kind else "target under 10%"
            print(f"- Warm after a one-file edit to {kind} / cold `--jobs 2`: {wall / cold_wall:.1%} ({target}); "
                  f"files answered by the cache: {report['stats']['files_cached']} of "
                  f"{report['stats']['files_analyzed']}.")
    ray_rows = [wall for label, wall, _, _ in rows if "running local instance" in label]
    if ray_rows:
        print(f"- `--executor ray` on a running local instance / local executor (`--jobs 2`): "
              f"{ray_rows[0] / cold_wall:.2f}x (target within 1.5x).")
    print(f"- Largest peak RSS: {max(kib for _, _, kib, _ in rows) / 1024:.0f} MiB (target under 600 MiB).")
    print(f"- Findings identical across `--jobs 1`, `--jobs 2`, the warm cache (edits included) and Ray: "
          f"{'yes' if same else 'NO'}.")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
