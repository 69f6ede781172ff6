"""The taint step resumed after an edit gives exactly what solving anew
gives: flows with their traces, proved-clean sinks and counts.

Programs are generated from a seed (three modules calling each other, with
sources, sanitisers, sinks, a class whose attribute carries data between
methods, and a module variable), one module is edited (a function's body
rewritten, a function added or removed), and `resume` must match `solve` on
the new facts, edit after edit.
"""

from __future__ import annotations

import pickle
import random
import sqlite3
import time
from pathlib import Path

import pytest

from secreview.cache import FILE_NAME, ResultCache
from secreview.config import Config
from secreview.engine import LocalExecutor, TaintSetup, _module_names, review
from secreview.taint import ModuleFacts, ProjectModules, load_models
from secreview.taint.solve import Declined, TaintResult, _Solver, apply_delta, resume, solve, solve_with_state
from secreview.targets.paths import discover

MODULES = ("a", "b", "c")
HEADER = """\
import os
import shlex

from flask import request

import a
import b
import c

G = {global_value}


class {cls}{bases}:
    def put(self, v):
        self.v = v

    def run(self):
        os.system(self.v)

{extra}
"""
SUBCLASS = """
class {name}({base}):
    def {method}(self, v=None):
        {body}

"""


def _statement(rng: random.Random, functions: dict[str, list[str]], here: str) -> str:
    module = rng.choice(MODULES)
    names = functions[module]
    target = f"{module}.{rng.choice(names)}" if names and module != here else (rng.choice(names) if names else None)
    box = rng.choice(MODULES)
    box = f"{box.capitalize()}Box" if box == here else f"{box}.{box.capitalize()}Box"
    choices = [
        "z = x",
        "z = request.args.get('q')",
        "z = request.args.get('q')",
        "z = shlex.quote(z)",
        "os.system(z)",
        "os.system(z)",
        "os.system(y)",
        "z = z + y",
        f"{box}().put(z)",
        f"{box}().run()",
        f"z = {rng.choice(MODULES)}.G",
    ]
    if target is not None:
        choices += [f"z = {target}(z, y)", f"{target}(x, z)", f"y = {target}(y, x)"]
    return rng.choice(choices)


def _function(rng: random.Random, name: str, functions: dict[str, list[str]], here: str) -> str:
    start = rng.choice(["x", "y", "request.args.get('q')", "request.args.get('q')", "''"])
    body = [f"z = {start}"] + [_statement(rng, functions, here) for _ in range(rng.randint(1, 5))]
    body.append(rng.choice(["return z", "return x", "return y", "return None"]))
    return f"def {name}(x, y):\n" + "".join(f"    {line}\n" for line in body)


