"""The command line: parse options, call the library, print, exit.

Exit codes of `secreview review`:
  0  no reported finding at or above --fail-on, and every file in scope analysed
  1  at least one reported finding at or above --fail-on
  2  usage error, the review could not run, or it is incomplete (a file in
     scope could not be analysed) and found nothing at or above --fail-on
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, NoReturn

import click

from secreview import __version__
from secreview.cache import ResultCache
from secreview.config import Config, ConfigError, find_pyproject, load_config
from secreview.cli_llm import change_sources, llm_options, llm_settings, project_sources, run_llm
from secreview.engine import ProgressCallback, ReviewError, keep_last_file, review
from secreview.files import write_whole
from secreview.model import Report, Severity, Verdict
from secreview.report import FORMATS, RenderOptions, render
from secreview.targets.paths import review_root

if TYPE_CHECKING:
    # Imported when a change or a baseline is reviewed: a plain review has no use for them.
    from secreview.targets.diff import ChangeSet
    from secreview.triage.baseline import Baseline

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_PROGRESS_MIN_FILES = 5
_SEVERITIES = [s.label for s in Severity]


def _parse_severity_overrides(values: tuple[str, ...]) -> dict[str, Severity] | None:
    if not values:
        return None
    out: dict[str, Severity] = {}
    for item in values:
        rule, sep, level = item.partition("=")
        if not sep or not rule.strip():
            raise click.BadParameter(f"{item!r}: expected RULE=SEVERITY, e.g. py.weak-hash=low",
                                     param_hint="--severity")
        try:
            out[rule.strip()] = Severity.parse(level)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--severity") from None
    return out


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr, created when the file count is known."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    state: dict[str, Any] = {}

    def callback(done: int, total: int, path: str) -> None:
        if total < _PROGRESS_MIN_FILES:
            return
        if "bar" not in state:
            bar = Progress(TextColumn("reviewing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           TextColumn("{task.description}"), console=Console(stderr=True), transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("", total=total)
        state["bar"].update(state["task"], completed=done, description=path[-50:])

    try:
        yield callback
    finally:
        if "bar" in state:
            state["bar"].stop()


class _Commands(click.Group):
    """The command group, with the code-host and fleet commands imported
    only when asked for (by name, or by `--help` to list them): they live
    in their own modules, which a review has no use for."""

    LAZY = {"fleet": ("secreview.cli_fleet", "fleet_command"),
            "gerrit": ("secreview.cli_gerrit", "gerrit_command"),
            "github": ("secreview.cli_github", "github_command")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            from importlib import import_module

            module, name = self.LAZY[cmd_name]
            self.add_command(getattr(import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def main(self, args: Any = None, *more: Any, **options: Any) -> Any:
        """As click's; run as the program (the `secreview` script, `python -m
        secreview`: no arguments given), the process then ends at once
        (`exit_now`). Called with arguments (tests, a program embedding
        secreview), click's own exit."""
        if args is not None or more or not options.get("standalone_mode", True):
            return super().main(args, *more, **options)
        keep_last_file()  # the process's end frees nothing
        try:
            super().main(**options)
        except SystemExit as exc:
            exit_now(exc.code)
        exit_now(0)


def exit_now(code: Any) -> NoReturn:
    """End the process as `sys.exit(code)` would, without the interpreter's
    teardown: that frees every object the review made, one by one (about
    30 ms after a warm review of Nova with nothing changed, of 250 ms).
    The exit handlers still run (`atexit`: multiprocessing's, Ray's and
    logging's), and the standard streams are flushed; then `os._exit`. While
    another thread runs, or where the handlers cannot be run first, a normal
    exit."""
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    executors = sys.modules.get("secreview.executors")
    if executors is not None:
        executors.finish_release()  # its thread ends with Ray's own
    if run_handlers is None or threading.active_count() > 1:
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # as sys.exit: the message on standard error, and failure
        print(code, file=sys.stderr)
        status = 1
    try:
        run_handlers()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe, a closed stream: nothing more can be said
                pass
        os._exit(status)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="secreview")
def main() -> None:
    """secreview: a security code reviewer for Python projects."""


@main.command("review")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to FILE instead of standard output.")
@click.option("--fail-on", type=click.Choice(_SEVERITIES), default=None,
              help="Exit 1 only for findings at or above this severity [default: low].")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Leave out paths matching GLOB, relative to the review root (repeatable).")
@click.option("--disable", multiple=True, metavar="RULE", help="Rule id not to run (repeatable).")
@click.option("--severity", "severities", multiple=True, metavar="RULE=SEVERITY",
              help="Override a rule's severity (repeatable).")
@click.option("--include-tests/--no-include-tests", default=None,
              help="Also run the rules whose weakness is harmless in test code (findings marked in_test) "
                   "[default: no, or include-tests from the configuration].")
@click.option("--show-suppressed", is_flag=True, help="List findings silenced by inline comments.")
@click.option("--max-file-size", type=click.IntRange(min=1), default=None,
              help="Largest file to analyse, in bytes [default: 2 MiB].")
@click.option("--file-time-limit", type=click.FloatRange(min=0, max=1e9), default=None, metavar="SECONDS",
              help="Stop analysing a file after this long and report it as not analysed (0: no limit) "
                   "[default: 120].")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="pyproject.toml to read [tool.secreview] from (default: the nearest one).")
@click.option("--root", type=click.Path(exists=True, file_okay=False),
              help="Report paths relative to this folder (default: the current folder).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for the per-file work (default: one per CPU this process may use: its "
                   "CPU affinity, within a container's CPU quota).")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the per-file work runs: worker processes here, or tasks on a Ray cluster "
                   "(the `ray` extra); the report is the same.")
@click.option("--ray-address", default=None, metavar="ADDR",
              help="With --executor ray: the cluster ('auto', 'ray://HOST:10001'; default: a local instance).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Keep per-file results here, so unchanged files are not analysed again "
                   "[default: $SECREVIEW_CACHE_DIR, else ~/.cache/secreview].")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the result cache (a change review shares results between its two "
                   "sides in a temporary one).")
@click.option("--diff", "diff_base", is_flag=False, flag_value="", default=None, metavar="[BASE]",
              help="Report only the findings the change from git revision BASE to the working tree introduces "
                   "(default BASE: the merge base with the upstream branch, else HEAD~1). The whole project "
                   "is still analysed, on both sides of the change.")
@click.option("--tracked-only", is_flag=True,
              help="With --diff: leave new files git does not track out of the change, as a commit would "
                   "(the pre-commit hook uses this).")
@click.option("--diff-file", type=click.Path(dir_okay=False, allow_dash=True), default=None, metavar="PATCH",
              help="Like --diff, for a unified diff already applied to the files under review "
                   "(paths relative to the review root; '-' reads standard input).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Hide the findings recorded in FILE (see `secreview baseline create`); "
                   "entries that match nothing are reported as stale.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress bar, and no summary on standard error when writing to --output.")
@llm_options
def review_command(paths: tuple[str, ...], fmt: str, output: str | None, fail_on: str | None,
                   exclude: tuple[str, ...], disable: tuple[str, ...], severities: tuple[str, ...],
                   include_tests: bool | None, show_suppressed: bool, max_file_size: int | None,
                   file_time_limit: float | None, config_path: str | None, root: str | None, jobs: int | None,
                   executor: str, ray_address: str | None, cache_dir: str | None,
                   no_cache: bool, diff_base: str | None,
                   tracked_only: bool, diff_file: str | None, baseline_path: str | None, quiet: bool,
                   llm: dict[str, Any]) -> None:
    """Review every Python file under PATHS (default: the current folder).

    With --diff or --diff-file, review a change: report only what it introduces.
    With --llm, a language model reviews the code too; only its findings the
    code supports are published."""
    if diff_base is not None and diff_file is not None:
        _fail("give --diff or --diff-file, not both")
    if tracked_only and diff_base is None:
        _fail("--tracked-only needs --diff")
    if ray_address and executor != "ray":
        _fail("--ray-address needs --executor ray")
    targets = list(paths) or ["."]
    try:
        config = load_config(config_path or find_pyproject(targets[0]))
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
    config = config.merged(
        exclude=exclude or None,
        disable=disable or None,
        fail_on=Severity.parse(fail_on) if fail_on else None,
        severity_overrides=_parse_severity_overrides(severities),
        include_tests=include_tests,
        max_file_size=max_file_size,
        file_time_limit=file_time_limit,
    )
    baseline = _load_baseline(baseline_path) if baseline_path else None
    llm_run = llm_settings(llm, ray_address=ray_address, remote=executor == "ray")
    show_progress = not quiet and sys.stderr.isatty()
    review_root_dir = os.path.abspath(root) if root else review_root(targets)
    cache = _open_cache(cache_dir, no_cache)
    try:
        # The Ray connection can go once the files are done unless a change's
        # second side or the model's calls need it.
        runner = _executor(executor, ray_address, jobs,
                           alone=diff_base is None and diff_file is None and llm_run is None)
        with _progress(show_progress) as callback:
            if diff_base is None and diff_file is None:
                report = review(targets, config, root=review_root_dir, progress=callback, cache=cache,
                                executor=runner)
            else:
                report, change = _review_change(targets, config, review_root_dir, diff_base, diff_file,
                                                tracked_only, callback, cache, runner)
    except ReviewError as exc:
        _fail(str(exc))
    finally:
        _close_cache(cache)
    if llm_run is not None:
        if report.change is None:
            run_llm(report, llm_run, project_sources(report, config), quiet=quiet)
        else:
            run_llm(report, llm_run, change_sources(report, change, config=config), change=change,
                    project=project_sources(report, config, include_tests=True), quiet=quiet)
    if baseline is not None:
        from secreview.triage.baseline import apply as apply_baseline

        apply_baseline(report, baseline, report.change.preexisting if report.change is not None else None)
    text = render(report, fmt, RenderOptions(show_suppressed=show_suppressed,
                                             show_rejected=bool(llm["show_rejected"])))
    _emit(text, output)
    if output and not quiet:
        click.echo(f"{report.summary} Report written to {output}.", err=True)
    sys.exit(exit_code(report, config))


def _executor(name: str, address: str | None, jobs: int | None, alone: bool = False) -> Any:
    """The executor called `name`; `alone`: the review is all this process
    asks of it."""
    if name == "ray":
        from secreview.executors import RayExecutor

        return RayExecutor(address, release=alone)
    from secreview.engine import LocalExecutor

    return LocalExecutor(jobs)


def _open_cache(folder: str | None, disabled: bool) -> "ResultCache | None":
    return None if disabled else ResultCache(folder)


def _close_cache(cache: "ResultCache | None") -> None:
    """Say once, on standard error, when the cache could not be used."""
    if cache is None:
        return
    if cache.warning:
        click.echo(f"secreview: warning: {cache.warning}", err=True)
    cache.close()


def _review_change(targets: list[str], config: Config, root: str, diff_base: str | None, diff_file: str | None,
                   tracked_only: bool, progress: ProgressCallback | None, cache: "ResultCache | None",
                   executor: Any) -> tuple[Report, "ChangeSet"]:
    from secreview.changes import review_change
    from secreview.targets.diff import DiffError

    try:
        change, old = _change(root, diff_base, diff_file, tracked_only)
        return review_change(targets, change, old, config, root=root, progress=progress, cache=cache,
                             executor=executor), change
    except DiffError as exc:
        _fail(f"diff: {exc}")


def _change(root: str, diff_base: str | None, diff_file: str | None,
            tracked_only: bool) -> tuple["ChangeSet", dict[str, bytes]]:
    from secreview.targets.diff import change_from_patch
    from secreview.targets.git import GitError, change_against, default_base

    if diff_file is not None:
        try:
            if diff_file == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(diff_file, "rb") as handle:
                    data = handle.read()
        except OSError as exc:
            _fail(f"cannot read {diff_file}: {exc.strerror or exc}")
        return change_from_patch(data, root, description=f"patch {diff_file}")
    try:
        return change_against(root, diff_base or default_base(root), untracked=not tracked_only)
    except GitError as exc:
        _fail(f"diff: {exc}")


def _load_baseline(path: str) -> "Baseline":
    from secreview.triage.baseline import BaselineError
    from secreview.triage.baseline import load as load_baseline

    try:
        return load_baseline(path)
    except BaselineError as exc:
        _fail(f"baseline: {exc}")


def exit_code(report: Report, config: Config) -> int:
    if any(f.severity >= config.fail_on for f in report.findings):
        return EXIT_FINDINGS
    if report.verdict is Verdict.INCOMPLETE:
        return EXIT_ERROR
    return EXIT_CLEAN


def _emit(text: str, output: str | None) -> None:
    if not output:
        click.echo(text, nl=False)
        return
    try:
        write_whole(output, text)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")


def _fail(message: str) -> NoReturn:
    click.echo(f"secreview: {message}", err=True)
    sys.exit(EXIT_ERROR)


@main.command("bench")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False),
              help="File-level labels: CSV with the header file,category,vulnerable,cwe.")
@click.option("--truth", type=click.Path(exists=True, dir_okay=False),
              help="Line-level labels: a JSON list of {file, start_line, end_line, cwe, acceptable_cwes, kind} "
                   "[default: FOLDER/truth.json].")
@click.option("--tools", default="secreview,bandit,semgrep", show_default=True,
              help="Comma-separated tools to run.")
@click.option("--semgrep-rules", type=click.Path(exists=True), default=None,
              help="Local Semgrep rules (file or folder); Semgrep is skipped without them.")
@click.option("--timeout", type=click.FloatRange(min=1), default=900.0, show_default=True,
              help="Seconds each tool may run before it is stopped and reported as timed out.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Write results.json, results.md and chart.png to this folder.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Format of the scorecard on standard output.")
def bench_command(folder: str, manifest: str | None, truth: str | None, tools: str, semgrep_rules: str | None,
                  timeout: float, out: str | None, fmt: str) -> None:
    """Score secreview and its peers on the labelled data set in FOLDER.

    `secreview bench corpus`, run in the secreview repository, scores the
    bundled corpus (corpus/truth.json). Exit status: 0 when secreview was
    scored (a peer that is missing, crashes or times out is reported as such),
    1 when secreview itself failed, 2 when the data set cannot be used."""
    import json
    from pathlib import Path

    from secreview.bench import TOOLS, DataError, load_manifest, load_truth, run_bench
    from secreview.bench import output as bench_output

    root = Path(folder)
    if not root.is_dir():
        hint = " (run it in the secreview repository, or give a data set's folder)" if folder == "corpus" else ""
        _fail(f"bench: {folder}: no such folder{hint}")
    if manifest and truth:
        _fail("bench: give --manifest or --truth, not both")
    wanted = tuple(t.strip().lower() for t in tools.split(",") if t.strip())
    unknown = [t for t in wanted if t not in TOOLS]
    if unknown or not wanted:
        _fail(f"bench: unknown tool(s) {', '.join(unknown) or '(none given)'} (known: {', '.join(TOOLS)})")
    try:
        if manifest:
            data = load_manifest(Path(manifest), root)
        else:
            labels = Path(truth) if truth else root / "truth.json"
            if not labels.is_file():
                _fail(f"bench: {labels}: no labels (give --manifest CSV or --truth JSON)")
            data = load_truth(labels, root)
    except DataError as exc:
        _fail(f"bench: {exc}")

    def progress(name: str) -> None:
        click.echo(f"running {name}...", err=True)

    result = run_bench(data, wanted, semgrep_rules=Path(semgrep_rules) if semgrep_rules else None,
                       timeout=timeout, progress=progress)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(bench_output.markdown(result) if fmt == "markdown" else bench_output.text(result), nl=False)
    if out:
        written = bench_output.write(result, Path(out))
        click.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)
    ours = next((r for r in result.runs if r.name == "secreview"), None)
    if ours is not None and ours.status != "ok":
        click.echo(f"secreview: bench: secreview {ours.status}: {ours.detail}", err=True)
        sys.exit(EXIT_FINDINGS)


@main.group("baseline")
def baseline_group() -> None:
    """Accept today's findings, so reviews report only new ones (--baseline)."""


@baseline_group.command("create")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=".secreview-baseline.json",
              show_default=True, help="Where to write the baseline.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Leave out paths matching GLOB (repeatable).")
@click.option("--include-tests/--no-include-tests", default=None,
              help="Record the findings of every rule in test code too (use the same setting when reviewing).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="pyproject.toml to read [tool.secreview] from (default: the nearest one).")
@click.option("--root", type=click.Path(exists=True, file_okay=False),
              help="Record paths relative to this folder (default: the current folder).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes.")
def baseline_create_command(paths: tuple[str, ...], output: str, exclude: tuple[str, ...],
                            include_tests: bool | None, config_path: str | None, root: str | None,
                            jobs: int | None) -> None:
    """Review PATHS (default: the current folder) and record every finding.

    Findings are recorded by rule, file, enclosing function and code, with a
    count, never by line number: edits elsewhere in the file keep them
    hidden, and one more copy of a recorded defect is reported. A review that
    is incomplete writes no baseline (exit 2)."""
    import json

    from secreview.triage.baseline import create

    targets = list(paths) or ["."]
    try:
        config = load_config(config_path or find_pyproject(targets[0]))
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
    config = config.merged(exclude=exclude or None, include_tests=include_tests)
    try:
        report = review(targets, config, root=os.path.abspath(root) if root else None, jobs=jobs)
    except ReviewError as exc:
        _fail(str(exc))
    if report.verdict is Verdict.INCOMPLETE:
        for error in report.errors:
            click.echo(f"  {error.path}: {error.reason}", err=True)
        _fail("baseline: the review is incomplete, so no baseline was written (it would hide nothing "
              "in the files above and read as complete)")
    baseline = create(report.findings + report.suppressed)
    _emit(json.dumps(baseline.to_dict(), indent=2) + "\n", output)
    total = sum(e.count for e in baseline.entries.values())
    click.echo(f"Recorded {total} finding(s) as {len(baseline.entries)} entr{'y' if len(baseline.entries) == 1 else 'ies'} "
               f"in {output}.", err=True)


@main.command("audit")
@click.option("--code", "code_paths", multiple=True, required=True, type=click.Path(exists=True), metavar="PATH",
              help="The code the review is about: files, or folders walked for *.py (repeatable).")
@click.option("--project", "project_paths", multiple=True, type=click.Path(exists=True), metavar="PATH",
              help="The rest of the project, where identifiers the review names are also looked up "
                   "(repeatable; default: the --code paths only). Nothing is run.")
@click.option("--diff", "diff_path", type=click.Path(exists=True, dir_okay=False), default=None, metavar="PATCH",
              help="The review is about this change (a unified diff already applied to the --code files): "
                   "claims are checked against the lines the diff shows, on the side they claim.")
@click.option("--review", "review_path", required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              metavar="FILE", help="The review: prose, Markdown, or a JSON list of comments ('-' reads standard input).")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Report format.")
@click.option("--root", type=click.Path(exists=True, file_okay=False),
              help="Paths in the review are relative to this folder (default: the current folder).")
def audit_command(code_paths: tuple[str, ...], project_paths: tuple[str, ...], diff_path: str | None,
                  review_path: str, fmt: str, root: str | None) -> None:
    """Check every claim of a code review (any reviewer's, human or AI) against the code.

    Each claim gets a verdict: grounded, wrong line, not in code, invented
    identifier, test-only, contradiction or vague, with the reason. Exit
    status: 0 every claim grounded and the verdict consistent, 1 otherwise,
    2 when the code or the review cannot be read."""
    from secreview.grounding import NameIndex, UnitError, audit, load_units, parse_review
    from secreview.report.audit import render_audit

    root_dir = os.path.abspath(root) if root else review_root(list(code_paths))
    try:
        if review_path == "-":
            text = sys.stdin.read()
        else:
            with open(review_path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        patch = None
        if diff_path is not None:
            with open(diff_path, encoding="utf-8", errors="surrogateescape") as handle:
                patch = handle.read()
    except OSError as exc:
        _fail(f"audit: cannot read {exc.filename}: {exc.strerror or exc}")
    try:
        parsed = parse_review(text)
    except ValueError as exc:
        _fail(f"audit: {review_path}: {exc}")
    try:
        reviewed = load_units(list(code_paths), root_dir)
        units = load_units(list(code_paths), root_dir, patch) if patch is not None else reviewed
        project = load_units(list(project_paths), root_dir) if project_paths else []
    except UnitError as exc:
        _fail(f"audit: {exc}")
    index = NameIndex({**{u.path: u.text for u in project}, **{u.path: u.text for u in reviewed}})
    report = audit(parsed, units, index)
    click.echo(render_audit(report, fmt), nl=False)
    sys.exit(EXIT_CLEAN if report.passed else EXIT_FINDINGS)


@main.command("rules")
def rules_command() -> None:
    """List every rule."""
    from secreview.rules import all_rules

    rules = all_rules()
    width = max(len(r.id) for r in rules)
    for rule in rules:
        cwes = ",".join(f"CWE-{c}" for c in rule.cwe)
        click.echo(f"{rule.id.ljust(width)}  {rule.severity.label:<8} {cwes:<10} {rule.name}")


@main.command("explain")
@click.argument("rule_id")
def explain_command(rule_id: str) -> None:
    """Print a rule's documentation."""
    from secreview.cwe import cwe_title
    from secreview.rules import all_rules, get_rule

    try:
        rule = get_rule(rule_id)
    except KeyError:
        known = ", ".join(r.id for r in all_rules())
        _fail(f"unknown rule {rule_id!r} (known: {known})")
    click.echo(f"{rule.id}: {rule.name}")
    click.echo(f"Weakness: {'; '.join(cwe_title(c) for c in rule.cwe)}")
    click.echo(f"Default severity: {rule.severity.label}"
               + (f"; Bandit equivalents: {', '.join(rule.bandit_ids)}" if rule.bandit_ids else "")
               + ("; not run on test code" if rule.harmless_in_tests else ""))
    click.echo("")
    click.echo(rule.doc)



if __name__ == "__main__":  # pragma: no cover
    main()
