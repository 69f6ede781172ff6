"""The taint engine: the labelled corpus reviewed case by case (exact
findings by rule, file and line; exact silence on safe look-alikes), the
evidence a flow finding carries in every format, the models' validation, and
the work limits on hostile code."""

from __future__ import annotations

import importlib
import json
import re
import textwrap
import tokenize
from pathlib import Path

import pytest

from secreview.config import Config, load_config
from secreview.engine import ReviewError, review
from secreview.report import RenderOptions, render
from secreview.taint.models import ModelError, Models, load_file, load_models

extract_module = importlib.import_module("secreview.taint.extract")
CORPUS = Path(__file__).parent.parent / "corpus" / "taint"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
_EXPECT = re.compile(r"expect:\s*(?P<rules>[\w.\-]+(?:\s*,\s*[\w.\-]+)*)")


def expected(case: Path) -> set[tuple[str, str, int]]:
    found: set[tuple[str, str, int]] = set()
    for path in sorted(case.rglob("*.py")):
        with path.open(encoding="utf-8") as handle:
            for tok in tokenize.generate_tokens(handle.readline):
                if tok.type == tokenize.COMMENT and (match := _EXPECT.search(tok.string)):
                    for rule in match.group("rules").split(","):
                        found.add((rule.strip(), path.relative_to(case).as_posix(), tok.start[0]))
    return found


def test_the_corpus_has_both_kinds_of_case():
    vulnerable = [c for c in CASES if expected(CORPUS / c)]
    assert len(CASES) >= 85 and len(vulnerable) >= 45 and len(CASES) - len(vulnerable) >= 40
    rules = {rule for c in vulnerable for rule, _, _ in expected(CORPUS / c)}
    assert len(rules) == 17, sorted(rules)  # every taint kind's rule is exercised


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case):
    root = CORPUS / case
    report = review([str(root)], Config(), root=str(root))
    assert report.errors == []
    found = {(f.rule, f.path, f.line) for f in report.findings}
    want = expected(root)
    assert found == want, f"missed: {sorted(want - found)}; unexpected: {sorted(found - want)}"
    assert report.stats.taint_limits == 0 or case == "50-long-generated-function"


_SAFE = re.compile(r"safe:\s*(?P<rules>[\w.\-]+(?:\s*,\s*[\w.\-]+)*)")


def test_decoy_labels_name_taint_rules_and_never_an_expected_finding():
    """`# safe: py.<rule>` marks a safe look-alike (a decoy for the benchmark):
    the rule is one of the taint rules, and the same line never also expects
    a finding of that rule. That nothing is reported there is what
    test_corpus_case checks."""
    from secreview.rules import all_rules

    taint_rules = {rule.id for rule in all_rules() if rule.taint_kinds}
    decoys = 0
    for case in CASES:
        expect = expected(CORPUS / case)
        for path in sorted((CORPUS / case).rglob("*.py")):
            with path.open(encoding="utf-8") as handle:
                for tok in tokenize.generate_tokens(handle.readline):
                    if tok.type == tokenize.COMMENT and (match := _SAFE.search(tok.string)):
                        for rule in (r.strip() for r in match.group("rules").split(",")):
                            assert rule in taint_rules, (case, path.name, tok.start[0], rule)
                            assert (rule, path.relative_to(CORPUS / case).as_posix(), tok.start[0]) not in expect
                            decoys += 1
    assert decoys >= 150


# ------------------------------------------------------------- evidence
def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


CROSS_FILE = {
    "shop/__init__.py": "",
    "shop/views.py": """\
        from flask import Flask, request

        from shop.db import find

        app = Flask(__name__)


        @app.route("/search")
        def search():
            name = request.args["name"]
            return {"rows": find(name)}
        """,
    "shop/db.py": """\
        import sqlite3

        from shop.helpers import build_query


        def find(term):
            conn = sqlite3.connect("shop.db")
            return conn.execute(build_query(term)).fetchall()
        """,
    "shop/helpers.py": """\
        def build_query(term):
            return "SELECT * FROM items WHERE name = '%s'" % term
        """,
}


