"""`secreview fleet`: review many repositories as Ray tasks, one JSON and one
SARIF report per repository and a summary table, resuming where a previous
run stopped.

The manifest is a text file with one repository per line, `SOURCE [REF]`:

    # comments start with '#' at the start of a line or after a space
    https://github.com/org/service.git v1.2     # a git URL and a branch or tag
    git@github.com:org/tool.git                 # the default branch
    file:///srv/git/lib.git main
    ../checkouts/app                            # a local folder, reviewed in place
    ../mirrors/app.git stable                   # a local repository with a ref, cloned

SOURCE is a git URL (`scheme://...` or `user@host:path`) or a local path
(relative to the manifest's folder; quote it if it holds spaces). REF, when
given, is a branch or tag name (not a commit id): the repository is cloned
with `git clone --depth 1 --branch REF`. A URL, a local path with a REF, and
a bare local repository are cloned into a temporary folder; any other local
path is reviewed in place. On a cluster, local paths must exist on the
worker machines.

Each repository is reviewed by one Ray task with its own `[tool.secreview]`
settings (from its top-level pyproject.toml, if any) or the defaults. Its
name in the output folder is a slug of SOURCE and REF, unique in the
manifest. `summary.json` is also the state of the fleet: a repository whose
reports are in the folder for the same source, ref and secreview version is
not reviewed again unless `force` is given.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from secreview import __version__
from secreview.config import Config, ConfigError, find_pyproject, load_config
from secreview.engine import review
from secreview.executors import ray_as_completed
from secreview.files import write_whole
from secreview.model import Severity, severity_counts
from secreview.report import render

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
# Names a repository's reports must not take (they would overwrite the summary).
_RESERVED = frozenset({"summary"})
CLONE_TIMEOUT = 900.0  # seconds
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^[\w.+-]+@[\w.-]+:")
_COMMENT = re.compile(r"(^|\s)#.*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

OK, FAILED, PENDING = "ok", "failed", "pending"


class ManifestError(Exception):
    """The manifest cannot be read or a line of it cannot be understood."""


class FleetError(Exception):
    """One repository could not be reviewed (clone failure, missing folder,
    bad configuration); the others are not affected."""


@dataclass(frozen=True)
class Repository:
    """One line of the manifest. `source` is the URL, or the absolute path."""

    name: str
    source: str
    ref: str | None
    line: int


@dataclass(frozen=True)
class RepoOutcome:
    """What a repository's task sends back: its rendered reports and figures."""

    json: str
    sarif: str
    verdict: str
    findings: dict[str, int]
    files: int
    seconds: float


@dataclass
class RepoRow:
    """One repository in the summary."""

    name: str
    source: str
    ref: str | None
    status: str = PENDING  # ok, failed, or pending (a run that was stopped)
    verdict: str | None = None
    findings: dict[str, int] = field(default_factory=dict)
    files: int = 0
    seconds: float = 0.0
    error: str | None = None
    reused: bool = False  # the reports of an earlier run were kept

    @property
    def finding_count(self) -> int:
        return sum(self.findings.values())

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "ref": self.ref, "status": self.status,
                "verdict": self.verdict, "findings": dict(self.findings), "files": self.files,
                "seconds": round(self.seconds, 3), "error": self.error, "reused": self.reused}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RepoRow":
        return cls(name=str(data["name"]), source=str(data["source"]), ref=data["ref"], status=str(data["status"]),
                   verdict=data["verdict"], findings={str(k): int(v) for k, v in data["findings"].items()},
                   files=int(data["files"]), seconds=float(data["seconds"]), error=data["error"])


@dataclass
class FleetResult:
    """The fleet after a run: one row per manifest line, in manifest order."""

    out: Path
    rows: list[RepoRow]

    def with_status(self, status: str) -> list[RepoRow]:
        return [row for row in self.rows if row.status == status]

    @property
    def with_findings(self) -> list[RepoRow]:
        return [row for row in self.rows if row.status == OK and row.finding_count]

    @property
    def incomplete(self) -> list[RepoRow]:
        return [row for row in self.rows if row.status == OK and row.verdict == "incomplete"]

    @property
    def summary(self) -> str:
        ok = self.with_status(OK)
        reused = sum(row.reused for row in ok)
        parts = [f"{len(ok)} reviewed" + (f" ({reused} reused from an earlier run)" if reused else ""),
                 f"{len(self.with_status(FAILED))} failed"]
        pending = len(self.with_status(PENDING))
        if pending:
            parts.append(f"{pending} not reviewed yet")
        return (f"{len(self.rows)} repositor{'y' if len(self.rows) == 1 else 'ies'}: {', '.join(parts)}; "
                f"{len(self.with_findings)} with findings, {len(self.incomplete)} incomplete.")