class Program:
    """Three modules of generated functions, kept as text per function."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.functions = {m: [f"f{i}{m}" for i in range(self.rng.randint(2, 4))] for m in MODULES}
        self.globals = {m: self.rng.choice(["''", "request.args.get('g')", "os.environ.get('X', '')"])
                        for m in MODULES}
        self.bodies = {m: {name: _function(self.rng, name, self.functions, m) for name in self.functions[m]}
                       for m in MODULES}
        self.bases = {m: "" for m in MODULES}  # of each module's Box
        self.subclasses: dict[str, list[str]] = {m: [] for m in MODULES}

    def text(self, module: str) -> str:
        head = HEADER.format(global_value=self.globals[module], cls=f"{module.capitalize()}Box",
                             bases=self.bases[module], extra="".join(self.subclasses[module]))
        return head + "\n\n".join(self.bodies[module].values())

    def box(self, module: str, here: str) -> str:
        return f"{module.capitalize()}Box" if module == here else f"{module}.{module.capitalize()}Box"

    def write(self, root: Path) -> None:
        for module in MODULES:
            (root / f"{module}.py").write_text(self.text(module))

    def edit(self) -> str:
        """Change one module; its name."""
        module = self.rng.choice(MODULES)
        bodies = self.bodies[module]
        kind = self.rng.choice(["rewrite", "rewrite", "add", "remove", "global", "rebase", "subclass", "unsubclass"])
        if kind == "rebase":  # the module's Box gets another base class, or none
            other = self.rng.choice(MODULES)
            self.bases[module] = "" if other == module else f"({self.box(other, module)})"
        elif kind == "subclass":  # a class sharing a Box's attribute: it writes untrusted data, or runs it
            method, body = self.rng.choice([("put", "self.v = request.args.get('q')"), ("run", "os.system(self.v)")])
            name = f"Sub{self.rng.randint(0, 10**6)}{module}"
            self.subclasses[module].append(SUBCLASS.format(
                name=name, base=self.box(self.rng.choice(MODULES), module), method=method, body=body))
        elif kind == "unsubclass" and self.subclasses[module]:
            self.subclasses[module].pop(self.rng.randrange(len(self.subclasses[module])))
        elif kind == "add" or len(bodies) < 2:
            name = f"f{len(bodies) + self.rng.randint(10, 99)}{module}"
            self.functions[module].append(name)
            bodies[name] = _function(self.rng, name, self.functions, module)
        elif kind == "remove":
            name = self.rng.choice(list(bodies))
            del bodies[name]
            self.functions[module].remove(name)
        elif kind == "global":
            self.globals[module] = self.rng.choice(["''", "request.args.get('g')", "shlex.quote(request.data)"])
        else:
            name = self.rng.choice(list(bodies))
            bodies[name] = _function(self.rng, name, self.functions, module)
        return module


def facts_of(root: Path) -> dict[str, ModuleFacts]:
    found = discover([str(root)], str(root))
    modules, aliases, folders = _module_names(found.files)
    setup = TaintSetup(load_models(()), ProjectModules((name for name, _ in modules.values()), folders),
                       modules, aliases)
    return {r.path: r.taint for r in LocalExecutor(1).review_files(found.files, Config(), setup) if r.taint}


def comparable(result: TaintResult) -> tuple:
    return ([(f.site.key, f.site.code, f.source_label, f.source_code, f.trace) for f in result.flows],
            sorted(result.covered), result.functions, result.bounded_functions, result.fixpoint_limited)


@pytest.mark.parametrize("seed", range(40))
def test_a_resumed_solve_equals_a_full_one(tmp_path, seed):
    """Edit after edit, each resumed from the first state and the changes
    since (as the cache stores them), pickled and read back."""
    program = Program(seed)
    program.write(tmp_path)
    facts = facts_of(tmp_path)
    _, state = solve_with_state(list(facts.values()))
    stored, changes = pickle.dumps(state), []
    resumed_any = False
    for _ in range(4):
        edited = f"{program.edit()}.py"
        program.write(tmp_path)
        new = facts_of(tmp_path)
        expected = solve(list(new.values()))
        state = pickle.loads(stored)
        for change in changes:
            apply_delta(state, pickle.loads(change))
        try:
            result, _, delta = resume(state, {edited: new.get(edited)}, {edited: facts[edited]},
                                      lambda paths: {p: new[p] for p in paths}, frozenset(), max_share=1.0)
        except Declined as declined:
            assert expected.fixpoint_limited, declined
            _, state = solve_with_state(list(new.values()))
            stored, changes = pickle.dumps(state), []
        else:
            resumed_any = True
            assert comparable(result) == comparable(expected)
            changes.append(pickle.dumps(delta))
        facts = new
    assert resumed_any


def test_only_what_an_edit_reaches_is_solved_again(tmp_path):
    program = Program(7)
    program.write(tmp_path)
    _, state = solve_with_state(list(facts_of(tmp_path).values()))
    old = facts_of(tmp_path)
    with open(tmp_path / "c.py", "a") as handle:
        handle.write("\n\ndef added(value):\n    return value\n")
    new = facts_of(tmp_path)
    loaded = []

    def load(paths):
        loaded.extend(paths)
        return {p: new[p] for p in paths}

    result, _, _ = resume(state, {"c.py": new["c.py"]}, {"c.py": old["c.py"]}, load, frozenset())
    assert comparable(result) == comparable(solve(list(new.values())))
    # The new function alone: nothing calls it, and the other functions'
    # facts are equal to before (appending moves no line).
    assert result.resumed == 1 and loaded == []


def test_a_subclass_added_elsewhere_is_resumed_and_shares_the_attribute(tmp_path):
    """A class added in another file, whose method writes untrusted data
    into the attribute a base class runs: the base's reader is solved again
    and the new flow is found, as a full solve finds it."""
    program = Program(3)
    program.write(tmp_path)
    old = facts_of(tmp_path)
    _, state = solve_with_state(list(old.values()))
    assert not any(f.site.scope == "ABox.run" for f in solve(list(old.values())).flows)
    with open(tmp_path / "b.py", "a") as handle:
        handle.write("\n\nclass Writer(a.ABox):\n    def put(self, v):\n        self.v = request.args.get('q')\n")
    new = facts_of(tmp_path)
    result, _, _ = resume(state, {"b.py": new["b.py"]}, {"b.py": old["b.py"]},
                          lambda paths: {p: new[p] for p in paths}, frozenset())
    assert comparable(result) == comparable(solve(list(new.values())))
    assert [f.site.scope for f in result.flows if f.site.path == "a.py" and f.site.scope == "ABox.run"] == ["ABox.run"]
    assert result.resumed is not None and result.resumed < len(state.functions)


SERVICE = """\
import subprocess

from flask import request

import helpers


def handler():
    helpers.run(request.args.get("cmd"))
"""

HELPERS = """\
import shlex
import subprocess


def run(command):
    subprocess.call(shlex.quote(command), shell=True)