def test_a_cross_file_flow_is_traced_hop_by_hop(tmp_path):
    root = _write(tmp_path, CROSS_FILE)
    report = review([str(root)], Config(), root=str(root))
    [finding] = report.findings
    assert (finding.rule, finding.path, finding.line, finding.cwe) == ("py.sql-injection", "shop/db.py", 8, [89])
    steps = [(s.path, s.line) for s in finding.trace]
    assert steps[0] == ("shop/views.py", 10)  # request.args["name"]
    assert ("shop/views.py", 11) in steps  # passed to find()
    assert ("shop/db.py", 6) in steps  # parameter `term` of find()
    assert ("shop/helpers.py", 1) in steps  # parameter of build_query()
    assert steps[-1] == ("shop/db.py", 8)
    assert "`request.args[\"name\"]`" in finding.explanation
    assert "shop/views.py:10" in finding.explanation
    assert finding.message.startswith("SQL query built from untrusted data: ")


@pytest.mark.parametrize("fmt", ["json", "sarif", "markdown", "text"])
def test_flow_traces_appear_in_every_format(tmp_path, fmt):
    root = _write(tmp_path, CROSS_FILE)
    report = review([str(root)], Config(), root=str(root))
    out = render(report, fmt, RenderOptions())
    if fmt == "json":
        [finding] = json.loads(out)["findings"]
        assert [(s["path"], s["line"]) for s in finding["trace"]][0] == ("shop/views.py", 10)
    elif fmt == "sarif":
        [result] = json.loads(out)["runs"][0]["results"]
        locations = result["codeFlows"][0]["threadFlows"][0]["locations"]
        assert locations[0]["location"]["physicalLocation"]["artifactLocation"]["uri"] == "shop/views.py"
        assert len(locations) >= len(report.findings[0].trace)
    else:
        assert "shop/views.py:10" in out and "shop/helpers.py:1" in out


def test_context_sensitivity_a_helper_used_with_trusted_and_untrusted_data(tmp_path):
    root = _write(tmp_path, {"app.py": """\
        import os
        from flask import request


        def tidy(value):
            return value.strip()


        def handler():
            os.system(tidy("uptime"))
            return tidy(request.args["q"])
        """})
    report = review([str(root)], Config(), root=str(root))
    assert report.findings == []


def test_a_disabled_rule_drops_its_flows(tmp_path):
    root = _write(tmp_path, CROSS_FILE)
    report = review([str(root)], Config(disable=("py.sql-injection",)), root=str(root))
    assert report.findings == []


def test_a_suppression_comment_silences_a_flow(tmp_path):
    files = dict(CROSS_FILE)
    files["shop/db.py"] = files["shop/db.py"].replace(
        ".fetchall()", ".fetchall()  # nosec B608 - names are checked upstream")
    root = _write(tmp_path, files)
    report = review([str(root)], Config(), root=str(root))
    assert report.findings == []
    [suppressed] = report.suppressed
    assert suppressed.rule == "py.sql-injection" and "nosec B608" in suppressed.suppressed_by


# --------------------------------------------------------------- models
def test_the_bundled_models_load_and_cover_the_listed_libraries():
    models = load_models()
    names = {Path(f).stem for f in models.files}
    assert {"python", "flask", "django", "fastapi", "aiohttp", "webob", "templates", "http_clients", "lxml",
            "ldap", "serialization", "sql", "openstack", "paramiko"} <= names
    assert models.source_for("flask.request.args.get()") is not None
    assert models.source_for("flask.requestx") is None
    assert "subprocess.run" in models.sinks and "execute" in models.member_sinks


