"""[tool.secreview] in pyproject.toml: honoured, overridden or extended by
flags, and rejected with a clear message (exit 2) when it cannot be used."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from conftest import SAFE, SHELL, TLS, WEAK, Run, write
from secreview.config import Config, ConfigError, find_pyproject, load_config
from secreview.model import Severity

Cli = Callable[..., Run]

FULL = """
[project]
name = "demo"

[tool.secreview]
exclude = ["migrations", "gen/*"]
disable = ["py.weak-hash"]
fail-on = "high"
include-tests = true
max-file-size = 200

[tool.secreview.severity]
"py.tls-verification-disabled" = "medium"
"""


def findings(run: Run) -> list[tuple[str, str, str]]:
    return [(f["path"], f["rule"], f["severity"]) for f in run.json()["findings"]]


@pytest.fixture
def configured(project: Path) -> Path:
    write(project, "pyproject.toml", FULL)
    write(project, "app.py", SHELL)
    write(project, "token.py", WEAK)
    write(project, "migrations/0001.py", SHELL)
    write(project, "gen/out.py", SHELL)
    write(project, "tests/test_web.py", TLS)
    write(project, "big.py", SAFE + "#" * 300 + "\n")
    return project


def test_load_config_reads_every_key(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", FULL)
    config = load_config(str(path))
    assert config == Config(
        exclude=("migrations", "gen/*"),
        disable=("py.weak-hash",),
        fail_on=Severity.HIGH,
        severity_overrides={"py.tls-verification-disabled": Severity.MEDIUM},
        include_tests=True,
        max_file_size=200,
        source=str(path),
    )


def test_pyproject_next_to_the_code_is_honoured(configured: Path, cli: Cli) -> None:
    run = cli("review", "-f", "json")
    data = run.json()
    # exclude: migrations/ and gen/ are left out; disable: no weak-hash finding;
    # include-tests: the test file's TLS finding is reported, at its configured severity.
    assert findings(run) == [("app.py", "py.shell-injection", "high"),
                             ("tests/test_web.py", "py.tls-verification-disabled", "medium")]
    assert data["stats"]["files_excluded"] == 2
    # max-file-size: big.py is over 200 bytes.
    size = (configured / "big.py").stat().st_size
    assert data["errors"] == [{"path": "big.py", "reason": f"file is {size} bytes, over the 200 bytes limit "
                                                           "(raise max-file-size to review it)"}]
    assert run.exit_code == 1  # a high finding, fail-on high


def test_fail_on_from_config(configured: Path, cli: Cli) -> None:
    # Only the medium TLS finding left (the high one is disabled): below fail-on "high",
    # but big.py was not analysed, so the review is incomplete: 2.
    assert cli("review", "--disable", "py.shell-injection").exit_code == 2
    # Once big.py fits, the medium finding alone exits 0.
    assert cli("review", "--disable", "py.shell-injection", "--max-file-size", "100000").exit_code == 0


def test_flags_override_and_extend_config(configured: Path, cli: Cli) -> None:
    run = cli("review", "-f", "json", "--exclude", "tests", "--disable", "py.shell-injection",
              "--max-file-size", "100000")
    # --exclude and --disable add to the configured lists.
    assert (findings(run), run.json()["errors"], run.json()["stats"]["files_excluded"]) == ([], [], 3)
    # --severity overrides the configured severity for the same rule.
    run = cli("review", "-f", "json", "--severity", "py.tls-verification-disabled=critical",
              "--max-file-size", "100000")
    assert ("tests/test_web.py", "py.tls-verification-disabled", "critical") in findings(run)
    # --fail-on overrides the configured threshold ("high"), both ways.
    assert cli("review", "--max-file-size", "100000").exit_code == 1
    assert cli("review", "--fail-on", "critical", "--max-file-size", "100000").exit_code == 0
    assert cli("review", "--max-file-size", "100000", "--disable", "py.shell-injection").exit_code == 0
    assert cli("review", "--fail-on", "low", "--max-file-size", "100000",
               "--disable", "py.shell-injection").exit_code == 1
    # --no-include-tests overrides include-tests = true.
    run = cli("review", "-f", "json", "--no-include-tests", "--max-file-size", "100000")
    assert findings(run) == [("app.py", "py.shell-injection", "high")]
    assert (run.json()["stats"]["test_files"], run.json()["stats"]["include_tests"]) == (1, False)


def test_explicit_config_file(project: Path, cli: Cli) -> None:
    write(project, "app.py", SHELL)
    write(project, "conf/settings.toml", '[tool.secreview]\ndisable = ["py.shell-injection"]\n')
    assert cli("review").exit_code == 1
    assert cli("review", "--config", "conf/settings.toml").exit_code == 0
    assert cli("review", "--config", "conf/missing.toml").exit_code == 2


def test_nearest_pyproject_with_a_secreview_table_wins(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[tool.secreview]\nfail-on = "high"\n')
    write(tmp_path, "sub/pyproject.toml", '[project]\nname = "x"\n')  # no [tool.secreview]
    code = write(tmp_path, "sub/pkg/app.py", SHELL)
    assert find_pyproject(str(code)) == str(tmp_path / "pyproject.toml")
    assert find_pyproject(str(code.parent)) == str(tmp_path / "pyproject.toml")
    write(tmp_path, "sub/pyproject.toml", "[tool.secreview]\n")
    assert find_pyproject(str(code)) == str(tmp_path / "sub" / "pyproject.toml")
    assert load_config(find_pyproject(str(code))) == Config(source=str(tmp_path / "sub" / "pyproject.toml"))


@pytest.mark.parametrize(("body", "message"), [
    ('[tool.secreview]\nexlude = ["x"]\n',
     "unknown key(s) in [tool.secreview]: exlude (known: disable, exclude, fail-on, file-time-limit, "
     "include-tests, max-file-size, models, severity)"),
    ('[tool.secreview]\nexclude = "migrations"\n', "`exclude` must be a list of strings"),
    ("[tool.secreview]\nexclude = [1]\n", "`exclude` must be a list of strings"),
    ('[tool.secreview]\ndisable = "py.weak-hash"\n', "`disable` must be a list of strings"),
    ('[tool.secreview]\ninclude-tests = "yes"\n', "`include-tests` must be true or false"),
    ('[tool.secreview]\nmax-file-size = "2MB"\n', "`max-file-size` must be a positive whole number of bytes"),
    ("[tool.secreview]\nmax-file-size = 0\n", "`max-file-size` must be a positive whole number of bytes"),
    ("[tool.secreview]\nmax-file-size = true\n", "`max-file-size` must be a positive whole number of bytes"),
    ('[tool.secreview]\nfail-on = "urgent"\n', "`fail-on`: unknown severity 'urgent' (choose from low, medium, "
                                               "high, critical)"),
    ('[tool.secreview]\nseverity = "low"\n', "`severity` must be a table"),
    ('[tool.secreview.severity]\n"py.weak-hash" = "meh"\n', "`severity.py.weak-hash`: unknown severity 'meh'"),
    ("[tool]\nsecreview = 1\n", "[tool.secreview] must be a table"),
    ("tool = 1\n", "[tool] must be a table"),
    ("[tool.secreview\n", "not valid TOML"),
])
def test_bad_config_is_a_clear_error(project: Path, cli: Cli, body: str, message: str) -> None:
    write(project, "app.py", SAFE)
    path = write(project, "pyproject.toml", body)
    with pytest.raises(ConfigError) as caught:
        load_config(str(path))
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    run = cli("review")
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.startswith(f"secreview: configuration error: {path}: ")
    assert message in run.stderr


def test_unknown_rule_in_config_is_an_error(project: Path, cli: Cli) -> None:
    write(project, "app.py", SAFE)
    write(project, "pyproject.toml", '[tool.secreview]\ndisable = ["py.sql"]\n')
    run = cli("review")
    assert (run.exit_code, run.stderr) == (2, "secreview: unknown rule id(s): py.sql (see `secreview rules`)\n")
    write(project, "pyproject.toml", '[tool.secreview.severity]\n"py.typo" = "low"\n')
    run = cli("review")
    assert (run.exit_code, run.stderr) == (2, "secreview: unknown rule id(s): py.typo (see `secreview rules`)\n")


def test_no_config_means_defaults(tmp_path: Path) -> None:
    assert load_config(None) == Config()
    assert Config().fail_on is Severity.LOW and Config().max_file_size == 2 * 1024 * 1024