"""


UNSAFE_HELPERS = HELPERS.replace("shlex.quote(command)", "command")


def two_files(tmp_path: Path, helpers: str) -> tuple[Path, Path]:
    """A project of `service.py` and `helpers.py`, and its cache folder."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "service.py").write_text(SERVICE)
    (root / "helpers.py").write_text(helpers)
    return root, tmp_path / "cache"


def review_with(root: Path, cache: ResultCache | None):
    return review([str(root)], Config(), root=str(root), jobs=1, cache=cache)


def test_a_removed_sanitiser_in_another_file_is_found_by_the_resumed_review(tmp_path):
    """The engine resumes from the stored state: the callers in files that
    did not change are solved again, and the report equals a cold one."""
    root, folder = two_files(tmp_path, HELPERS)
    assert review_with(root, ResultCache(str(folder))).findings == []
    (root / "helpers.py").write_text(UNSAFE_HELPERS)
    cache = ResultCache(str(folder))
    warm = review_with(root, cache)
    assert cache.solutions_resumed == 1 and cache.misses == 1
    cold = review_with(root, None)
    assert [(f.rule, f.path, f.line, [s.path for s in f.trace]) for f in warm.findings] == \
        [(f.rule, f.path, f.line, [s.path for s in f.trace]) for f in cold.findings] == \
        [("py.shell-injection", "helpers.py", 6, ["service.py", "helpers.py", "helpers.py"])]
    # And back: the sanitiser restored, the flow is gone again.
    (root / "helpers.py").write_text(HELPERS + "\n")
    cache = ResultCache(str(folder))
    assert review_with(root, cache).findings == [] and cache.solutions_resumed == 1


def test_the_generator_makes_programs_with_flows(tmp_path):
    """The equivalence above is not vacuous: most programs have flows."""
    with_flows = 0
    for seed in range(10):
        program = Program(seed)
        folder = tmp_path / str(seed)
        folder.mkdir()
        program.write(folder)
        with_flows += bool(solve(list(facts_of(folder).values())).flows)
    assert with_flows >= 7


def test_changes_are_stored_as_steps_until_the_state_is_stored_whole(tmp_path, monkeypatch):
    import sqlite3

    import secreview.cache as cache_module
    from secreview.cache import FILE_NAME

    MAX_STEPS = 8
    monkeypatch.setattr(cache_module, "MAX_STEPS", MAX_STEPS)
    monkeypatch.setattr(cache_module, "STEPS_SHARE", 1000)  # the count decides here
    root, folder = two_files(tmp_path, HELPERS)
    review_with(root, ResultCache(str(folder)))
    steps = []
    writes: list[str] = []
    for edit in range(MAX_STEPS + 2):
        sanitised = edit % 2 == 1
        (root / "helpers.py").write_text((HELPERS if sanitised else UNSAFE_HELPERS) + f"\n# edit {edit}\n")
        cache = ResultCache(str(folder))
        assert cache._db is not None
        cache._db.set_trace_callback(lambda statement: writes.append(statement.split(" (")[0])
                                     if "solver_values" in statement and not statement.startswith("SELECT") else None)
        warm = review_with(root, cache)
        cold = review_with(root, None)
        assert [(f.rule, f.line, f.trace) for f in warm.findings] == [(f.rule, f.line, f.trace) for f in cold.findings]
        assert [(f.rule, f.line) for f in warm.findings] == ([] if sanitised else [("py.shell-injection", 6)])
        assert cache.solutions_resumed == 1
        with sqlite3.connect(folder / FILE_NAME) as db:
            steps.append(db.execute("SELECT COUNT(*) FROM solver_steps").fetchone()[0])
    # Each edit stores its change; once MAX_STEPS are stored, the whole state.
    assert steps == list(range(1, MAX_STEPS + 1)) + [0, 1]
    # A step leaves the stored state's value alone (it is megabytes on a
    # large project); a state stored whole replaces it, and the old is gone.
    assert writes == ["INSERT INTO solver_values VALUES", "DELETE FROM solver_values WHERE generation NOT IN"]
    with sqlite3.connect(folder / FILE_NAME) as db:
        heads = db.execute("SELECT generation FROM solver_heads").fetchall()
        assert db.execute("SELECT generation FROM solver_values").fetchall() == heads and len(heads) == 1


def test_the_latest_states_are_kept_with_their_values_only(tmp_path, monkeypatch):
    import sqlite3

    import secreview.cache as cache_module
    from secreview.cache import FILE_NAME

    monkeypatch.setattr(cache_module, "KEEP_STATES", 2)
    root, folder = two_files(tmp_path, HELPERS)
    for disabled in ("py.weak-hash", "py.xss", "py.xxe"):  # three reviews of other settings: three states
        review([str(root)], Config(disable=(disabled,)), root=str(root), jobs=1, cache=ResultCache(str(folder)))
    with sqlite3.connect(folder / FILE_NAME) as db:
        heads = sorted(db.execute("SELECT generation FROM solver_heads").fetchall())
        assert len(heads) == 2 and sorted(db.execute("SELECT generation FROM solver_values").fetchall()) == heads
        assert db.execute("SELECT COUNT(DISTINCT key) FROM solver_heads").fetchone()[0] == 2


