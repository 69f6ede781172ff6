"""The command line: exit codes, options, output, in-process and as a real process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import pytest

from conftest import CLEAN_SUMMARY, SAFE, SHELL, TLS, WEAK, Run, run_process, write

Cli = Callable[..., Run]


def test_exit_0_when_clean(project: Path, cli: Cli) -> None:
    write(project, "safe.py", SAFE)
    run = cli("review")
    assert run.exit_code == 0
    assert run.stdout.splitlines()[0] == CLEAN_SUMMARY


def test_exit_1_when_findings(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL)
    run = cli("review", "--format", "json")
    assert run.exit_code == 1
    assert [(f["rule"], f["line"]) for f in run.json()["findings"]] == [("py.shell-injection", 3)]


def test_fail_on_threshold(project: Path, cli: Cli) -> None:
    write(project, "token.py", WEAK)
    run = cli("review", "--format", "json", "--fail-on", "high")
    assert run.exit_code == 0
    assert [(f["rule"], f["severity"]) for f in run.json()["findings"]] == [("py.weak-hash", "medium")]
    assert cli("review", "--fail-on", "medium").exit_code == 1
    assert cli("review").exit_code == 1  # default: low
    write(project, "app.py", SHELL)
    assert cli("review", "--fail-on", "high").exit_code == 1
    assert cli("review", "--fail-on", "critical").exit_code == 0


def test_exit_2_for_usage_errors(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL)
    unknown_option = cli("review", "--no-such-option")
    assert unknown_option.exit_code == 2 and "No such option" in unknown_option.stderr
    unknown_rule = cli("review", "--disable", "py.no-such-rule")
    assert unknown_rule.exit_code == 2
    assert unknown_rule.stderr == "secreview: unknown rule id(s): py.no-such-rule (see `secreview rules`)\n"
    assert unknown_rule.stdout == ""
    bad_level = cli("review", "--severity", "py.shell-injection=urgent")
    assert bad_level.exit_code == 2 and "unknown severity 'urgent'" in bad_level.stderr
    no_equals = cli("review", "--severity", "py.shell-injection")
    assert no_equals.exit_code == 2 and "expected RULE=SEVERITY" in no_equals.stderr
    unknown_override = cli("review", "--severity", "py.nope=low")
    assert unknown_override.exit_code == 2 and "py.nope" in unknown_override.stderr
    assert cli("review", "--format", "xml").exit_code == 2
    assert cli("review", "--fail-on", "urgent").exit_code == 2
    assert cli("review", "--max-file-size", "0").exit_code == 2


def test_exit_2_for_bad_pyproject(project: Path, cli: Cli) -> None:
    write(project, "app.py", SAFE)
    write(project, "pyproject.toml", "[tool.secreview]\nfail-on = 'urgent'\n")
    run = cli("review")
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.startswith("secreview: configuration error: ")
    assert "`fail-on`: unknown severity 'urgent'" in run.stderr


def test_exit_2_for_incomplete_review_without_findings(project: Path, cli: Cli) -> None:
    write(project, "safe.py", SAFE)
    write(project, "broken.py", "def f(:\n")
    run = cli("review", "--format", "json")
    assert run.exit_code == 2
    data = run.json()
    assert (data["verdict"], data["findings"]) == ("incomplete", [])
    # With a finding at or above --fail-on the findings decide: 1.
    write(project, "app.py", SHELL)
    assert cli("review").exit_code == 1
    # Below --fail-on the incompleteness decides again: 2, never 0.
    assert cli("review", "--fail-on", "critical").exit_code == 2


def test_output_file(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL)
    run = cli("review", "--format", "json", "--output", "report.json")
    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr == "1 security defect found (1 high). Report written to report.json.\n"
    data = json.loads((project / "report.json").read_text(encoding="utf-8"))
    assert data["verdict"] == "defects"
    assert [p.name for p in project.iterdir() if ".tmp-" in p.name] == []
    quiet = cli("review", "-q", "--format", "sarif", "-o", "report.sarif")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (1, "", "")
    assert json.loads((project / "report.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_output_through_a_link_writes_its_target(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL)
    (project / "reports").mkdir()
    (project / "latest.json").symlink_to(project / "reports" / "run.json")
    assert cli("review", "--format", "json", "-o", "latest.json").exit_code == 1
    assert (project / "latest.json").is_symlink()  # still a link, not replaced by a file
    assert json.loads((project / "reports" / "run.json").read_text(encoding="utf-8"))["verdict"] == "defects"
    assert [p.name for p in (project / "reports").iterdir()] == ["run.json"]


def test_output_to_a_named_pipe_is_written_not_replaced(project: Path, cli: Cli) -> None:
    """As `-o /dev/null` must stay a device: replacing what is not a regular
    file with one (the write-then-rename that keeps reports whole) once turned
    this machine's /dev/null into a file."""
    write(project, "app.py", SHELL)
    pipe = project / "report.pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    run = cli("review", "--format", "json", "-o", "report.pipe")
    reader.join(30)
    assert run.exit_code == 1
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert json.loads(received[0])["verdict"] == "defects"
    assert [p.name for p in project.iterdir() if ".tmp-" in p.name] == []


