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

from secreview.cli_hosts import host_options, host_setup

# secreview.cli registers this command at its end, so its helpers are imported
# when the command runs, not when this module loads; so is the HTTP client
# (httpx), which no other command needs.


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
@host_options("Gerrit", "the ReviewInput JSON")
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
    config, enrich = host_setup(config_path, fail_on, llm)
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