def test_a_cache_with_states_in_the_older_table_drops_them(tmp_path):
    import sqlite3

    from secreview.cache import FILE_NAME

    root, folder = two_files(tmp_path, HELPERS)
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("CREATE TABLE solver_states (key TEXT PRIMARY KEY, generation TEXT NOT NULL, value BLOB NOT NULL, "
                   "used REAL NOT NULL)")
        db.execute("INSERT INTO solver_states VALUES ('k', 'g', x'80049500', 0)")
    cache = ResultCache(str(folder))
    report = review_with(root, cache)
    assert cache.warning is None and [(f.rule, f.line) for f in report.findings] == []
    with sqlite3.connect(folder / FILE_NAME) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "solver_states" not in tables and {"solver_heads", "solver_values"} <= tables


@pytest.mark.parametrize("table", ["solver_values", "solver_steps"])
def test_a_damaged_state_or_step_is_dropped_and_the_review_solves_in_full(tmp_path, table, monkeypatch):
    import sqlite3

    import secreview.cache as cache_module
    from secreview.cache import FILE_NAME

    monkeypatch.setattr(cache_module, "STEPS_SHARE", 1000)  # a step, however large beside this small state

    root, folder = two_files(tmp_path, HELPERS)
    review_with(root, ResultCache(str(folder)))  # the state, whole
    (root / "helpers.py").write_text(UNSAFE_HELPERS)
    review_with(root, ResultCache(str(folder)))  # and one step on it
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute(f"UPDATE {table} SET value = x'80049500'")
    (root / "helpers.py").write_text(UNSAFE_HELPERS + "\n# edited again\n")
    cache = ResultCache(str(folder))
    report = review_with(root, cache)
    assert (cache.solutions_resumed, cache.discarded, cache.warning) == (0, 1, None)
    assert [(f.rule, f.line) for f in report.findings] == [("py.shell-injection", 6)]
    with sqlite3.connect(folder / FILE_NAME) as db:  # a new generation, stored whole, without steps
        assert db.execute("SELECT COUNT(*) FROM solver_steps").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM solver_heads").fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM solver_values").fetchone()[0] == 1  # the damaged one is gone


def test_a_step_stored_meanwhile_by_another_run_wins(tmp_path, monkeypatch):
    """Two runs resume from the same stored state: the first stores its
    change, the second stores nothing (its change applies to the state the
    first replaced); the state read back is the first run's."""
    import secreview.cache as cache_module

    monkeypatch.setattr(cache_module, "STEPS_SHARE", 1000)  # a step, however large beside this small state
    root, cache_folder = two_files(tmp_path, HELPERS)
    folder = str(cache_folder)
    review_with(root, ResultCache(folder))
    first, second = ResultCache(folder), ResultCache(folder)
    (key,) = first._db.execute("SELECT key FROM solver_heads").fetchone()
    runs = []
    for cache, text in ((first, "command"), (second, "command.strip()")):
        files, state, step = cache.get_state(key)
        (root / "helpers.py").write_text(HELPERS.replace("shlex.quote(command)", text))
        new = facts_of(root)
        old = {p: f for p, f in facts_of_text(tmp_path, HELPERS).items()}
        result, _, delta = resume(state, {"helpers.py": new["helpers.py"]}, old,
                                  lambda paths: {p: new[p] for p in paths}, frozenset())
        assert [f.site.line for f in result.flows] == [6]
        runs.append((cache, files, state, step, delta))
    for cache, files, state, step, delta in runs:
        assert step[1] == 0
        cache.stage_state(key, {**files, "helpers.py": f"edited by {id(cache)}"}, state, (step, delta))
        cache.flush()
    files, state, step = ResultCache(folder).get_state(key)
    assert (step[1], files["helpers.py"]) == (1, f"edited by {id(first)}")
    # A run that stores the state whole starts a new generation: a step
    # made on the old one is not stored on it.
    late = ResultCache(folder)
    stale = late.get_state(key)
    whole = ResultCache(folder)
    whole.stage_state(key, {**files, "helpers.py": "stored whole"}, state)
    whole.flush()
    late.stage_state(key, {**files, "helpers.py": "late step"}, stale[1], (stale[2], runs[0][4]))
    late.flush()
    files, _, step = ResultCache(folder).get_state(key)
    assert (step[1], files["helpers.py"]) == (0, "stored whole") and step[0] != stale[2][0]


def facts_of_text(tmp_path: Path, helpers: str) -> dict[str, ModuleFacts]:
    other = tmp_path / "other"
    other.mkdir(exist_ok=True)
    (other / "service.py").write_text(SERVICE)
    (other / "helpers.py").write_text(helpers)
    return {"helpers.py": facts_of(other)["helpers.py"]}


