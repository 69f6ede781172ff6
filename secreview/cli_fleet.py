"""`secreview fleet`: review the repositories a manifest lists, as Ray tasks.
The work is in secreview.fleet; this module parses options, prints and exits.

Exit codes:
  0  every repository was reviewed, completely, and nothing was found
  1  every repository was reviewed and at least one has findings
  2  usage error, Ray cannot be used, a repository could not be reviewed
     (after its retries), or a review is incomplete and found nothing
"""

from __future__ import annotations

import sys

import click

from secreview.cli import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, _fail
from secreview.executors import ExecutorError
from secreview.fleet import FAILED, ManifestError, FleetResult, RepoRow, run_fleet


@click.command("fleet")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Folder for NAME.json, NAME.sarif per repository, summary.md and summary.json "
                   "(created if missing; a run resumes from what it holds).")
@click.option("--ray-address", default=None, metavar="ADDR",
              help="The Ray cluster: 'auto', 'HOST:6379' or 'ray://HOST:10001' "
                   "[default: $RAY_ADDRESS, else a Ray instance on this machine].")
@click.option("--force", is_flag=True, help="Review every repository again, even those already reviewed in DIR.")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
              help="Times a repository's task is run again after it fails.")
@click.option("-q", "--quiet", is_flag=True, help="No line on standard error per repository.")
def fleet_command(manifest: str, out: str, ray_address: str | None, force: bool, retries: int, quiet: bool) -> None:
    """Review every repository listed in MANIFEST, one Ray task each.

    MANIFEST holds one `SOURCE [REF]` per line: a git URL or a local path,
    and an optional branch or tag ('#' starts a comment). URLs are cloned
    (git clone --depth 1 --branch REF); local folders are reviewed in place.
    Each repository gets a JSON and a SARIF report in DIR, and summary.md and
    summary.json list them all. A repository already reviewed in DIR for the
    same source and ref is not reviewed again (see --force)."""

    def progress(row: RepoRow) -> None:
        if not quiet:
            click.echo(progress_line(row), err=True)

    try:
        result = run_fleet(manifest, out, address=ray_address, force=force, retries=retries, progress=progress)
    except (ManifestError, ExecutorError) as exc:
        _fail(f"fleet: {exc}")
    except OSError as exc:
        _fail(f"fleet: cannot write {exc.filename or out}: {exc.strerror or exc}")
    click.echo(result.summary)
    click.echo(f"Summary in {result.out / 'summary.md'}.")
    sys.exit(fleet_exit_code(result))


def progress_line(row: RepoRow) -> str:
    if row.status == FAILED:
        return f"{row.name}: failed: {row.error}"
    found = ", ".join(f"{count} {severity}" for severity, count in row.findings.items() if count)
    what = f"{row.verdict}" + (f" ({found})" if found else "")
    return f"{row.name}: {what}, {row.files} file(s)" + (", reused" if row.reused else f" in {row.seconds:.1f} s")


def fleet_exit_code(result: FleetResult) -> int:
    if result.with_status(FAILED):
        return EXIT_ERROR
    if result.with_findings:
        return EXIT_FINDINGS
    if result.incomplete:
        return EXIT_ERROR
    return EXIT_CLEAN
