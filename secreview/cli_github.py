"""`secreview github`: review a GitHub pull request and, with --post, post
one review with line comments. The work is in secreview.targets.github;
this module parses options, prints and exits (see docs/github.md).

Exit codes as for `secreview review`: 0 clean, 1 a finding at or above
--fail-on, 2 an error (nothing is posted) or an incomplete review.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from secreview.cli import _emit, _fail, exit_code
from secreview.cli_hosts import host_options, host_setup

# Kept here, not imported, so `secreview` starts without loading httpx.
DEFAULT_API_URL = "https://api.github.com"


@click.command("github")
@click.option("--repo", required=True, metavar="OWNER/NAME", help="The repository, e.g. octocat/hello-world.")
@click.option("--pr", "number", required=True, type=click.IntRange(min=1), metavar="N",
              help="The pull request's number.")
@click.option("--post", is_flag=True,
              help="Post the review (needs GITHUB_TOKEN); without it, print the review JSON instead.")
@click.option("--api-url", default=None, metavar="URL",
              help=f"The REST API [default: $GITHUB_API_URL or {DEFAULT_API_URL}].")
@host_options("GitHub", "the review JSON")
def github_command(repo: str, number: int, post: bool, api_url: str | None, output: str | None,
                   fail_on: str | None, config_path: str | None, timeout: float, llm: dict[str, Any]) -> None:
    """Review pull request N of OWNER/NAME on GitHub: only what it introduces.

    The token comes from GITHUB_TOKEN (needed for --post and private
    repositories); it is never printed."""
    from secreview.engine import ReviewError
    from secreview.targets.diff import DiffError
    from secreview.targets.github import connect, parse_repo, post_review, review_pull_request
    from secreview.targets.http import HostError

    try:
        repo = parse_repo(repo)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--repo") from None
    token = os.environ.get("GITHUB_TOKEN", "").strip() or None
    if post and token is None:
        _fail("github: --post needs a token in GITHUB_TOKEN (with write access to pull requests)")
    config, enrich = host_setup(config_path, fail_on, llm)
    url = api_url or os.environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
    try:
        with connect(url, token, timeout=timeout) as client:
            review = review_pull_request(client, repo, number, config, enrich=enrich)
            posted = post_review(client, review) if post else None
    except (HostError, DiffError, ReviewError) as exc:
        _fail(f"github: {exc}")
    if posted is None or output:
        _emit(review.to_json(), output)
    if posted is not None:
        link = posted.get("html_url")
        click.echo(f"Posted a review on {repo}#{number}: {review.inline} line comment(s), "
                   f"{review.outside} finding(s) in its message, {review.repeated} already commented"
                   + (f": {link}" if isinstance(link, str) else "") + ".", err=True)
    elif output:
        click.echo(f"{review.report.summary} Review written to {output}; nothing posted.", err=True)
    sys.exit(exit_code(review.report, config))

