#!/usr/bin/env python3
"""Regenerate the corpus scorecard in the README and `docs/bench/`.

Runs `secreview bench corpus --tools secreview,bandit --out docs/bench` from
the repository root, then replaces the block between `<!-- bench:start -->`
and `<!-- bench:end -->` in README.md with the pooled table and the chart.
Semgrep is left out of the published scorecard: it would be scored on
whatever local rules the machine has, not on a rule set a reader can repeat.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "bench"


def main() -> int:
    subprocess.run([sys.executable, "-m", "secreview.bench.corpus", "corpus", "--check"], cwd=ROOT, check=True)
    run = subprocess.run([sys.executable, "-m", "secreview", "bench", "corpus", "--tools", "secreview,bandit",
                          "--out", str(OUT.relative_to(ROOT))], cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout + run.stderr, file=sys.stderr)
        return run.returncode
    results = json.loads((OUT / "results.json").read_text(encoding="utf-8"))
    data = results["data_set"]
    labelled = {entry["cwe"] for entry in json.loads((ROOT / "corpus" / "truth.json").read_text(encoding="utf-8"))}
    lines = [
        f"{data['labels']} labels: {data['vulnerable']} vulnerable lines and "
        f"{data['labels'] - data['vulnerable']} safe look-alikes (decoys), {len(labelled)} CWEs.",
        "",
        "| tool | wall (s) | peak (MiB) | TP | FP | FN | TN | precision | recall | F1 | F2 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for tool in results["tools"]:
        pooled = (tool.get("score") or {}).get("pooled")
        if not pooled:
            lines.append(f"| {tool['name']} | {tool['status']}: {tool['detail']} | | | | | | | | | |")
            continue
        lines.append(
            f"| {tool['name']} {tool['version']} | {tool['wall_seconds']:.1f} | {tool['peak_mib']:.0f} | "
            f"{pooled['tp']} | {pooled['fp']} | {pooled['fn']} | {pooled['tn']} | {pooled['precision']:.2f} | "
            f"{pooled['recall']:.2f} | {pooled['f1']:.2f} | {pooled['f2']:.2f} |")
    lines += ["", "Per-CWE tables: [docs/bench/results.md](docs/bench/results.md).", "",
              "![Recall against false positive rate per CWE](docs/bench/chart.png)"]
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = "<!-- bench:start -->\n" + "\n".join(lines) + "\n<!-- bench:end -->"
    new, count = re.subn(r"<!-- bench:start -->.*?<!-- bench:end -->", lambda _: block, text, flags=re.S)
    if count != 1:
        print("README.md has no <!-- bench:start --> ... <!-- bench:end --> block", file=sys.stderr)
        return 2
    readme.write_text(new, encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