def test_output_to_missing_folder_is_an_error(project: Path, cli: Cli) -> None:
    write(project, "app.py", SAFE)
    run = cli("review", "-o", "no/such/dir/report.txt")
    assert run.exit_code == 2
    assert run.stderr.startswith("secreview: cannot write no/such/dir/report.txt:")


def test_show_suppressed_text_and_json(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL.replace('{host}")', '{host}")  # nosec: pinging is the job'))
    plain = cli("review")
    assert plain.exit_code == 0
    assert plain.stdout.splitlines()[0] == CLEAN_SUMMARY
    assert "1 finding(s) suppressed by inline comments (--show-suppressed lists them)." in plain.stdout
    assert "app.py:3" not in plain.stdout
    shown = cli("review", "--show-suppressed")
    assert shown.exit_code == 0
    assert "Suppressed findings (not counted in the verdict):" in shown.stdout
    assert "  app.py:3 py.shell-injection - " in shown.stdout
    assert "[line 3: # nosec: pinging is the job]" in shown.stdout
    data = cli("review", "--show-suppressed", "--format", "json").json()
    assert data["stats"]["suppressed"] == 1
    assert [(f["path"], f["line"], f["suppressed_by"]) for f in data["suppressed"]] == [
        ("app.py", 3, "line 3: # nosec: pinging is the job")]


def test_exclude(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL)
    write(project, "migrations/0001.py", SHELL)
    write(project, "vendor/lib/x.py", SHELL)

    def paths(run: Run) -> list[str]:
        return [f["path"] for f in run.json()["findings"]]

    assert paths(cli("review", "-f", "json")) == ["app.py", "migrations/0001.py", "vendor/lib/x.py"]
    run = cli("review", "-f", "json", "--exclude", "migrations", "--exclude", "vendor/*")
    assert paths(run) == ["app.py"]
    assert run.json()["stats"]["files_excluded"] == 2
    assert paths(cli("review", "-f", "json", "--exclude", "./migrations/")) == ["app.py", "vendor/lib/x.py"]


def test_disable(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL)
    write(project, "web.py", TLS)
    run = cli("review", "-f", "json", "--disable", "py.shell-injection")
    assert run.exit_code == 1
    assert [f["rule"] for f in run.json()["findings"]] == ["py.tls-verification-disabled"]
    both = cli("review", "-f", "json", "--disable", "py.shell-injection", "--disable", "py.tls-verification-disabled")
    assert (both.exit_code, both.json()["findings"]) == (0, [])


def test_severity_override(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL)
    run = cli("review", "-f", "json", "--severity", "py.shell-injection=low")
    assert [f["severity"] for f in run.json()["findings"]] == ["low"]
    assert run.json()["summary"] == "1 security defect found (1 low)."
    assert cli("review", "--severity", "py.shell-injection=low", "--fail-on", "medium").exit_code == 0
    assert cli("review", "--severity", "py.shell-injection=LOW", "--fail-on", "low").exit_code == 1


def test_include_tests(project: Path, cli: Cli) -> None:
    write(project, "tests/test_web.py", TLS)
    hidden = cli("review", "-f", "json")
    stats = hidden.json()["stats"]
    assert (hidden.exit_code, hidden.json()["findings"]) == (0, [])
    assert (stats["test_files"], stats["include_tests"]) == (1, False)
    assert "1 test file(s) checked only by the rules whose weakness matters in test code" in cli("review").stdout
    shown = cli("review", "-f", "json", "--include-tests")
    assert shown.exit_code == 1
    assert [(f["path"], f["in_test"]) for f in shown.json()["findings"]] == [("tests/test_web.py", True)]
    assert shown.json()["stats"]["include_tests"] is True
    assert "checked only by the rules" not in cli("review", "--include-tests").stdout


def test_root_option_sets_reported_paths(project: Path, cli: Cli) -> None:
    write(project, "src/pkg/app.py", SHELL)
    default = cli("review", "-f", "json", "src")
    assert [f["path"] for f in default.json()["findings"]] == ["src/pkg/app.py"]
    rooted = cli("review", "-f", "json", "--root", "src", "src")
    assert [f["path"] for f in rooted.json()["findings"]] == ["pkg/app.py"]


def test_markdown_and_sarif_formats(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL)
    md = cli("review", "-f", "markdown")
    assert md.exit_code == 1 and md.stdout.startswith("# secreview security review\n")
    sarif = cli("review", "-f", "sarif")
    assert sarif.exit_code == 1 and json.loads(sarif.stdout)["runs"][0]["results"][0]["ruleId"] == "py.shell-injection"


def test_rules_and_explain_commands(cli: Cli) -> None:
    rules = cli("rules")
    assert rules.exit_code == 0
    assert any(line.startswith("py.shell-injection ") and "CWE-78" in line for line in rules.stdout.splitlines())
    explain = cli("explain", "py.shell-injection")
    assert explain.exit_code == 0 and explain.stdout.startswith("py.shell-injection: ")
    assert "## What it does" in explain.stdout
    unknown = cli("explain", "py.nope")
    assert unknown.exit_code == 2 and unknown.stderr.startswith("secreview: unknown rule 'py.nope'")