def test_a_defect_in_resuming_costs_time_not_the_result(tmp_path, monkeypatch):
    import secreview.engine as engine_module

    root, folder = two_files(tmp_path, HELPERS)
    review_with(root, ResultCache(str(folder)))
    (root / "helpers.py").write_text(UNSAFE_HELPERS)

    def broken(*_args, **_kwargs):
        raise KeyError("a defect")

    monkeypatch.setattr(engine_module, "resume", broken)
    cache = ResultCache(str(folder))
    report = review_with(root, cache)
    assert cache.solutions_resumed == 0 and report.errors == []
    assert [(f.rule, f.line) for f in report.findings] == [("py.shell-injection", 6)]


def test_with_a_helper_the_state_is_read_once_while_it_runs_the_rules(tmp_path, monkeypatch):
    """After an edit, two jobs: a thread fetches the bytes of the solver
    state while the edited file is parsed, and has ended before the helper
    is forked; the helper runs the rules of the edited file while the
    review unpickles the state, then reads the unchanged files' stored
    results; the resumed solve takes that state without
    reading it again."""
    import secreview.cache as cache_module
    import secreview.engine as engine

    root, folder = two_files(tmp_path, HELPERS)
    review_with(root, ResultCache(str(folder)))
    (root / "helpers.py").write_text(UNSAFE_HELPERS)
    monkeypatch.setattr(engine, "_start_method", lambda: "fork")  # whatever threads other tests left
    events: list[str] = []
    helpers: list[object] = []
    start = engine.RulesHelper.start
    monkeypatch.setattr(engine.RulesHelper, "start", classmethod(
        lambda cls, *args, **options: helpers.append(start(*args, **options)) or helpers[-1]))
    fetches: list[cache_module._StateFetch] = []

    class Fetch(cache_module._StateFetch):
        def __init__(self, *args):
            events.append("fetch")
            fetches.append(self)
            super().__init__(*args)

        def _read(self, path):
            time.sleep(0.2)  # longer than the parse: the fork must wait for it
            super()._read(path)

    monkeypatch.setattr(cache_module, "_StateFetch", Fetch)
    prepared = engine._prepared
    monkeypatch.setattr(engine, "_prepared", lambda *args: events.append("parse") or prepared(*args))
    forked = engine._forked
    monkeypatch.setattr(engine, "_forked", lambda work: events.append(
        "fork, fetch running" if any(f._thread.is_alive() for f in fetches) else "fork") or forked(work))
    read_state = cache_module.ResultCache.read_state_ahead
    monkeypatch.setattr(cache_module.ResultCache, "read_state_ahead",
                        lambda self, key: events.append("unpickle") or read_state(self, key))
    get_many = cache_module.ResultCache.get_many
    monkeypatch.setattr(cache_module.ResultCache, "get_many",
                        lambda self, keys: events.append("results") or get_many(self, keys))
    cache = ResultCache(str(folder))
    reads: list[str] = []
    assert cache._db is not None
    cache._db.set_trace_callback(lambda statement: reads.append(statement) if "FROM solver_heads h JOIN" in statement
                                 else None)
    warm = review([str(root)], Config(), root=str(root), jobs=2, cache=cache)
    assert len(helpers) == 1 and helpers[0] is not None
    assert events == ["fetch", "parse", "fork", "unpickle", "results"]
    assert reads == []  # the thread's own connection read it
    assert cache.solutions_resumed == 1 and cache.misses == 1
    cold = review_with(root, None)
    assert [(f.rule, f.path, f.line, f.trace) for f in warm.findings] == \
        [(f.rule, f.path, f.line, f.trace) for f in cold.findings] != []


@pytest.mark.parametrize("jobs, start", [(2, "fork"), (1, "fork"), (2, "spawn")],
                         ids=["with a helper", "one job", "no helper to be forked"])
def test_the_edited_file_s_unchanged_functions_keep_their_facts(tmp_path, monkeypatch, jobs, start):
    """After an edit, with a helper or without one (one job, or no fork to
    be had): the edited file's functions that the edit did not touch take
    their facts from the file's facts the stored state was made from
    (`secreview.taint.reuse`), which are read once (the resumed solve
    wants them too); the report is a cold review's."""
    import importlib

    import secreview.engine as engine

    monkeypatch.setattr(importlib.import_module("secreview.taint.extract"), "MIN_FUNCTIONS", 0)
    monkeypatch.setattr(engine, "_start_method", lambda: start)
    started = engine.RulesHelper.start
    helpers_started: list[object] = []
    monkeypatch.setattr(engine.RulesHelper, "start", lambda *args, **options: helpers_started.append(
        started(*args, **options)) or helpers_started[-1])
    helpers = HELPERS + "\n\ndef other(value):\n    return value.strip()\n"
    root, folder = two_files(tmp_path, helpers)
    review_with(root, ResultCache(str(folder)))
    (root / "helpers.py").write_text(helpers.replace("shlex.quote(command)", "command"))
    extracted: list[ModuleFacts] = []
    extract = engine.extract
    monkeypatch.setattr(engine, "extract", lambda *args: extracted.append(extract(*args)) or extracted[-1])
    cache = ResultCache(str(folder))
    read: list[str] = []
    load = cache._load
    monkeypatch.setattr(cache, "_load", lambda query, keys, **table: (
        read.extend(keys) if "facts" in query else None) or load(query, keys, **table))
    warm = review([str(root)], Config(), root=str(root), jobs=jobs, cache=cache)
    assert any(helper is not None for helper in helpers_started) == (jobs == 2 and start == "fork")
    assert [(facts.path, facts.reused) for facts in extracted] == [("helpers.py", 1)]  # `other`, not `run`
    assert cache.solutions_resumed == 1 and len(read) == len(set(read))
    cold = review_with(root, None)
    assert [(f.rule, f.path, f.line, f.trace) for f in warm.findings] == \
        [(f.rule, f.path, f.line, f.trace) for f in cold.findings] != []