# progress(row): called once for each repository, as its row is settled.
FleetProgress = Callable[[RepoRow], None]


def load_manifest(path: str | Path) -> list[Repository]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ManifestError(f"{path}: cannot be read: {reason}") from None
    return parse_manifest(text, os.path.dirname(os.path.abspath(path)), str(path))


def parse_manifest(text: str, base: str, where: str = "manifest") -> list[Repository]:
    """The repositories of a manifest's text; local paths are taken from `base`."""
    repos: list[Repository] = []
    taken: set[str] = set(_RESERVED)
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            words = shlex.split(_COMMENT.sub("", line))
        except ValueError as exc:
            raise ManifestError(f"{where}:{number}: {exc}") from None
        if not words:
            continue
        if len(words) > 2:
            raise ManifestError(f"{where}:{number}: expected SOURCE [REF], got {len(words)} words "
                                "(quote a path that holds spaces)")
        source, ref = words[0], (words[1] if len(words) == 2 else None)
        if not is_url(source):
            source = os.path.normpath(os.path.join(base, os.path.expanduser(source)))
        repos.append(Repository(_unique(_slug(source, ref), taken), source, ref, number))
    if not repos:
        raise ManifestError(f"{where}: no repositories (one `SOURCE [REF]` per line)")
    return repos


def is_url(source: str) -> bool:
    return _URL.match(source) is not None