@pytest.mark.parametrize("body, message", [
    ("[[sinks]]\ncall = 'x'\nargs = [0]\nkind = 'shell'\n", "a [library] table with a `name` is required"),
    ("[library]\nname='x'\n[[sinks]]\ncall = 'x'\nargs = [0]\nkind = 'nope'\n", "`kind` must be one of"),
    ("[library]\nname='x'\n[[sinks]]\ncall = 'x'\nkind = 'sql'\n", "`args` must be a non-empty list"),
    ("[library]\nname='x'\n[[sinks]]\ncall = 'x'\nmember = 'y'\nargs = [0]\nkind = 'sql'\n", "exactly one of"),
    ("[library]\nname='x'\n[[sinks]]\nmember = 'y'\nreceiver = '('\nargs = [0]\nkind = 'sql'\n",
     "not a valid regular expression"),
    ("[library]\nname='x'\n[[sources]]\npath = 'a.b'\n", "`label`"),
    ("[library]\nname='x'\n[[sanitizers]]\ncall = 'a'\nkinds = ['sqll']\n", "unknown kind(s) ['sqll']"),
    ("[library]\nname='x'\n[[sinks]]\ncall = 'a'\nargs = [0]\nkind = 'sql'\nwhen = {shell = true}\n", "`when`"),
    ("[library]\nname='x'\n[[sinkz]]\n", "unknown section(s) ['sinkz']"),
    ("[library]\nname='x'\n[[propagators]]\ncall = 'a'\ntaint = 'all'\n", "`taint` must be \"none\""),
    ("[library\n", "not valid TOML"),
])
def test_a_malformed_model_is_a_clear_error(tmp_path, body, message):
    path = tmp_path / "mine.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_file(path, Models())
    assert message in str(caught.value)
    assert "mine.toml" in str(caught.value)


def test_a_users_model_file_adds_a_sink_and_a_bad_one_stops_the_review(tmp_path):
    root = _write(tmp_path, {
        "app.py": """\
            from flask import request
            import acme.jobs


            def submit():
                acme.jobs.run_script(request.form["script"])
            """,
        "acme_models.toml": """\
            [library]
            name = "acme"
            [[sinks]]
            call = ["acme.jobs.run_script"]
            args = [0]
            kind = "code"
            note = "runs the text as a Python script"
            """,
        "pyproject.toml": '[tool.secreview]\nmodels = ["acme_models.toml"]\n',
    })
    assert review([str(root / "app.py")], Config(), root=str(root)).findings == []
    config = load_config(str(root / "pyproject.toml"))
    [finding] = review([str(root / "app.py")], config, root=str(root)).findings
    assert (finding.rule, finding.line) == ("py.code-eval", 6)
    (root / "acme_models.toml").write_text("[library]\nname = 'acme'\n[[sinks]]\ncall = 'x'\n", encoding="utf-8")
    with pytest.raises(ReviewError, match="invalid taint model: .*acme_models.toml"):
        review([str(root / "app.py")], load_config(str(root / "pyproject.toml")), root=str(root))


# ------------------------------------------------------------ hostile code
def test_a_function_over_the_work_limit_is_summarised_conservatively(tmp_path, monkeypatch):
    monkeypatch.setattr(extract_module, "MAX_STEPS", 200)
    body = "\n".join(f"    v{i} = v{i - 1} + '.'" for i in range(1, 400))
    root = _write(tmp_path, {"app.py": f"""\
import os
from flask import request


def grow(v0):
{body}
    return v399


def small(x):
    return x


def handler():
    os.system(grow(request.args["q"]))
    os.system(small("date"))
"""})
    report = review([str(root)], Config(), root=str(root))
    assert report.stats.taint_limits == 1
    assert [(f.rule, f.line) for f in report.findings] == [("py.shell-injection", 413)]


