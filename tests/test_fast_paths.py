"""The shortcuts that spare work on files no rule needs must give exactly
what the slow, general way gives: comments from the tree as the tokenizer
finds them, function counts as the index counts them, and rules that skip a
file only when they could not report in it."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secreview.config import Config
from secreview.engine import analyse_module, select_rules
from secreview.python.context import FileContext, count_functions
from secreview.python.source import _comments, comments_from_tree, parse_source
from secreview.rules.base import _in_import, has_word, names_member

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


# Lambdas where a block's first line is not its first statement's: in the
# decorator above a nested block's first statement, in `case` clauses (no
# position of their own), in an `else` after a block without any.
BLOCK_EDGES = """
class C:
    @staticmethod
    @decorate(key=lambda item: item)
    def first():
        pass

    def second(self):
        match self:
            case {"k": v} if (lambda: v)():
                return [lambda: 1]
            case _:
                pass
        for x in []:
            pass
        else:
            g = lambda: 2
"""
# The only lambda of a block above its first statement's line.
DECORATED_FIRST = """
class D:
    @decorate(key=lambda item: item)
    def only():
        pass
"""


@pytest.mark.parametrize("source", [FUNCTIONS, DEFS_ONLY, BLOCK_EDGES, DECORATED_FIRST, "x = 1\n", "'''lambda'''\n"] + [
    Path(module.__file__).read_text(encoding="utf-8") for module in (subprocess, ast, textwrap, re)])
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


def _in_import_by_definition(text: str, position: int) -> bool:
    """`rules.base._in_import` as first written: each `import` before the
    position tried in turn, its list read up to the position (quadratic, so
    replaced; kept here as the definition the fast one must match)."""
    end = position
    while True:
        begin = text.rfind("import", 0, end)
        if begin < 0:
            return False
        end = begin
        if (begin and (text[begin - 1].isalnum() or text[begin - 1] == "_")) or (
                text[begin + 6].isalnum() or text[begin + 6] == "_"):
            continue
        parenthesised, previous, index, listed = False, "", begin + 6, True
        while index < position:
            char = text[index]
            if char == "#":
                index = text.find("\n", index, position)
                if index < 0:
                    listed = False
                    break
                continue
            if char == "(":
                parenthesised = True
            elif char == "\n":
                if not parenthesised and previous != "\\":
                    listed = False
                    break
            elif not (char.isalnum() or char in "_ \t,)\\"):
                listed = False
                break
            if char != "\r":
                previous = char
            index += 1
        if listed:
            return True


IMPORT_LISTS = [
    "from os import (path,  # see the import docs\n    system)\n",
    "from os import (  # system\n    system)  # system\nsystem\n",
    "import os, \\\n    system # system",
    "from a import b\\\r\n, system\r\nsystem = import_system\n# import system",
    "x = 1  # import system",
    "from os import system\nimport",
    "from os import (path,\n\n    # import\n    system, popen)\ny = system(popen)\n",
    "imports = 1; from os import path as system; system.import_",
    # The nearest imports stand in comments of the list: the one that counts is further back.
    "from os import (path,  # import a\n    # import b\n    # import c\n    system)\n",
]


@pytest.mark.parametrize("text", IMPORT_LISTS + [
    Path(module.__file__).read_text(encoding="utf-8") for module in (subprocess, ast, textwrap)])
def test_import_lists_are_read_once_with_the_same_answers(text: str) -> None:
    """At every start of a word, the fast lookup gives what the definition
    gives."""
    positions = [match.start() for match in re.finditer(r"\b\w", text)]
    assert positions
    assert [_in_import(text, p) for p in positions] == [_in_import_by_definition(text, p) for p in positions]
