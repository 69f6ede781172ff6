"""What `secreview gerrit` and `secreview github` share: their common
options (output, --fail-on, --config, --timeout and the --llm options) and
turning them into the review's configuration and LLM step."""

from __future__ import annotations

from typing import Any, Callable

import click

from secreview.cli_llm import change_sources, llm_options, llm_settings, run_llm
from secreview.config import Config, ConfigError, find_pyproject, load_config
from secreview.model import Report, Severity
from secreview.targets.diff import ChangeSet

# enrich(report, change, new_files): runs between a code host's review and
# the building of the review to post.
Enrich = Callable[[Report, ChangeSet, dict[str, bytes]], None]


def host_options(host: str, written: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options every code-host command takes; `written` names what
    --output receives ("the ReviewInput JSON")."""
    options = [
        click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                     help=f"Write {written} to FILE instead of standard output."),
        click.option("--fail-on", type=click.Choice([s.label for s in Severity]), default=None,
                     help="Exit 1 only for findings at or above this severity [default: low]."),
        click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
                     help="pyproject.toml to read [tool.secreview] from (default: the nearest one)."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
                     help=f"Seconds to wait for each answer from {host}."),
        llm_options,
    ]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def host_setup(config_path: str | None, fail_on: str | None, llm: dict[str, Any]) -> tuple[Config, Enrich | None]:
    """The configuration (the nearest pyproject.toml, or --config, with
    --fail-on) and, with --llm, the step that runs the LLM reviewer on the
    change's files. A configuration error ends the command (exit 2)."""
    from secreview.cli import _fail

    try:
        config = load_config(config_path or find_pyproject("."))
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
    config = config.merged(fail_on=Severity.parse(fail_on) if fail_on else None)
    llm_run = llm_settings(llm)
    if llm_run is None:
        return config, None

    def enrich(report: Report, change: ChangeSet, files: dict[str, bytes]) -> None:
        run_llm(report, llm_run, change_sources(report, change, files), change=change)

    return config, enrich
