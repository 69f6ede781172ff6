#!/usr/bin/env python3
"""Benchmark: ``ast.parse`` versus the libcst-based ``parse_fallback``.

Usage::

    python3 benchmarks/bench_parser.py                 # the host stdlib
    python3 benchmarks/bench_parser.py --path src/     # any directory
    python3 benchmarks/bench_parser.py --runs 5 --limit 200

For every ``.py`` file of the corpus that both parsers accept, each parser is
timed over the whole corpus ``--runs`` times (median reported, in milliseconds
per 1,000 source lines).  The fallback time is also split into libcst's own
parse and the conversion to ``ast``.  Peak memory is the growth of the peak
resident set size (Linux ``VmHWM``, so native allocations count too) of a fresh
interpreter parsing the largest files, one subprocess per parser and file.  The
result is printed as a Markdown snippet.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import time
import warnings
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import libcst  # noqa: E402

from secreview.python import fallback  # noqa: E402

Parser = Callable[[str], object]


def load_corpus(path: Path, limit: int | None) -> tuple[list[tuple[Path, str]], int, int]:
    """Files both parsers accept, plus the counts of those skipped by each."""
    corpus: list[tuple[Path, str]] = []
    rejected_by_ast = rejected_by_fallback = 0
    files = sorted(p for p in path.rglob("*.py") if p.is_file())
    for file in files:
        try:
            source = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ast.parse(source)
            except (SyntaxError, ValueError):
                rejected_by_ast += 1
                continue
            try:
                fallback.parse_fallback(source)
            except (SyntaxError, RecursionError):
                rejected_by_fallback += 1
                continue
        corpus.append((file, source))
        if limit is not None and len(corpus) >= limit:
            break
    return corpus, rejected_by_ast, rejected_by_fallback


def time_corpus(parse: Parser, sources: list[str], runs: int) -> float:
    """Median wall time (seconds) of parsing every source once."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        for source in sources:
            parse(source)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


_MEMORY_PROBE = """
import ast, gc, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
from secreview.python.fallback import parse_fallback
source = open(sys.argv[3], encoding="utf-8").read()
parse = ast.parse if sys.argv[2] == "ast" else parse_fallback

def status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # KiB

gc.collect()
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the peak RSS (VmHWM) to the current RSS
before = status("VmRSS")
tree = parse(source)
print(max(status("VmHWM") - before, 0))
"""


def peak_memory_kib(parser: str, files: list[Path]) -> int | None:
    """Largest growth of the peak RSS (KiB, Linux ``VmHWM`` reset through
    ``/proc/self/clear_refs``) of a fresh interpreter while ``parser`` ("ast" or
    "fallback") parses one of ``files``; None where that cannot be measured."""
    if not Path("/proc/self/clear_refs").exists():  # Linux only
        return None
    worst = 0
    for file in files:
        proc = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, str(ROOT), parser, str(file)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            return None
        worst = max(worst, int(proc.stdout.strip()))
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", type=Path, default=Path(sysconfig.get_paths()["stdlib"]),
                    help="directory of .py files (default: the host stdlib)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per parser; the median is reported (default 3)")
    ap.add_argument("--limit", type=int, default=None, help="use at most this many files")
    ap.add_argument("--memory-files", type=int, default=5,
                    help="measure peak memory on this many of the largest files (default 5, 0 to skip)")
    args = ap.parse_args(argv)

    corpus, rejected_by_ast, rejected_by_fallback = load_corpus(args.path, args.limit)
    if not corpus:
        print(f"no parseable .py files under {args.path}", file=sys.stderr)
        return 1
    sources = [source for _, source in corpus]
    lines = sum(source.count("\n") + (not source.endswith("\n")) for source in sources)
    size = sum(len(source.encode("utf-8")) for source in sources)
    per_kloc = 1000.0 / lines * 1000.0  # seconds for the corpus -> ms per 1,000 lines

    def ast_parse(source: str) -> object:
        return ast.parse(source)

    latest: dict[int, libcst.Module] = {}  # id(source) -> tree of the last run

    def libcst_only(source: str) -> object:
        module = latest[id(source)] = libcst.parse_module(source)
        return module

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ast = time_corpus(ast_parse, sources, args.runs)
        t_fallback = time_corpus(fallback.parse_fallback, sources, args.runs)
        t_libcst = time_corpus(libcst_only, sources, args.runs)
        # The conversion alone, on trees libcst already built (private API: this
        # benchmark measures our own module).
        pairs = [(source, latest[id(source)]) for source in sources]
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            for source, tree in pairs:
                fallback._Converter(source).module(tree)
            timings.append(time.perf_counter() - start)
        t_convert = statistics.median(timings)

    largest = [file for file, _ in sorted(corpus, key=lambda item: len(item[1]), reverse=True)[: args.memory_files]]
    mem_ast = peak_memory_kib("ast", largest) if largest else None
    mem_fallback = peak_memory_kib("fallback", largest) if largest else None

    py = platform.python_implementation() + " " + platform.python_version()
    libcst_version = getattr(libcst, "_version", None)
    libcst_version = getattr(libcst_version, "__version__", "?") if libcst_version else "?"
    out = [
        f"### Parser benchmark: `ast.parse` vs `parse_fallback` ({py}, libcst {libcst_version})",
        "",
        f"Corpus: `{args.path}` - {len(corpus)} files, {lines:,} lines, {size / 1e6:.1f} MB"
        f" (skipped: {rejected_by_ast} rejected by `ast.parse`, {rejected_by_fallback} by the fallback)."
        f" Median of {args.runs} runs; {platform.machine()}, {os.cpu_count()} CPU(s).",
        "",
        "| parser | total (s) | ms per 1,000 lines | vs `ast.parse` |",
        "| --- | ---: | ---: | ---: |",
        f"| `ast.parse` | {t_ast:.2f} | {t_ast * per_kloc:.1f} | 1.0x |",
        f"| `parse_fallback` (total) | {t_fallback:.2f} | {t_fallback * per_kloc:.1f} | {t_fallback / t_ast:.1f}x |",
        f"| - libcst `parse_module` alone | {t_libcst:.2f} | {t_libcst * per_kloc:.1f} | {t_libcst / t_ast:.1f}x |",
        f"| - conversion to `ast` alone | {t_convert:.2f} | {t_convert * per_kloc:.1f} | {t_convert / t_ast:.1f}x |",
    ]
    if mem_ast is not None and mem_fallback is not None:
        biggest = max(largest, key=lambda f: f.stat().st_size)
        out += [
            "",
            f"Peak memory (growth of the peak RSS of a fresh interpreter while parsing one file; worst of the"
            f" {len(largest)} largest files, the largest being `{biggest.name}`,"
            f" {len(biggest.read_text(encoding='utf-8').splitlines()):,} lines):"
            f" `ast.parse` {mem_ast / 1024:.1f} MiB, `parse_fallback` {mem_fallback / 1024:.1f} MiB"
            f" ({mem_fallback / max(mem_ast, 1):.1f}x).",
        ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
