"""The shortcuts that spare work on files no rule needs must give exactly
what the slow, general way gives: comments from the tree as the tokenizer
finds them, function counts as the index counts them, and rules that skip a
file only when they could not report in it."""

from __future__ import annotations

import ast
import sys
import textwrap

import pytest

from secreview.config import Config
from secreview.engine import analyse_module, select_rules
from secreview.python.context import FileContext, count_functions
from secreview.python.source import _comments, comments_from_tree, parse_source
from secreview.rules.base import has_word, names_member

TRICKY = {
    "hash in strings": '''
        x = "a # b"  # real one
        y = 'c#d'
        z = """
        # not a comment
        """  # after a docstring
        ''',
    "implicit concatenation across lines": '''
        message = ('first part # still text'  # a comment between pieces
                   'second part'
                   # a comment line inside the literal's span
                   "third # text")  # after it
        ''',
    "f-strings": '''
        name = "x"
        a = f"{name}#{name!r:>10}"  # one
        b = (f"{name}"  # two
             f"#{name}")
        ''',
    "decorators above a def": '''
        @decorate("a#b")  # on the decorator
        @other(
            "c#d",  # inside its arguments
        )
        def f():  # on the def
            return "#"
        ''',
    "non-ASCII before the hash": '''
        s = "é#ü"  # café
        t = "日本" # 語
        ''',
    "bytes and raw strings": '''
        b = b"#" + rb"\\#"  # b
        r = r"\\" "#"  # r
        ''',
    "continuation lines": '''
        total = 1 + \\
            2  # end
        ''',
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_comments_from_the_tree_are_the_tokenizers(name):
    text = textwrap.dedent(TRICKY[name])
    module = parse_source(text, "t.py")
    expected = _comments(text, module.lines)
    assert expected, "each case holds at least one comment"
    found = comments_from_tree(module.tree, module.lines)
    if name == "f-strings" and sys.version_info >= (3, 12):
        # Since 3.12 an f-string's fields may hold its own quotes, so the
        # pieces of one over several lines are not told apart by their text:
        # the shortcut declines, and the module asks the tokenizer.
        assert found is None
    else:
        assert found == expected
    assert module.comments == expected


def test_comments_of_a_file_without_any_hash():
    module = parse_source("x = 1\n", "t.py")
    assert comments_from_tree(module.tree, module.lines) == {}


FUNCTIONS = '''
import functools

@functools.lru_cache(maxsize=(lambda: 4)())
def outer(a=lambda: 1, *, b=(lambda x: x)):
    def inner():
        return [lambda: i for i in range(3)]
    class K:
        async def method(self):
            pass
    try:
        pass
    except (lambda: ValueError)():
        def handler():
            pass
    return inner

match = lambda v: v
for item in map(lambda y: y, []):
    def in_loop():
        pass
'''


DEFS_ONLY = """
class A:
    def a(self):
        if True:
            def b():
                with open("f") as f:
                    async def c():
                        pass
        else:
            def d():
                pass
    while False:
        def e():
            pass
"""


@pytest.mark.parametrize("source", [FUNCTIONS, DEFS_ONLY, "x = 1\n", "'''lambda'''\n"])
def test_counting_functions_without_the_index_matches_the_index(source):
    module = parse_source(source, "t.py")
    quick = count_functions(module.tree, module.lines)
    indexed = FileContext(module)
    indexed.parents  # builds the index
    assert indexed.indexed
    expected = sum(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                   for node in ast.walk(module.tree))
    assert quick == indexed.function_count == expected


def test_has_word_matches_whole_identifiers_only():
    assert has_word("eval(x)", "eval")
    assert has_word("from os import system as run", "system")
    assert not has_word("x.execute(q)", "exec")
    assert not has_word("filesystem = 1", "system")
    assert not has_word("system_name", "system")
    assert has_word("a = 1; exec", "exec")


def _review(source: str, path: str) -> tuple[list[tuple[str, int]], FileContext]:
    module = parse_source(textwrap.dedent(source), path)
    ctx = FileContext(module, is_test="test" in path)
    rules = [rule for rule in select_rules(Config()) if not (ctx.is_test and rule.harmless_in_tests)]
    findings = analyse_module(module, rules, ctx.is_test, ctx)
    return sorted((f.rule, f.line) for f in findings), ctx


def test_a_test_file_no_rule_needs_is_not_indexed():
    findings, ctx = _review('''
        import unittest

        class T(unittest.TestCase):
            def test_fs(self):
                self.assertEqual(connect("qemu:///system").execute("x"), 1)
        ''', "tests/test_fs.py")
    assert findings == []
    assert not ctx.indexed
    assert ctx.function_count == 1


@pytest.mark.parametrize("source, expected", [
    # Renamed by the import: the function's name is in the import, not the call.
    ('''
        from os import system as run

        def go(cmd):
            run(cmd)
        ''', [("py.shell-injection", 5)]),
    # A comment between the module's dot and the function's name.
    ('''
        import os

        def go(cmd):
            (os.  # the shell
                system)(cmd)
        ''', [("py.shell-injection", 5)]),
    ('''
        import subprocess as sp

        def go(cmd):
            sp.call(cmd, shell=True)
        ''', [("py.shell-injection", 5)]),
    ('''
        def go(code):
            exec(code)
        ''', [("py.code-eval", 3)]),
    # Look-alikes: a string that names the call, a method with a longer name.
    ('''
        URI = "qemu:///system"

        def go(cursor, q):
            cursor.execute(q)
        ''', []),
])
def test_rules_with_needles_still_report_in_test_files(source, expected):
    findings, _ = _review(source, "tests/test_x.py")
    assert findings == expected


@pytest.mark.parametrize("text, expected", [
    ("import os\nos.system(x)", True),
    ("import os as o\no.system(x)", True),
    ("from os import system as run\nrun(x)", True),
    ("from os import (\n    path,\n    system,\n)\n", True),
    ("from os import path, \\\n    system\n", True),
    ("import os\nos.\\\n    system(x)", True),
    ("import os\n(os\n .system(x))", True),
    # A comment between the module's dot and the function's name.
    ("import os\n(os.  # the shell\n    system)(x)", True),
    ("import os\n(os.  # see #42, it says system\n    # and more\n\n    system)(x)", True),
    # Comments inside a parenthesised import list (one saying "import").
    ("from os import (  # noqa\n    system)\n", True),
    ("from os import (path,  # see the import docs\n    system)\n", True),
    # Look-alikes: the word in a string, a longer attribute, no module, no import.
    ("import os\nuri = 'qemu:///system'", False),
    ("import os\ninstance.system_metadata['x']", False),
    ("cursor.system(1)", False),
    ("import os\nimport foo\nsystem = 1", False),
    ("import os, mysystem", False),
])
def test_a_module_function_needle_matches_how_the_qualified_name_can_arise(text, expected):
    assert names_member(text, "os", "system") is expected
