"""`secreview gerrit`: review a Gerrit patch set and print, or post, the review.

Thin: parse options, call secreview.targets.gerrit, print, exit. The exit
code is the one of `secreview review` (0 clean, 1 findings at or above
--fail-on, 2 error or incomplete). Any failure to read the change or to post
is exit 2 with `secreview: gerrit: <reason>`, and nothing is posted: the
review is posted once, last, after everything else succeeded.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from secreview.cli_llm import change_sources, llm_options, llm_settings, run_llm
from secreview.config import ConfigError, find_pyproject, load_config
from secreview.model import Severity

# secreview.cli registers this command at its end, so its helpers are imported
# when the command runs, not when this module loads; so is the HTTP client
# (httpx), which no other command needs.
_SEVERITIES = [s.label for s in Severity]


@click.command("gerrit")
@click.option("--url", required=True, metavar="URL",
              help="The Gerrit server, e.g. https://review.opendev.org (no credentials in it).")
@click.option("--change", "change", required=True, metavar="ID",
              help="The change: PROJECT~NUMBER (recommended), a change number or a Change-Id.")
@click.option("--revision", default=None, metavar="REV",
              help="The patch set: its number, a commit id, or 'current' [default: current].")
@click.option("--post", is_flag=True,
              help="Post the review (needs GERRIT_USER and GERRIT_PASSWORD, or a .netrc entry for the host). "
                   "Without it, print the ReviewInput JSON that would be posted.")
@click.option("--vote", "votes", multiple=True, metavar="LABEL=VALUE",
              help="A vote to include in the review, e.g. Code-Review=-1 (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the ReviewInput JSON to FILE instead of standard output.")
@click.option("--fail-on", type=click.Choice(_SEVERITIES), default=None,
              help="Exit 1 only for findings at or above this severity [default: low].")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="pyproject.toml to read [tool.secreview] from (default: the nearest one).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds to wait for each answer from Gerrit.")
@llm_options
def gerrit_command(url: str, change: str, revision: str | None, post: bool, votes: tuple[str, ...],
                   output: str | None, fail_on: str | None, config_path: str | None, timeout: float,
                   llm: dict[str, Any]) -> None:
    """Review a Gerrit change's patch set: only what it introduces over its parent.

    Prints the review as Gerrit's ReviewInput JSON (for `ssh HOST gerrit review
    --json CHANGE,PATCHSET`), or posts it with --post."""
    from secreview.cli import _emit, _fail, exit_code
    from secreview.engine import ReviewError
    from secreview.targets import gerrit
    from secreview.targets.diff import DiffError
    from secreview.targets.http import HostError

    try:
        labels = gerrit.parse_votes(votes)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--vote") from None
    try:
        config = load_config(config_path or find_pyproject("."))
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
    config = config.merged(fail_on=Severity.parse(fail_on) if fail_on else None)
    llm_run = llm_settings(llm)
    enrich = None if llm_run is None else (
        lambda report, changed, files: run_llm(report, llm_run, change_sources(report, changed, files),
                                               change=changed))
    try:
        credentials = gerrit.find_credentials(url, os.environ)
        if post and credentials is None:
            _fail("gerrit: --post needs credentials: set GERRIT_USER and GERRIT_PASSWORD (the HTTP password "
                  "from Gerrit's settings page), or add a .netrc entry for the host; nothing was posted")
        with gerrit.GerritClient(url, credentials, timeout=timeout) as client:
            result = gerrit.review_gerrit_change(client, change, revision=revision, config=config, labels=labels,
                                                 enrich=enrich)
            text = json.dumps(result.review_input, indent=2, ensure_ascii=False) + "\n"
            if post:
                gerrit.post(client, result)
    except (HostError, DiffError) as exc:
        _fail(_prefixed(str(exc)))
    except ReviewError as exc:
        _fail(f"gerrit: {exc}")
    ps = result.fetched.patch_set
    if not post or output:
        _emit(text, output)
    if output and not post:
        click.echo(f"secreview: the review of change {ps.number} patch set {ps.patch_set} was written to "
                   f"{output}, not posted. {result.report.summary}", err=True)
    if post:
        votes_text = "".join(f", {k}={v:+d}" for k, v in labels.items())
        click.echo(f"secreview: posted the review of change {ps.number} patch set {ps.patch_set}: "
                   f"{result.posted} inline comment(s){votes_text}. {result.report.summary}", err=True)
    sys.exit(exit_code(result.report, config))


def _prefixed(message: str) -> str:
    """Every message names Gerrit once."""
    return message if message.startswith("gerrit:") else f"gerrit: {message}"
