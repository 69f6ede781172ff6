"""A change from a git repository: the working tree against a base commit.

Git itself is the source of truth for both sides: `git diff` gives the files
and lines, `git show BASE:path` the old contents. The working tree is the new
side: staged and unstaged edits count, and so do new Python files that git
does not track yet (unless git ignores them).
"""

from __future__ import annotations

import os
import subprocess

from secreview.targets.diff import ChangeSet, FileChange, parse_diff, safe_relative_path

GIT_TIMEOUT = 120.0
# Longest commit log kept as the change's message.
MAX_MESSAGE_CHARS = 8000


class GitError(Exception):
    """git could not answer (not a repository, unknown revision, git missing)."""


def _git(root: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    env.pop("GIT_EXTERNAL_DIFF", None)
    try:
        done = subprocess.run(["git", "-c", "core.quotepath=false", "-c", "diff.noprefix=false", *args],
                              cwd=root, env=env, capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed (needed for --diff)") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} did not finish in {GIT_TIMEOUT:.0f}s") from None
    if check and done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else f'exit {done.returncode}'}")
    return done


def _in_repository(root: str) -> None:
    done = _git(root, "rev-parse", "--git-dir", check=False)
    if done.returncode != 0:
        raise GitError(f"{root} is not inside a git repository (use --diff-file PATCH for a diff from elsewhere)")


def default_base(root: str) -> str:
    """The merge base with the upstream branch, else HEAD~1."""
    _in_repository(root)
    upstream = _git(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}", check=False)
    if upstream.returncode == 0:
        name = upstream.stdout.decode().strip()
        base = _git(root, "merge-base", "HEAD", name, check=False)
        if base.returncode == 0 and base.stdout.strip():
            return base.stdout.decode().strip()
    parent = _git(root, "rev-parse", "--verify", "--quiet", "HEAD~1^{commit}", check=False)
    if parent.returncode == 0:
        return parent.stdout.decode().strip()
    raise GitError("no base to compare with: the branch has no upstream and HEAD has no parent "
                   "(give one, e.g. --diff main)")


def change_against(root: str, base: str, *, untracked: bool = True) -> tuple[ChangeSet, dict[str, bytes]]:
    """The change from `base` to the working tree under `root`, and the old
    contents of its Python files (by old path, relative to `root`).

    With `untracked` false, new files git does not track are left out of the
    change (they stay in the project on both sides): what a pre-commit hook
    wants, since the commit will not hold them."""
    if base.startswith("-"):
        raise GitError(f"{base!r} is not a revision")
    _in_repository(root)
    resolved = _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", check=False)
    if resolved.returncode != 0:
        raise GitError(f"unknown revision {base!r}")
    commit = resolved.stdout.decode().strip()
    diff = _git(root, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--relative", "-M",
                "--src-prefix=a/", "--dst-prefix=b/", commit, "--")
    change = parse_diff(diff.stdout, description=f"git diff {base}")
    if untracked:
        _add_untracked(root, change)
    label = commit[:12] if commit.startswith(base.lower()) and len(base) >= 7 else f"{base} ({commit[:12]})"
    change.description = f"{label} to the working tree"
    log = _git(root, "log", "--format=%B", "--no-color", f"{commit}..HEAD", "--", check=False)
    if log.returncode == 0:
        change.message = log.stdout.decode("utf-8", "replace").strip()[:MAX_MESSAGE_CHARS]
    old: dict[str, bytes] = {}
    for item in change.python_files():
        if item.old_path is None:
            continue
        shown = _git(root, "show", f"{commit}:./{item.old_path}", check=False)
        if shown.returncode != 0:
            raise GitError(f"cannot read {item.old_path} at {base}: "
                           f"{shown.stderr.decode('utf-8', 'replace').strip()}")
        old[item.old_path] = shown.stdout
    return change, old


def _add_untracked(root: str, change: ChangeSet) -> None:
    """New Python files git does not track yet (and does not ignore) are part
    of the working tree's change: `git diff` alone would leave them out."""
    listed = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", "*.py")
    known = {f.path for f in change.files}
    for raw in listed.stdout.split(b"\0"):
        if not raw:
            continue
        path = safe_relative_path(raw.decode("utf-8", "surrogateescape"), "git ls-files")
        if path in known:
            continue
        try:
            with open(os.path.join(root, path), "rb") as handle:
                count = handle.read().count(b"\n") + 1
        except OSError:
            count = 0  # the review reports the unreadable file
        lines = frozenset(range(1, count + 1))
        change.files.append(FileChange(None, path, added=lines, commentable=lines))