def test_with_a_helper_the_edited_file_s_facts_are_pickled_before_its_findings_are_awaited(tmp_path, monkeypatch):
    """After an edit, two jobs: the edited file's taint facts are pickled
    as the review settles, before it waits for the helper's findings, and
    what the cache stores is what a cold review stores."""
    import secreview.engine as engine

    monkeypatch.setattr(engine, "_start_method", lambda: "fork")
    root, folder = two_files(tmp_path, HELPERS)
    review_with(root, ResultCache(str(folder)))
    (root / "helpers.py").write_text(UNSAFE_HELPERS)
    events: list[str] = []
    findings = engine.RulesHelper.findings
    monkeypatch.setattr(engine.RulesHelper, "findings", lambda self, index: events.append("findings") or findings(
        self, index))
    ahead = ResultCache.pickle_facts_ahead
    monkeypatch.setattr(ResultCache, "pickle_facts_ahead", lambda self, key, result: events.append(
        "pickled" if result.taint is not None else "no facts") or ahead(self, key, result))
    warm = review([str(root)], Config(), root=str(root), jobs=2, cache=ResultCache(str(folder)))
    assert events == ["pickled", "findings"]
    review_with(root, ResultCache(str(tmp_path / "cold")))

    def stored(folder: Path) -> dict[str, ModuleFacts]:
        with sqlite3.connect(folder / FILE_NAME) as db:
            return {key: pickle.loads(facts) for key, facts in db.execute(
                "SELECT key, facts FROM files WHERE facts IS NOT NULL")}

    cold = stored(tmp_path / "cold")
    assert sorted(facts.path for facts in cold.values()) == ["helpers.py", "service.py"]
    assert {key: stored(folder)[key] for key in cold} == cold
    assert [(f.rule, f.path) for f in warm.findings] == [("py.shell-injection", "helpers.py")]


def test_a_process_that_ends_without_freeing_keeps_the_results_and_the_state_to_its_end(tmp_path):
    """`keep_last_file` (the program): the files' results and the solver's
    state outlive the review instead of being freed as it returns; a
    process that goes on (tests, an embedding program) frees them."""
    import weakref

    import secreview.engine as engine
    from secreview.taint.solve import SolverState

    root, folder = two_files(tmp_path, HELPERS)
    review_with(root, ResultCache(str(folder)))
    (root / "helpers.py").write_text(UNSAFE_HELPERS)
    states: list[weakref.ref] = []
    resume = engine.resume

    def noted(state, *args):
        states.append(weakref.ref(state))
        return resume(state, *args)

    engine.keep_last_file()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(engine, "resume", noted)
            report = review_with(root, ResultCache(str(folder)))
        assert [(f.rule, f.path) for f in report.findings] == [("py.shell-injection", "helpers.py")]
        assert len(states) == 1 and isinstance(states[0](), SolverState)
        [results] = [kept for kept in engine._LastFile.to_the_end if isinstance(kept, list)]
        assert sorted(source.path for source, _, _ in results) == ["helpers.py", "service.py"]
        kept_results = [weakref.ref(result) for _, _, result in results]
        del results
        (root / "service.py").write_text(SERVICE + "\n")
        freed_when_rules_were_selected: list[bool] = []
        select = engine.select_rules
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(engine, "select_rules", lambda config: freed_when_rules_were_selected.append(
                states[0]() is None and all(ref() is None for ref in kept_results)) or select(config))
            review_with(root, None)  # the next review (a change's other side) starts without the last one's
        assert freed_when_rules_were_selected and all(freed_when_rules_were_selected)
        assert len(engine._LastFile.to_the_end) == 1  # its own results
    finally:
        engine.keep_last_file(False)
    assert engine._LastFile.to_the_end == []
    with pytest.MonkeyPatch.context() as patch:  # not kept by default
        patch.setattr(engine, "resume", noted)
        (root / "helpers.py").write_text(HELPERS + "\n\ndef another():\n    return 1\n")
        review_with(root, ResultCache(str(folder)))
    assert len(states) == 2 and states[1]() is None and engine._LastFile.to_the_end == []


