#!/usr/bin/env python3
"""Benchmark: a change review (`secreview review --diff`) against a whole-tree
review and the `ast.parse` floor, in one run.

Usage::

    python3 benchmarks/bench_change.py --path nova-34.0.0   # any tree
    python3 benchmarks/bench_change.py                      # OpenStack Nova, latest release from PyPI

Copies the tree into a temporary git repository (one commit), then edits one
module the way a small change does: a request parameter reaches a shell
command in a new helper. Measures, each in a fresh process:

- the parse floor (`ast.parse` of every `.py` file);
- `secreview review` of the whole tree;
- `secreview review --diff HEAD`: both sides of the change analysed.

Prints a Markdown section for docs/benchmarks.md, with the findings the
change review reported (exactly the planted one is expected).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_review import PARSE_FLOOR, fetch_nova, measure  # noqa: E402

PLANTED = '''

def _secreview_bench_audit(req):
    import subprocess
    return subprocess.call("audit --server " + req.GET.get("server", ""), shell=True)
'''


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=bench@example.org", "-c", "user.name=bench", *args], cwd=repo,
                   check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, help="tree to review (default: download Nova)")
    parser.add_argument("--nova-version", help="Nova release to download (default: the latest)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="secreview-bench-change-"))
    try:
        source = args.path.resolve() if args.path else fetch_nova(args.nova_version, work / "download")
        repo = work / "repo"
        shutil.copytree(source, repo, symlinks=True)
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
        candidates = sorted(p for p in repo.rglob("*.py") if "test" not in p.relative_to(repo).as_posix()
                            and p.stat().st_size > 2000)
        edited = candidates[len(candidates) // 2]
        with edited.open("a", encoding="utf-8") as handle:
            handle.write(PLANTED)
        files = list(repo.rglob("*.py"))
        lines = sum(p.read_bytes().count(b"\n") for p in files)

        floor_wall, _, _ = measure([sys.executable, "-c", PARSE_FLOOR, "."], repo)
        command = [sys.executable, "-c", "from secreview.cli import main; main()", "review", ".", "-q", "-f", "json", "--no-cache"]
        whole_wall, whole_kib, whole = measure(command, repo)
        change_wall, change_kib, change = measure([*command, "--diff", "HEAD"], repo)
        report = json.loads(change.stdout)
        whole_report = json.loads(whole.stdout)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    name = args.path.name if args.path else "nova"
    print(f"### Change review: `{name}` ({len(files):,} files, {lines:,} lines), one module edited\n")
    print(f"CPython {platform.python_version()}, {os.cpu_count()} CPU(s); each run in its own process.\n")
    print("| run | wall (s) | vs parse floor | peak RSS (MiB) | findings reported |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| `ast.parse` floor | {floor_wall:.1f} | 1.0x | - | - |")
    print(f"| whole-tree review | {whole_wall:.1f} | {whole_wall / floor_wall:.1f}x | {whole_kib / 1024:.0f} | "
          f"{len(whole_report['findings'])} |")
    print(f"| `--diff HEAD` (both sides) | {change_wall:.1f} | {change_wall / floor_wall:.1f}x | "
          f"{change_kib / 1024:.0f} | {len(report['findings'])} |")
    print(f"\nChange review / whole-tree review: {change_wall / whole_wall:.2f}x. "
          f"Pre-existing findings not repeated: {report['change']['preexisting_findings']}.\n")
    print(f"Edited `{edited.relative_to(repo).as_posix()}`; the change review reported:\n")
    for f in report["findings"]:
        print(f"- `{f['path']}:{f['line']}` {f['rule']} (CWE-{f['cwe'][0]})")
    if not report["findings"]:
        print("- nothing (the planted flow was missed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