def test_top_level_code_over_the_work_limit_is_bounded_not_an_internal_error(tmp_path, monkeypatch):
    """A large table of data at the top level (generated code) went past
    the limit, and the review said "internal error in the taint analysis"
    and incomplete. The top level is now bounded as a function is; the
    file's functions are analysed, and what flows through them is found."""
    monkeypatch.setattr(extract_module, "MAX_STEPS", 200)
    table = "".join(f'    "key{i}": ("v{i}", {i}),\n' for i in range(150))
    root = _write(tmp_path, {"app.py": f"""\
import os
from flask import request

TABLE = {{
{table}}}


def handler():
    os.system(request.args["q"])
"""})
    report = review([str(root)], Config(), root=str(root))
    assert report.errors == [] and report.stats.taint_limits == 1
    assert [(f.rule, f.line) for f in report.findings] == [("py.shell-injection", 159)]


def test_mutual_recursion_and_dynamic_calls_terminate(tmp_path):
    root = _write(tmp_path, {"app.py": """\
        import os
        from flask import request


        def ping(x, n):
            return pong(x, n - 1) if n else x


        def pong(x, n):
            return ping(x + "!", n)


        def handler(**options):
            value = ping(request.args["q"], 3)
            getattr(os, options["name"])(value)
            os.system(value)
        """})
    report = review([str(root)], Config(), root=str(root))
    assert [(f.rule, f.line) for f in report.findings] == [("py.shell-injection", 16)]


def test_worker_processes_give_the_same_review(monkeypatch):
    """The per-file work in worker processes (what `--jobs` controls) gives
    exactly the single-process review, findings and traces included."""
    engine = importlib.import_module("secreview.engine")
    monkeypatch.setattr(engine, "PARALLEL_MIN_FILES", 1)
    cases = [str(CORPUS / c) for c in CASES[:30]]
    serial = review(cases, Config(), root=str(CORPUS), jobs=1)
    parallel = review(cases, Config(), root=str(CORPUS), jobs=2)
    assert serial.errors == parallel.errors == []
    assert [f.to_dict() for f in serial.findings] == [f.to_dict() for f in parallel.findings]
    assert len(serial.findings) >= 20


TEST_CODE_FLOWS = {
    "app/db.py": """\
        import sqlite3


        def find(term):
            return sqlite3.connect("shop.db").execute("SELECT * FROM t WHERE n = '%s'" % term).fetchall()
        """,
    "tests/test_db.py": """\
        import os
        import subprocess
        from flask import request

        from app.db import find


        def test_find():
            find(request.args["name"])


        def run_fixture(name):
            subprocess.call("ls " + name, shell=True)


        def test_listing():
            for name in ("a", "b"):
                run_fixture(name)
        """,
}


def test_flows_through_test_code_are_followed_only_with_include_tests(tmp_path):
    """Test code is not reachable by an attacker: by default the engine does
    not follow data from a source in a test (a mock request here) into the
    code under test; `include_tests` asks it to."""
    root = _write(tmp_path, TEST_CODE_FLOWS)
    default = review([str(root)], Config(), root=str(root))
    assert [(f.rule, f.path, f.line) for f in default.findings] == []
    assert default.stats.files_analyzed == 2
    everything = review([str(root)], Config(include_tests=True), root=str(root))
    assert [(f.rule, f.path, f.line, f.in_test) for f in everything.findings] == [
        ("py.sql-injection", "app/db.py", 5, False)]


def test_a_rule_finding_in_test_code_is_still_judged_by_the_engine(tmp_path):
    """A shell call in a test whose data is provably constant (every caller
    passes a literal) is cleared as it is in production code; with no caller
    to judge by, it stays reported."""
    files = dict(TEST_CODE_FLOWS)
    root = _write(tmp_path, files)
    assert [f for f in review([str(root)], Config(), root=str(root)).findings
            if f.rule == "py.shell-injection"] == []
    files["tests/test_db.py"] = files["tests/test_db.py"].replace("        run_fixture(name)", "        print(name)")
    root = _write(tmp_path / "open", files)
    [finding] = review([str(root)], Config(), root=str(root)).findings
    assert (finding.rule, finding.path, finding.line, finding.in_test) == (
        "py.shell-injection", "tests/test_db.py", 13, True)