def test_a_fetch_waited_for_is_gone_from_the_process_s_threads(tmp_path, monkeypatch):
    """What decides whether the review may fork is the kernel's list of the
    process's threads (`engine._threads`): once the fetch is waited for,
    its thread is no longer in it, even when it ends just as it is waited
    for (a joined thread is listed for a moment after)."""
    import secreview.cache as cache_module

    if not Path("/proc/self/task").is_dir():
        pytest.skip("no /proc: the threads are counted by `threading`")

    class Ending(cache_module._StateFetch):
        def _read(self, path):
            time.sleep(0.005)  # still working when it is waited for

    monkeypatch.setattr(cache_module, "_StateFetch", Ending)
    cache = ResultCache(str(tmp_path / "cache"))
    listed = []
    for _ in range(40):
        wait = cache.fetch_state_ahead("a key")
        native_id = cache._fetched._thread.native_id
        wait()
        listed.append(Path(f"/proc/self/task/{native_id}").exists())
    assert not any(listed)


def test_a_state_fetched_ahead_serves_its_key_and_a_failed_fetch_costs_a_read(tmp_path):
    """The fetched bytes are the state `get_state` reads itself; a fetch for
    another key is waited for and left aside; a fetch that fails (here: no
    database where it looks) leaves the read to `get_state`."""
    import sqlite3

    from secreview.cache import FILE_NAME, state_key

    root, folder = two_files(tmp_path, HELPERS)
    review_with(root, ResultCache(str(folder)))
    with sqlite3.connect(folder / FILE_NAME) as db:
        (key,) = db.execute("SELECT key FROM solver_heads").fetchone()
    direct = ResultCache(str(folder)).get_state(key)
    assert direct is not None

    def same(found, expected=direct):
        assert found is not None
        assert found[0] == expected[0] and found[2] == expected[2]
        assert pickle.dumps(found[1].__getstate__()) == pickle.dumps(expected[1].__getstate__())

    cache = ResultCache(str(folder))
    cache.fetch_state_ahead(key)()
    assert cache._db is not None
    reads: list[str] = []
    cache._db.set_trace_callback(lambda statement: reads.append(statement) if "FROM solver_heads h JOIN" in statement
                                 else None)
    same(cache.get_state(key))
    assert reads == []
    same(cache.get_state(key))  # read again, from the database
    assert len(reads) == 1

    other = ResultCache(str(folder))
    waits = other.fetch_state_ahead(state_key("another review", False))
    same(other.get_state(key))
    fetch = other._fetched
    assert fetch is None  # taken, and waited for
    waits()

    failing = ResultCache(str(folder))
    failing.path = str(tmp_path / "no such folder" / FILE_NAME)
    failing.fetch_state_ahead(key)()
    same(failing.get_state(key))


def test_a_state_read_ahead_serves_the_next_read_of_its_key_only(tmp_path):
    import sqlite3

    from secreview.cache import FILE_NAME, state_key

    root, folder = two_files(tmp_path, HELPERS)
    review_with(root, ResultCache(str(folder)))
    cache = ResultCache(str(folder))
    with sqlite3.connect(folder / FILE_NAME) as db:
        (key,) = db.execute("SELECT key FROM solver_heads").fetchone()
    cache.read_state_ahead(key)
    cache.read_state_ahead(state_key("another review", False))  # the last read ahead counts
    cache.read_state_ahead(key)
    with sqlite3.connect(folder / FILE_NAME) as db:
        db.execute("DELETE FROM solver_heads")
    files, state, step = cache.get_state(key)
    assert sorted(files) == ["helpers.py", "service.py"] and step[1] == 0
    assert cache.get_state(key) is None  # read again: gone


