"""Shared helpers: small Python snippets with known defects, and two ways to
run the command line (in-process with click's runner, and as a real process).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from secreview.cli import main

# py.shell-injection (CWE-78) on line 3.
SHELL = 'import os\ndef ping(host):\n    os.system(f"ping -c 1 {host}")\n'
SHELL_LINE = 3
# py.tls-verification-disabled (CWE-295) on line 3.
TLS = "import requests\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=10)\n"
TLS_LINE = 3
# py.weak-hash at medium severity on line 3.
WEAK = ('import hashlib\ndef make_reset_token(user_id, secret):\n'
        '    return hashlib.md5(f"{user_id}:{secret}".encode()).hexdigest()\n')
# Nothing to report.
SAFE = 'import subprocess\ndef ping(host):\n    subprocess.run(["ping", "-c", "1", host], check=False)\n'

# An HTTP parameter (app.py, line 10) reaching a shell in another file
# (tools.py, line 5): app.py's taint facts make it a flow.
APP = '''from flask import Flask, request

from tools import run_command

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host", "")
    return run_command(f"ping -c 1 {host}")
'''
TOOLS = '''import subprocess


def run_command(cmd):
    return subprocess.run(cmd, shell=True, check=False).returncode
'''

CLEAN_SUMMARY = "No security defects are detected in the code."


def pytest_configure(config: pytest.Config) -> None:
    """Reviews in tests use the result cache as a user's would, in a folder
    of the test run's own (never the user's ~/.cache), shared by the
    processes the tests start."""
    if "SECREVIEW_CACHE_DIR" not in os.environ:
        import tempfile

        folder = tempfile.mkdtemp(prefix="secreview-test-cache-")
        os.chmod(folder, 0o777)  # tests that drop privileges still reach it
        os.environ["SECREVIEW_CACHE_DIR"] = folder


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that is also the current directory (the review root)."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def cli() -> Callable[..., Run]:
    """Run `secreview ARGS` in-process, in the current directory."""

    def run(*args: str) -> Run:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


def secreview_command() -> list[str]:
    """The installed console script, or the same entry point through Python."""
    script = shutil.which("secreview")
    if script:
        return [script]
    return [sys.executable, "-c", "from secreview.cli import main; main()"]


def run_process(*args: str, cwd: Path, timeout: float = 120,
                preexec_fn: Callable[[], Any] | None = None) -> Run:
    """Run `secreview ARGS` as a separate process (no terminal, no input)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run([*secreview_command(), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=env, preexec_fn=preexec_fn)
    return Run(done.returncode, done.stdout, done.stderr)
