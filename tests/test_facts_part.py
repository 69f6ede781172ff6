"""A module's functions' taint facts extracted in two parts (`FunctionsPart`):
the review extracts the first functions while its rules helper extracts
the rest, and the merged facts must be the facts of one extraction."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secreview.python.context import FileContext
from secreview.python.source import parse_source
from secreview.taint.extract import (
    PART_MIN_CHARS, FunctionsPart, ModuleFacts, ProjectModules, extract, extract_part, part_start,
)
from secreview.taint.models import load_models

# `secreview.taint.extract` is also the name of the function the package exports.
extract_module = importlib.import_module("secreview.taint.extract")
MODELS = load_models(())
PROJECT = ProjectModules(["app", "app.views", "app.tools"])

# Flows into sinks, a sink no data reaches, code a constant condition never
# runs, nested functions, methods reading attributes set in other methods,
# module-level names read as globals, and a call between functions.
APP = textwrap.dedent('''
    import os
    import subprocess
    from flask import Flask, request

    app = Flask(__name__)
    DEBUG = False
    PREFIX = "ping -c 1 "


    def run(command):
        return subprocess.run(command, shell=True)


    class Service:
        def __init__(self, host):
            self.host = host

        def ping(self):
            return run(PREFIX + self.host)

        def quiet(self):
            os.system("uptime")  # no data reaches it
            if DEBUG and False:
                os.system(self.host)


    @app.route("/ping")
    def ping():
        host = request.args.get("host", "")

        def inner(value):
            return os.system(value)

        inner(host)
        return Service(host).ping()


    def later(a, b):
        if False:
            return os.system(a)
        return [b, a]
''')


def _context(text: str, path: str = "app/views.py") -> FileContext:
    ctx = FileContext(parse_source(text, path))
    ctx.build_index()
    return ctx


def _facts(ctx: FileContext, rest: tuple | None = None) -> ModuleFacts:
    return extract(ctx, MODELS, "app.views", False, PROJECT, None, rest)


def _part(ctx: FileContext, start: int) -> FunctionsPart:
    """A part as the helper sends it: pickled and read back."""
    return pickle.loads(pickle.dumps(extract_part(ctx, MODELS, "app.views", False, PROJECT, None, start)))


def _stdlib(name: str) -> str:
    return Path(sys.modules[name].__file__ or "").read_text(encoding="utf-8")


@pytest.mark.parametrize("text", [APP, _stdlib("subprocess"), _stdlib("argparse"), _stdlib("textwrap")],
                         ids=["app", "subprocess", "argparse", "textwrap"])
def test_the_facts_merged_from_two_parts_are_the_facts_of_one_extraction(text: str) -> None:
    whole = _facts(_context(text))
    count = len(_context(text).functions)
    assert count > 3
    for start in sorted({0, 1, count // 3, count // 2, count - 1, count}):
        ctx = _context(text)  # each extraction on a tree of its own, as in two processes
        part = _part(_context(text), start)
        assert part.start == start and len(part.functions) == count - start
        merged = _facts(ctx, (start, lambda: part))
        assert merged == whole, start


def test_the_app_s_part_carries_its_functions_sinks_and_dead_code() -> None:
    """What the functions of the part add to the module's facts comes with
    it, and only that."""
    ctx = _context(APP)
    names = [node.name for node in ctx.functions]
    start = names.index("ping", names.index("quiet"))  # the route: its flows, its nested function, `later`
    part = _part(ctx, start)
    assert [f.qualname for f in part.functions] == ["app.views.ping", "app.views.ping.<locals>.inner",
                                                    "app.views.later"]
    lines = APP.splitlines()
    uptime, later = (next(n for n, line in enumerate(lines, 1) if text in line)
                     for text in ('os.system("uptime")', "def later"))
    whole = _facts(_context(APP))
    assert whole.dead == [(uptime + 2, uptime + 2), (later + 2, later + 2)]
    assert part.dead == [(later + 2, later + 2)]
    assert (uptime, "shell") in whole.clean_sinks
    assert part.clean_sinks == set()  # the clean `uptime` is in `quiet`, before the part


def test_the_merged_facts_count_the_functions_bounded_in_the_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract_module, "MAX_STEPS", 12)  # every function of some size goes over it
    whole = _facts(_context(APP))
    assert whole.bounded > 1
    count = len(_context(APP).functions)
    part = _part(_context(APP), count // 2)
    assert part.bounded > 0
    assert _facts(_context(APP), (count // 2, lambda: part)) == whole


@pytest.mark.parametrize("answer", ["none", "another start", "too few"])
def test_without_the_right_part_the_rest_is_extracted_here(answer: str) -> None:
    count = len(_context(APP).functions)
    start = count // 2
    part = _part(_context(APP), start)
    given = {"none": None,
             "another start": _part(_context(APP), start + 1),
             "too few": FunctionsPart(start, part.functions[:-1], part.clean_sinks, part.dead, part.bounded)}[answer]
    asked: list[bool] = []
    merged = _facts(_context(APP), (start, lambda: asked.append(True) or given))
    assert asked == [True]
    assert merged == _facts(_context(APP))


def test_a_part_starts_at_the_first_function_in_the_last_share_of_a_large_file() -> None:
    small = _context(APP)
    assert part_start(small, 0.2) is None  # not worth another process's time
    filler = "".join(f"\n\ndef f{n}(a):\n    return [a, {n}]  # {'x' * 40}\n" for n in range(1200))
    text = APP + filler
    assert len(text) >= PART_MIN_CHARS
    ctx = _context(text)
    start = part_start(ctx, 0.2)
    assert start is not None
    lines = len(ctx.module.lines)
    assert ctx.functions[start].lineno >= lines * 0.8 > ctx.functions[start - 1].lineno
    # Every function in the last fifth: the whole of the last definitions.
    assert part_start(_context(APP + filler + "\nX = [\n" + "    1,\n" * 20000 + "]\n"), 0.2) is None


def test_a_part_extracted_in_another_process_is_the_same(tmp_path: Path) -> None:
    """The part crosses a process boundary as a pickle: made in a fresh
    interpreter from the same text, it merges into the same facts."""
    source = tmp_path / "views.py"
    source.write_text(APP)
    count = len(_context(APP).functions)
    made = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(f"""
            import pickle, sys
            from tests.test_facts_part import _context, MODELS, PROJECT
            from secreview.taint.extract import extract_part
            ctx = _context(open({str(source)!r}).read())
            sys.stdout.buffer.write(pickle.dumps(
                extract_part(ctx, MODELS, "app.views", False, PROJECT, None, {count // 2})))
        """)], capture_output=True, check=True, cwd=Path(__file__).resolve().parent.parent, timeout=120)
    part = pickle.loads(made.stdout)
    assert _facts(_context(APP), (count // 2, lambda: part)) == _facts(_context(APP))