def test_the_state_is_stored_whole_before_its_steps_outgrow_their_share_of_it(tmp_path, monkeypatch):
    """Steps are stored while their bytes, the new one included, stay
    within `STEPS_SHARE` of the whole state's; the edit that would pass it
    stores the state whole, and the steps start again on it."""
    import sqlite3

    import secreview.cache as cache_module
    from secreview.cache import FILE_NAME

    root, folder = two_files(tmp_path, HELPERS)
    review_with(root, ResultCache(str(folder)))
    monkeypatch.setattr(cache_module, "STEPS_SHARE", 1000)  # the first change: a step, to measure

    def edit(number: int) -> None:
        (root / "helpers.py").write_text((UNSAFE_HELPERS if number % 2 else HELPERS) + f"\n# edit {number}\n")
        review_with(root, ResultCache(str(folder)))

    def stored() -> tuple[int, list[int]]:
        with sqlite3.connect(folder / FILE_NAME) as db:
            (whole,) = db.execute("SELECT length(value) FROM solver_values").fetchone()
            return whole, [size for (size,) in db.execute("SELECT length(value) FROM solver_steps ORDER BY step")]

    edit(1)
    whole, steps = stored()
    assert len(steps) == 1
    # Room for two steps of this size (the edits alternate two texts), not three.
    monkeypatch.setattr(cache_module, "STEPS_SHARE", 2.5 * steps[0] / whole)
    counts = []
    for number in range(2, 7):
        edit(number)
        now_whole, steps = stored()
        counts.append(len(steps))
        assert sum(steps) <= cache_module.STEPS_SHARE * now_whole
    # The third step would have passed the share: the state was stored
    # whole. (Later, the new state's size, a little larger, sets the room.)
    assert counts[:3] == [2, 0, 1] and 0 not in counts[3:4]
    cold = review_with(root, None)
    warm = review_with(root, ResultCache(str(folder)))
    assert [(f.rule, f.line, f.trace) for f in warm.findings] == [(f.rule, f.line, f.trace) for f in cold.findings]


def test_a_stored_state_unpickles_only_the_entries_a_resume_uses(tmp_path):
    """The largest tables of a stored state stay pickled entry by entry
    until used; storing the state again keeps the unused entries' bytes."""
    from secreview.taint.solve import PackedTable, StubTable

    program = Program(3)
    program.write(tmp_path)
    facts = facts_of(tmp_path)
    _, state = solve_with_state(list(facts.values()))
    loaded = pickle.loads(pickle.dumps(state))
    for name in ("functions", "ret", "sinks"):
        table = getattr(loaded, name)
        assert isinstance(table, PackedTable) and not table._open
        assert dict(table.items()) == dict(getattr(state, name).items())  # every entry, unpickled on use
    loaded = pickle.loads(pickle.dumps(state))
    edited = f"{program.edit()}.py"
    program.write(tmp_path)
    new = facts_of(tmp_path)
    result, after, _ = resume(loaded, {edited: new.get(edited)}, {edited: facts[edited]},
                              lambda paths: {p: new[p] for p in paths}, frozenset(), max_share=1.0)
    assert comparable(result) == comparable(solve(list(new.values())))
    sinks = after.sinks
    assert isinstance(sinks, PackedTable) and 0 < len(sinks._open) < len(sinks)
    # Coverage is judged from `exposed`, kept equal to what the sinks show,
    # without unpickling the sinks of every entry point.
    full = solve_with_state(list(new.values()))[1]
    assert after.exposed == full.exposed and any(full.exposed.values())
    solver = _Solver([], frozenset())
    solver.restore(pickle.loads(pickle.dumps(full)))
    assert comparable(solver.run([])) == comparable(solve(list(new.values()))) and not solver.sinks._open
    untouched = dict(sinks._packed)
    again = sinks.packed()
    assert all(again[name] is data for name, data in untouched.items())  # not pickled again
    assert len(again) == len(sinks)
    # The functions' stubs are kept as tuples until used, and stored so.
    assert isinstance(after.functions, StubTable) and dict(after.functions.items()) == dict(full.functions.items())


def test_a_packed_table_behaves_as_a_mapping():
    from secreview.taint.solve import PackedTable

    table = PackedTable({"a": pickle.dumps([1]), "b": pickle.dumps({"x": 2})})
    assert len(table) == 2 and "a" in table and "c" not in table
    assert table.get("c") is None and table.get("c", 5) == 5
    assert table["a"] == [1] and table["a"] is table.get("a")  # unpickled once
    table["c"] = 3
    assert sorted(table) == ["a", "b", "c"] and table.pop("b") == {"x": 2} and table.pop("b", None) is None
    del table["a"]
    with pytest.raises(KeyError):
        table["a"]
    with pytest.raises(KeyError):
        del table["zz"]
    assert {k: pickle.loads(v) for k, v in table.packed().items()} == {"c": 3}


def test_a_stub_table_builds_each_function_on_use_and_copies_apart():
    from secreview.taint.facts import FunctionFacts
    from secreview.taint.solve import StubTable

    table = StubTable({"m.f": ("m.py", ["x"], "function"), "m.C.g": ("m.py", ["self"], "method")})
    assert table["m.f"] == FunctionFacts("m.f", "m.py", ["x"], "function") and table["m.f"] is table["m.f"]
    copy = table.copy()
    copy.pop("m.C.g")
    copy["m.h"] = FunctionFacts("m.h", "m.py", [], "function", sinks=[("site", {})])
    assert sorted(table) == ["m.C.g", "m.f"] and sorted(copy) == ["m.f", "m.h"]
    # Stored, a function keeps only what lookups need of it.
    assert StubTable.pack(copy) == {"m.f": ("m.py", ["x"], "function"), "m.h": ("m.py", [], "function")}
    assert StubTable.pack({"m.h": copy["m.h"]}) == {"m.h": ("m.py", [], "function")}