def test_files_claiming_one_module_name_keep_their_own_flows():
    """Every rule fixture folder holds a `bad.py` and a `good.py`: reviewed
    together, sixty files claim two module names. Each keeps its own facts:
    the review of the whole tree is the sum of the folders' reviews."""
    fixtures = Path(__file__).parent.parent / "corpus" / "rules"
    whole = review([str(fixtures)], Config(include_tests=True), root=str(fixtures), jobs=1)
    assert whole.errors == []
    apart = []
    for folder in sorted(p for p in fixtures.iterdir() if p.is_dir()):
        report = review([str(folder)], Config(include_tests=True), root=str(fixtures), jobs=1)
        apart += [(f.rule, f.path, f.line) for f in report.findings]
    assert sorted((f.rule, f.path, f.line) for f in whole.findings) == sorted(apart)


def test_a_defect_in_the_project_wide_step_is_an_error_not_a_clean_report(tmp_path, monkeypatch):
    import secreview.engine as engine

    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(engine, "solve", broken)
    root = _write(tmp_path, CROSS_FILE)
    report = review([str(root)], Config(), root=str(root))
    [error] = report.errors
    assert "internal error in the project-wide taint analysis (IndexError" in error.reason
    assert report.findings == []


def test_equal_evidence_is_chosen_by_content_not_by_arrival():
    """Two traces of one length: the one first in (path, line, note) order
    wins whichever arrives first, so worker processes (whose set order
    differs) report the same trace as a single process."""
    from secreview.model import TraceStep
    from secreview.taint.facts import union

    a = (TraceStep("app.py", 3, "`request.args`"), TraceStep("app.py", 9, "passed to `f()`"))
    b = (TraceStep("app.py", 3, "`request.args`"), TraceStep("app.py", 7, "passed to `g()`"))
    short = (TraceStep("app.py", 5, "`request.form`"),)
    label = ("source", frozenset())
    assert union({label: a}, {label: b})[label] == b
    assert union({label: b}, {label: a})[label] == b
    assert union({label: b}, {label: short})[label] == short


def test_joining_traces_at_once_is_adding_their_hops_one_by_one():
    """`add_steps` (one tuple per join) gives what `add_step` gives hop by
    hop: a hop on the line before it dropped, and past the limit the third
    hop dropped, also for traces already cut to the limit (which may hold
    two hops on one line in a row)."""
    import random

    from secreview.model import TraceStep
    from secreview.taint.facts import _MAX_TRACE, add_step, add_steps

    def built(hops: list[tuple[str, int]]) -> tuple[TraceStep, ...]:
        trace: tuple[TraceStep, ...] = ()
        for path, line in hops:
            trace = add_step(trace, TraceStep(path, line, f"{path}:{line}"))
        return trace

    def one_by_one(trace: tuple[TraceStep, ...], steps: tuple[TraceStep, ...]) -> tuple[TraceStep, ...]:
        for step in steps:
            trace = add_step(trace, step)
        return trace

    # Cut to the limit, a trace can hold two hops on one line in a row.
    # The hop on line 2 goes at the limit: the two on line 1 meet.
    cut = built([("a.py", n) for n in (0, 1, 2, 1, *range(3, _MAX_TRACE))])
    assert len(cut) == _MAX_TRACE and any(
        x.line == y.line and x.path == y.path for x, y in zip(cut, cut[1:]))
    assert add_steps((), cut) == one_by_one((), cut) != cut
    assert add_steps(cut[:1], cut) == one_by_one(cut[:1], cut)
    short = built([("a.py", 1), ("b.py", 2)])
    assert add_steps(short, built([("b.py", 2), ("c.py", 3)])) == built([("a.py", 1), ("b.py", 2), ("c.py", 3)])
    assert add_steps(short, ()) is short
    randomly = random.Random(7)
    for _ in range(3000):
        first, second = ([(randomly.choice("ab"), randomly.randint(1, 3)) for _ in range(randomly.randint(0, 16))]
                         for _ in range(2))
        assert add_steps(built(first), built(second)) == one_by_one(built(first), built(second))