def _slug(source: str, ref: str | None) -> str:
    tail = [part for part in re.split(r"[/:\\]", source) if part]
    base = tail[-1] if tail else "repository"
    if base.endswith(".git") and len(base) > 4:
        base = base[:-4]
    name = _UNSAFE.sub("-", f"{base}-{ref}" if ref else base).strip("-.")
    return name or "repository"


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`, ... (compared without case, as some
    file systems do)."""
    candidate, count = name, 2
    while candidate.lower() in taken:
        candidate, count = f"{name}-{count}", count + 1
    taken.add(candidate.lower())
    return candidate


def run_fleet(manifest: str | Path, out: str | Path, *, address: str | None = None, force: bool = False,
              retries: int = 2, progress: FleetProgress | None = None) -> FleetResult:
    """Review every repository of `manifest` as a Ray task (each retried up
    to `retries` times, then recorded as failed) and write the reports and
    the summary into `out`, the summary after each repository so a stopped
    run resumes. Raises ManifestError, executors.ExecutorError (Ray missing
    or unreachable) and OSError (the output folder cannot be written)."""
    repos = load_manifest(manifest)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    previous = {} if force else _previous_rows(folder)
    rows = [_reusable(repo, previous.get(repo.name), folder) or RepoRow(repo.name, repo.source, repo.ref)
            for repo in repos]
    result = FleetResult(folder, rows)
    _write_summary(result, manifest)
    todo = [index for index, row in enumerate(rows) if row.status == PENDING]
    if progress is not None:
        for row in rows:
            if row.reused:
                progress(row)
    if not todo:
        return result
    for done, outcome in ray_as_completed(review_repository, [repos[i] for i in todo], retries=retries,
                                          address=address):
        index = todo[done]
        rows[index] = _settle(repos[index], outcome, folder, retries + 1)
        _write_summary(result, manifest)
        if progress is not None:
            progress(rows[index])
    return result


def _previous_rows(folder: Path) -> dict[str, RepoRow]:
    """The rows of the last run's summary, by name; none when it is missing,
    damaged or written by another secreview version."""
    try:
        data = json.loads((folder / SUMMARY_JSON).read_text(encoding="utf-8"))
        if data["tool"]["version"] != __version__:
            return {}
        rows = [RepoRow.from_dict(item) for item in data["repositories"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return {row.name: row for row in rows}


def _reusable(repo: Repository, row: RepoRow | None, folder: Path) -> RepoRow | None:
    if (row is None or row.status != OK or (row.source, row.ref) != (repo.source, repo.ref)
            or not all((folder / f"{repo.name}{suffix}").is_file() for suffix in (".json", ".sarif"))):
        return None
    return replace(row, reused=True)


def _settle(repo: Repository, outcome: RepoOutcome | Exception, folder: Path, attempts: int) -> RepoRow:
    """Write a finished repository's reports and return its row; a failed
    one loses any reports of an earlier source or ref."""
    if isinstance(outcome, Exception):
        for suffix in (".json", ".sarif"):
            (folder / f"{repo.name}{suffix}").unlink(missing_ok=True)
        text = str(outcome).strip()
        reason = text.splitlines()[0] if text else ""
        if not isinstance(outcome, FleetError):
            reason = f"{type(outcome).__name__}: {reason}" if reason else type(outcome).__name__
        return RepoRow(repo.name, repo.source, repo.ref, FAILED,
                       error=f"{reason} ({attempts} attempt{'s' if attempts != 1 else ''})")
    write_whole(folder / f"{repo.name}.json", outcome.json)
    write_whole(folder / f"{repo.name}.sarif", outcome.sarif)
    return RepoRow(repo.name, repo.source, repo.ref, OK, outcome.verdict, dict(outcome.findings), outcome.files,
                   outcome.seconds)


def review_repository(repo: Repository) -> RepoOutcome:
    """One Ray task: fetch the repository if it must be cloned, review it
    with its own settings, and render its reports."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="secreview-fleet-") as scratch:
        root = _checkout(repo, scratch)
        try:
            config = _config(root)
        except ConfigError as exc:
            raise FleetError(f"configuration error: {exc}") from None
        report = review([root], config, root=root, jobs=1)  # a task holds one CPU
        return RepoOutcome(render(report, "json"), render(report, "sarif"), report.verdict.value,
                           severity_counts(report.findings), report.stats.files_analyzed,
                           time.perf_counter() - started)


def _checkout(repo: Repository, scratch: str) -> str:
    """The folder to review: a clone in `scratch`, or the local folder itself."""
    if is_url(repo.source):
        return _clone(repo.source, repo.ref, os.path.join(scratch, repo.name))
    if not os.path.isdir(repo.source):
        raise FleetError(f"{repo.source}: no such folder")
    if repo.ref is not None or _is_bare(repo.source):
        return _clone(Path(repo.source).as_uri(), repo.ref, os.path.join(scratch, repo.name))
    return repo.source


def _is_bare(path: str) -> bool:
    return (os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects"))
            and not os.path.exists(os.path.join(path, ".git")))


def _clone(url: str, ref: str | None, dest: str) -> str:
    command = ["git", "-c", "advice.detachedHead=false", "-c", "protocol.ext.allow=never",
               "clone", "--quiet", "--depth", "1", *([f"--branch={ref}"] if ref else []), "--", url, dest]
    what = f"git clone of {url}" + (f" at {ref}" if ref else "")
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", timeout=CLONE_TIMEOUT,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"}, check=False)
    except FileNotFoundError:
        raise FleetError("git is not installed (it is needed to clone repositories)") from None
    except subprocess.TimeoutExpired:
        raise FleetError(f"{what} took more than {CLONE_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        raise FleetError(f"{what} failed: {_git_reason(done.stderr) or f'exit status {done.returncode}'}")
    return dest


def _git_reason(stderr: str) -> str:
    """git's first fatal or error line, else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else ""


def _config(root: str) -> Config:
    """The repository's own settings: its pyproject.toml's [tool.secreview],
    never one found above the repository."""
    found = find_pyproject(root)
    inside = found is not None and os.path.dirname(os.path.abspath(found)) == os.path.abspath(root)
    return load_config(found if inside else None)


def _write_summary(result: FleetResult, manifest: str | Path) -> None:
    data = {"tool": {"name": "secreview", "version": __version__},
            "manifest": os.path.abspath(manifest),
            "repositories": [row.to_dict() for row in result.rows]}
    write_whole(result.out / SUMMARY_JSON, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    write_whole(result.out / SUMMARY_MD, summary_markdown(result))


_SEVERITIES = [s.label for s in sorted(Severity, reverse=True)]


def summary_markdown(result: FleetResult) -> str:
    head = ["repository", "source", "ref", "status", "verdict", *_SEVERITIES, "files", "seconds", "error"]
    lines = ["# secreview fleet", "", result.summary, "",
             "| " + " | ".join(head) + " |",
             "|" + "---|" * 5 + "---:|" * (len(_SEVERITIES) + 2) + "---|"]
    for row in result.rows:
        name = f"[{row.name}]({row.name}.json) ([SARIF]({row.name}.sarif))" if row.status == OK else row.name
        counts = [str(row.findings.get(s, 0)) if row.status == OK else "" for s in _SEVERITIES]
        figures = [str(row.files), f"{row.seconds:.1f}"] if row.status == OK else ["", ""]
        status = f"{row.status} (reused)" if row.reused else row.status
        cells = [name, row.source, row.ref or "", status, row.verdict or "", *counts, *figures, row.error or ""]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