# ------------------------------------------------------------ real processes


def test_process_findings_exit_1_and_json(project: Path) -> None:
    write(project, "app.py", SHELL)
    write(project, "web.py", TLS)
    run = run_process("review", "--format", "json", cwd=project)
    assert run.exit_code == 1, run.stderr
    assert run.stderr == ""
    data = run.json()
    assert [(f["path"], f["line"], f["cwe"]) for f in data["findings"]] == [
        ("app.py", 3, [78]), ("web.py", 3, [295])]


def test_process_clean_exit_0_and_text(project: Path) -> None:
    write(project, "safe.py", SAFE)
    run = run_process("review", cwd=project)
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == CLEAN_SUMMARY
    assert lines[-1].startswith("Coverage: Analysed 1 file, 1 function, 3 lines")


def test_process_usage_error_exit_2(project: Path) -> None:
    run = run_process("review", "--bogus", cwd=project)
    assert run.exit_code == 2
    assert "No such option '--bogus'" in run.stderr
    assert run.stdout == ""


def test_process_output_file_and_progress_free_stderr(project: Path) -> None:
    for n in range(6):  # enough files for a progress bar, which needs a terminal
        write(project, f"m{n}.py", SAFE)
    run = run_process("review", "-f", "sarif", "-o", "out.sarif", cwd=project)
    assert run.exit_code == 0
    assert run.stdout == ""
    assert run.stderr == f"{CLEAN_SUMMARY} Report written to out.sarif.\n"
    assert json.loads((project / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"] == []


@pytest.mark.parametrize(("code", "status", "stderr"), [(None, 0, ""), (3, 3, ""), ("broken", 1, "broken\n")])
def test_the_program_ends_at_once_after_the_exit_handlers_and_with_its_output(code, status, stderr) -> None:
    """Run as the program, secreview ends without the interpreter's
    teardown (`exit_now`): the exit handlers run, buffered output is
    written, and the status and message are what `sys.exit(code)` gives."""
    probe = ("import atexit, sys; from secreview.cli import exit_now; "
             "atexit.register(lambda: print('handler ran', file=sys.stderr, end=' ')); "
             f"print('report', end=''); exit_now({code!r})")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (status, "report", stderr + "handler ran ")


def test_the_program_waits_for_a_running_thread_as_a_normal_exit_does() -> None:
    probe = ("import threading, time; from secreview.cli import exit_now; "
             "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start(); "
             "exit_now(4)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (4, "thread done\n")


def test_called_with_arguments_the_command_exits_as_click_does(project: Path) -> None:
    """A program that calls `main(args)` (as the tests' runner does) gets
    click's SystemExit, not the end of its process."""
    from secreview.cli import main

    write(project, "app.py", SHELL)
    with pytest.raises(SystemExit) as exited:
        main(["review", str(project), "-q"])
    assert exited.value.code == 1


def test_version(cli: Cli) -> None:
    from secreview import __version__

    run = cli("--version")
    assert run.exit_code == 0 and run.stdout == f"secreview, version {__version__}\n"


def test_reviewing_no_python_file_is_incomplete_not_clean(project: Path, cli: Cli) -> None:
    write(project, "notes.txt", "not python\n")
    write(project, "gen/a.py", SHELL)
    run = cli("review", "--exclude", "gen", "-f", "json")
    assert run.exit_code == 2
    data = run.json()
    assert data["verdict"] == "incomplete"
    assert data["errors"] == [{"path": ".", "reason":
                               "no Python files to review under this path (1 excluded by configuration)"}]
    assert "No security defects" not in data["summary"]


def test_the_host_and_fleet_commands_load_only_when_asked_for(tmp_path: Path) -> None:
    """A review does not import the Gerrit, GitHub and fleet commands (nor
    what they use), nor the change and baseline code; `--help` still lists
    the commands and each runs by name."""
    probe = ("import sys, secreview.cli; "
             "print(sorted(m for m in sys.modules if m.startswith(('secreview.cli_', 'secreview.fleet'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "['secreview.cli_llm']", done.stderr
    # Nor, until a change or a baseline is reviewed, the diff and baseline code.
    probe = ("import sys, secreview.cli; print(sorted(m for m in sys.modules if m in ('secreview.changes', "
             "'secreview.targets.diff', 'unidiff', 'secreview.triage.baseline')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr
    listing = run_process("--help", cwd=tmp_path)
    assert listing.exit_code == 0
    commands = [line.split()[0] for line in listing.stdout.split("Commands:\n")[1].splitlines() if line.strip()]
    assert commands == ["audit", "baseline", "bench", "explain", "fleet", "gerrit", "github", "review", "rules"]
    for name, summary in (("fleet", "Review every repository listed in MANIFEST"),
                          ("gerrit", "Review a Gerrit change's patch set"),
                          ("github", "Review pull request N of OWNER/NAME on GitHub")):
        shown = run_process(name, "--help", cwd=tmp_path)
        assert shown.exit_code == 0 and summary in shown.stdout, (name, shown.stdout[:200])