# Mutually recursive helpers over three modules, each passing its argument
# on and to a shell: found by a random search where the solver's summaries
# depended on the order of the files (a caller kept a trace its callee later
# shortened, since only new labels made callers look again).
RECURSIVE = {
    "a.py": """\
        import b
        import c


        def f1(x):
            b.f0(x)


        def f5(x):
            b.f0(x)
            c.f3(x)
        """,
    "b.py": """\
        import os

        import a
        import c


        def f0(x):
            f2(x)


        def f2(x):
            a.f5(x)
            a.f1(x)
            c.f4(x)
            os.system(x)
        """,
    "c.py": """\
        import os

        import a
        import b


        def f3(x):
            b.f2(x)
            a.f5(x)
            b.f0(x)
            os.system(x)
            return x


        def f4(x):
            b.f0(x)
            b.f2(x)
            f3(x)
        """,
}


def _facts(root: Path, files: dict[str, str]) -> list:
    from secreview.engine import LocalExecutor, TaintSetup, _module_names
    from secreview.taint import ProjectModules
    from secreview.targets.paths import discover

    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    found = discover([str(root)], str(root))
    modules, aliases, folders = _module_names(found.files)
    setup = TaintSetup(load_models(()), ProjectModules((name for name, _ in modules.values()), folders),
                       modules, aliases)
    return [r.taint for r in LocalExecutor(1).review_files(found.files, Config(), setup) if r.taint]


@pytest.mark.parametrize("callees_first", [True, False], ids=["callees first", "in the files' order"])
def test_the_fixpoint_does_not_depend_on_the_order_of_the_files(tmp_path, monkeypatch, callees_first):
    """Every summary, traces included, is the same whatever order the
    functions are looked at in, so a cached or partial re-solve can give
    exactly what a cold one gives."""
    from secreview.taint.solve import _Solver

    facts = _facts(tmp_path, RECURSIVE)
    assert len(facts) == 3
    if not callees_first:
        monkeypatch.setattr(_Solver, "callees_first", lambda self, names: list(names))

    def summaries(order):
        solver = _Solver(order)
        assert not solver.run().fixpoint_limited
        sinks = {name: {key: labels for key, (_, labels) in found.items()} for name, found in solver.sinks.items()}
        return solver.ret, sinks

    forward = summaries(facts)
    assert forward == summaries(list(reversed(facts))) == summaries(facts[1:] + facts[:1])
    assert any(forward[1].values())  # parameters do reach the shells


def test_callees_are_evaluated_before_their_callers(tmp_path, monkeypatch):
    """A chain written callers first is evaluated callees first, each
    function once; a cycle's members are evaluated again until they settle."""
    from secreview.taint.solve import _Solver

    facts = _facts(tmp_path, {"chain.py": """
        import os


        def a(x):
            return b(x)


        def b(x):
            return c(x)


        def c(x):
            os.system(x)
            return x


        def ping(x):
            return pong(x)


        def pong(x):
            os.system(x)
            return ping(x)
        """})
    evaluated = []
    original = _Solver.evaluate

    def counting(self, function):
        evaluated.append(function.qualname.rpartition(".")[2])
        return original(self, function)

    monkeypatch.setattr(_Solver, "evaluate", counting)
    solver = _Solver(facts)
    solver.run()
    chain = [name for name in evaluated if name in ("a", "b", "c")]
    assert chain == ["c", "b", "a"]
    cycle = [name for name in evaluated if name in ("ping", "pong")]
    assert cycle[:2] == ["pong", "ping"] and len(cycle) > 2
    # The summaries say what a full fixpoint says: each parameter reaches the shell.
    assert all(solver.sinks[f"chain.{name}"] for name in ("a", "b", "c", "ping", "pong"))
