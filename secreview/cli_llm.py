"""The `--llm` options shared by `review`, `gerrit` and `github`, and the
step that runs the LLM reviewer on a finished static report."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, Callable

import click

from secreview.config import Config
from secreview.model import Report
from secreview.python.source import SourceError, decode_source, read_source
from secreview.triage.testcode import is_test_path

if TYPE_CHECKING:
    from secreview.targets.diff import ChangeSet

_OPTIONS = [
    click.option("--llm", "llm_spec", default=None, metavar="SPEC",
                 help="Also review with a language model: openai:MODEL, ollama:MODEL, http://HOST:PORT/v1#MODEL "
                      "or gguf:PATH. Only grounded findings are published. Nothing leaves the machine without it."),
    click.option("--llm-verify", is_flag=True,
                 help="Ask the model a focused second question per finding; keep it above --llm-verify-threshold."),
    click.option("--llm-verify-threshold", type=click.FloatRange(0, 1), default=0.7, show_default=True,
                 help="Confidence a verified finding needs."),
    click.option("--llm-samples", type=click.IntRange(1, 9), default=1, show_default=True,
                 help="Ask N times; keep findings that recur in at least half of the answers."),
    click.option("--llm-triage", is_flag=True,
                 help="Ask the model about each static finding: confirmed, or demoted with its reason (never removed)."),
    click.option("--show-rejected", is_flag=True, help="List the model's claims that were not published, and why."),
    click.option("--llm-max-calls", type=click.IntRange(min=1), default=None,
                 help="Stop asking the model after N calls (the review goes on without it, and says so)."),
    click.option("--llm-max-tokens", type=click.IntRange(min=1), default=None,
                 help="Stop asking the model once N tokens are spent."),
    click.option("--llm-jobs", type=click.IntRange(1, 64), default=4, show_default=True,
                 help="Concurrent calls to the model (a gguf: model answers one at a time)."),
    click.option("--llm-timeout", type=click.FloatRange(min=1), default=120.0, show_default=True,
                 help="Seconds one call may take."),
    click.option("--llm-retries", type=click.IntRange(0, 10), default=2, show_default=True,
                 help="Retries (with backoff) after a rate limit or server error."),
    click.option("--llm-cache", "llm_cache", type=click.Path(dir_okay=False), default=None, metavar="FILE",
                 help="SQLite response cache [default: ~/.cache/secreview/llm-responses.sqlite]."),
    click.option("--no-llm-cache", is_flag=True, help="Neither read nor write the response cache."),
    click.option("--llm-answer-tokens", type=click.IntRange(min=64), default=2048, show_default=True,
                 help="Longest answer the model may give to one question, in tokens."),
    click.option("--llm-chunk-lines", type=click.IntRange(min=20), default=300, show_default=True,
                 help="Files longer than this are split on function boundaries."),
]
_NAMES = ("llm_spec", "llm_verify", "llm_verify_threshold", "llm_samples", "llm_triage", "show_rejected",
          "llm_max_calls", "llm_max_tokens", "llm_jobs", "llm_timeout", "llm_retries", "llm_cache",
          "no_llm_cache", "llm_answer_tokens", "llm_chunk_lines")


def llm_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the --llm options; the command receives them as one `llm` dict."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["llm"] = {name: kwargs.pop(name) for name in _NAMES}
        return command(*args, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def llm_settings(values: dict[str, Any], *, ray_address: str | None = None, remote: bool = False) -> Any:
    """LLMOptions, or None without --llm; click.UsageError for options given
    without --llm or a SPEC that names no usable model. `remote`: the calls
    run as Ray tasks (`--executor ray`)."""
    if values["llm_spec"] is None:
        given = [name for name in ("llm_verify", "llm_triage", "show_rejected", "llm_max_calls", "llm_max_tokens",
                                   "llm_cache") if values[name]]
        if values["llm_samples"] != 1:
            given.append("llm_samples")
        if given:
            raise click.UsageError(f"--{given[0].replace('_', '-')} needs --llm SPEC")
        return None
    from secreview.llm.cache import default_path
    from secreview.llm.reviewer import LLMOptions
    from secreview.llm.spec import SpecError, parse_spec

    try:
        spec = parse_spec(values["llm_spec"])
    except SpecError as exc:
        raise click.UsageError(f"--llm: {exc}") from None
    return LLMOptions(
        spec=spec, verify=values["llm_verify"], verify_threshold=values["llm_verify_threshold"],
        samples=values["llm_samples"], triage=values["llm_triage"], show_rejected=values["show_rejected"],
        max_calls=values["llm_max_calls"], max_tokens=values["llm_max_tokens"],
        jobs=1 if spec.kind == "gguf" else values["llm_jobs"], timeout=values["llm_timeout"],
        retries=values["llm_retries"],
        cache_path=None if values["no_llm_cache"] else (values["llm_cache"] or default_path()),
        chunk_lines=values["llm_chunk_lines"], answer_tokens=values["llm_answer_tokens"], remote=remote,
        ray_address=ray_address)


def project_sources(report: Report, config: Config, *, include_tests: bool | None = None) -> dict[str, str]:
    """The text of each file a whole-project review with `config` analysed
    (test files only with include_tests, default the configuration's: the
    model's claims about them would be rejected as test-only anyway)."""
    include_tests = config.include_tests if include_tests is None else include_tests
    failed = {e.path for e in report.errors}
    out: dict[str, str] = {}
    for path in report.files:
        if path in failed or (is_test_path(path) and not include_tests):
            continue
        text = _text(os.path.join(report.root, path), config.max_file_size)
        if text is not None:
            out[path] = text
    return out


def change_sources(report: Report, change: ChangeSet, files: dict[str, bytes] | None = None, *,
                   config: Config | None = None) -> dict[str, str]:
    """The new side of the change's Python files: from `files` (a code host's
    bytes) or from disk under the report's root (read as the review with
    `config` read them)."""
    max_size = (config or Config()).max_file_size
    out: dict[str, str] = {}
    failed = {e.path for e in report.errors}
    for item in change.python_files():
        path = item.new_path
        if path is None or path in failed or not item.added:
            continue
        text = _text(files.get(path) if files is not None else os.path.join(report.root, path), max_size)
        if text is not None:
            out[path] = text
    return out


def _text(source: str | bytes | None, max_size: int) -> str | None:
    """A file's text (a path, or its bytes) read and decoded as the static
    review did; None when it cannot be (that review then reported it)."""
    if source is None:
        return None
    try:
        return decode_source(source) if isinstance(source, bytes) else read_source(source, max_size)
    except SourceError:
        return None


def run_llm(report: Report, options: Any, sources: dict[str, str], *, change: ChangeSet | None = None,
            project: dict[str, str] | None = None, quiet: bool = False) -> None:
    """Run the LLM reviewer on `report` and say on standard error what it cost."""
    from secreview.llm.reviewer import review_with_llm

    stats = review_with_llm(report, sources, options, change=change, message=change.message if change else "",
                            project=project)
    for warning in stats.warnings:
        click.echo(f"secreview: llm: {warning}", err=True)
    if stats.stopped:
        click.echo(f"secreview: llm: {stats.stopped}; the static review is complete, the model's is not", err=True)
    elif stats.budget_spent:
        click.echo(f"secreview: llm: {stats.budget_spent}; the rest was reviewed without the model", err=True)
    if not quiet:
        cost = f", cost {stats.cost:.4f}" if stats.cost is not None else ""
        click.echo(f"secreview: llm: {stats.model} saw {len(stats.files)} file(s) in {stats.calls} call(s) "
                   f"({stats.cached_calls} cached), {stats.prompt_tokens + stats.completion_tokens:,} tokens{cost}; "
                   f"{stats.published} finding(s) published, {len(stats.rejected)} rejected.", err=True)
