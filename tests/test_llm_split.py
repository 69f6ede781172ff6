"""The LLM reviewer's file splitter: chunks on statement boundaries with
grounding context, rendered numbered by line."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

import secreview
from secreview.llm.split import Chunk, split_file
from secreview.python.source import source_lines

HEADER = "import os\nfrom pathlib import (\n    Path,\n)\nLIMIT = 10\n\n"  # lines 1-6
IMPORTS = (1, 2, 3, 4)


def _function(index: int, size: int, *, uses_limit: bool = False) -> str:
    """A `size`-line block: def line, body, one blank line."""
    body = [f"    value_{j} = os.path.join(path, 'part{j}')" for j in range(size - 3)]
    last = "    return LIMIT" if uses_limit else "    return Path(path)"
    return "\n".join([f"def func_{index}(path):", *body, last, ""]) + "\n"


def _nine_hundred(lines_of: dict[int, str] | None = None) -> str:
    """900 lines: the header, then 30 functions (6 of 29 lines, 24 of 30);
    only func_14 uses LIMIT. `lines_of` replaces whole lines by number."""
    text = HEADER + "".join(_function(i, 29 if i < 6 else 30, uses_limit=i == 14) for i in range(30))
    lines = source_lines(text)
    for number, replacement in (lines_of or {}).items():
        lines[number - 1] = replacement
    return "\n".join(lines) + "\n"


def _focus_lines(chunks: list[Chunk]) -> list[int]:
    return [n for chunk in chunks for n in range(chunk.focus[0], chunk.focus[1] + 1)]


def _definition_spans(tree: ast.AST) -> list[tuple[int, int]]:
    return [(min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno or node.lineno)
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_small_file_is_one_whole_file_chunk() -> None:
    text = "import os\n\ndef cwd():\n    return os.getcwd()\n"
    assert split_file("a.py", text) == [Chunk("a.py", (1, 4), ())]
    assert split_file("a.py", text, max_lines=4) == [Chunk("a.py", (1, 4), ())]
    assert split_file("a.py", "") == []


def test_nine_hundred_lines_split_between_functions_with_imports_as_context() -> None:
    text = _nine_hundred()
    assert len(source_lines(text)) == 900
    chunks = split_file("m.py", text, max_lines=300)
    assert chunks == [
        Chunk("m.py", (1, 300), ()),
        Chunk("m.py", (301, 600), IMPORTS + (5,)),  # func_14 uses LIMIT
        Chunk("m.py", (601, 900), IMPORTS),
    ]
    assert _focus_lines(chunks) == list(range(1, 901))
    for first, last in _definition_spans(ast.parse(text)):
        assert any(c.focus[0] <= first and last <= c.focus[1] for c in chunks), (first, last)


def _store_class(lines_of: dict[int, str] | None = None) -> str:
    """611 lines: an import, a decorated 606-line class of 30 methods
    (method_k on lines 10+20k .. 29+20k), a two-line function."""
    methods = "".join(
        f"    def method_{k}(self):\n" + "".join(f"        self.v{j} = {j}\n" for j in range(18)) + "\n"
        for k in range(30))
    text = ("import os\n\n\n@register\nclass Store(\n    Base,\n):\n    \"\"\"Doc.\"\"\"\n\n"
            + methods + "def after():\n    return os.sep\n")
    lines = source_lines(text)
    for number, replacement in (lines_of or {}).items():
        lines[number - 1] = replacement
    return "\n".join(lines) + "\n"


def test_huge_class_is_split_between_methods_with_its_header_as_context() -> None:
    text = _store_class()
    assert len(source_lines(text)) == 611
    chunks = split_file("s.py", text, max_lines=100)
    context = (1, 4, 5, 6, 7)  # the import; the decorator and class lines
    assert chunks == [Chunk("s.py", (1, 89), ())] + [
        Chunk("s.py", (first, first + 99), context) for first in range(90, 590, 100)
    ] + [Chunk("s.py", (590, 611), context)]


def _huge_function(lines_of: dict[int, str] | None = None) -> str:
    """1,503 lines: an import and `huge` (lines 4-1503): a three-line
    signature, a docstring, 149 ten-line `if` statements on lines
    8+10k .. 17+10k, a six-line `return`."""
    statements = "".join(
        f"    if path == '{k}':\n" + "".join(f"        total += {j}\n" for j in range(9))
        for k in range(149))
    text = ("import os\n\n\ndef huge(\n    path,\n):\n    \"\"\"Doc.\"\"\"\n" + statements
            + "    return (\n        total\n        + 1\n        + 2\n        + 3\n    )\n")
    lines = source_lines(text)
    for number, replacement in (lines_of or {}).items():
        lines[number - 1] = replacement
    return "\n".join(lines) + "\n"


def test_function_over_four_chunks_is_cut_between_body_statements() -> None:
    text = _huge_function()
    assert _definition_spans(ast.parse(text)) == [(4, 1503)]  # a 1,500-line function
    chunks = split_file("h.py", text, max_lines=300)
    signature = (1, 4, 5, 6)  # the import; the def lines
    assert chunks == [Chunk("h.py", (1, 297), ())] + [
        Chunk("h.py", (first, first + 299), signature) for first in range(298, 1498, 300)
    ] + [Chunk("h.py", (1498, 1503), signature)]
    assert _focus_lines(chunks) == list(range(1, 1504))


def test_function_up_to_four_chunks_stays_whole() -> None:
    body = "".join(f"    x{j} = {j}\n" for j in range(698))
    text = "import os\n\ndef small():\n    return 1\n\ndef big():\n" + body + "    return os\n\ndef tail():\n    return 2\n"
    chunks = split_file("b.py", text, max_lines=300)
    assert chunks == [
        Chunk("b.py", (1, 5), ()),
        Chunk("b.py", (6, 706), (1,)),  # 701 lines, under 4 * 300
        Chunk("b.py", (707, 708), (1,)),
    ]


def test_changed_lines_select_exactly_their_chunks() -> None:
    text = _nine_hundred()
    every = split_file("m.py", text, max_lines=300)
    assert split_file("m.py", text, max_lines=300, changed=[5, 450]) == every[:2]
    assert split_file("m.py", text, max_lines=300, changed=iter([899])) == every[2:]
    assert split_file("m.py", text, max_lines=300, changed=[300, 601]) == [every[0], every[2]]
    assert split_file("m.py", text, max_lines=300, changed=[]) == []
    small = "import os\n\nprint(os.sep)\n"
    assert split_file("a.py", small, changed=[3]) == [Chunk("a.py", (1, 3), ())]
    assert split_file("a.py", small, changed=[4]) == []


def test_render_numbers_lines_marks_context_and_gaps() -> None:
    lines = ["import os", "import re", "", "", "LIMIT = 3", "", "", "",
             "def f(x):", "\tif x > LIMIT:  ", "\t\treturn os.sep", "# end"]
    chunk = Chunk("a.py", (9, 11), (1, 2, 5))
    assert chunk.shown == frozenset({1, 2, 5, 9, 10, 11})
    assert chunk.render(lines) == (
        " 1 : import os\n"
        " 2 : import re\n"
        "... (lines 3-4 not shown)\n"
        " 5 : LIMIT = 3\n"
        "... (lines 6-8 not shown)\n"
        " 9 | def f(x):\n"
        "10 | \tif x > LIMIT:  \n"
        "11 | \t\treturn os.sep"
    )
    assert Chunk("a.py", (3, 3), (1,)).render(lines) == " 1 : import os\n... (line 2 not shown)\n 3 | "
    with pytest.raises(ValueError):
        Chunk("a.py", (12, 13)).render(lines)


def test_render_of_a_split_chunk_shows_the_file_numbers() -> None:
    text = _nine_hundred()
    second = split_file("m.py", text, max_lines=300)[1]
    rendered = second.render(source_lines(text)).splitlines()
    assert rendered[:7] == [
        "  1 : import os",
        "  2 : from pathlib import (",
        "  3 :     Path,",
        "  4 : )",
        "  5 : LIMIT = 10",
        "... (lines 6-300 not shown)",
        "301 | def func_10(path):",
    ]
    assert rendered[-1] == "600 | "
    assert len(rendered) == 6 + 300


def test_file_with_syntax_errors_still_splits_between_functions() -> None:
    broken = _nine_hundred({65: "def func_2(path:", 420: "    print 'python 2'"})
    with pytest.raises(SyntaxError):
        ast.parse(broken)
    assert split_file("m.py", broken, max_lines=300) == split_file("m.py", _nine_hundred(), max_lines=300)


def test_class_with_bracket_errors_still_splits_between_methods() -> None:
    broken = _store_class({31: "        self.v0 = (0", 111: "        self.v0 = 0)", 200: "        self.v9 = ]"})
    with pytest.raises(SyntaxError):
        ast.parse(broken)
    assert split_file("s.py", broken, max_lines=100) == split_file("s.py", _store_class(), max_lines=100)
    broken = _huge_function({100: "        total += 1)]"})
    with pytest.raises(SyntaxError):
        ast.parse(broken)
    assert split_file("h.py", broken, max_lines=300) == split_file("h.py", _huge_function(), max_lines=300)


def test_decorators_and_comments_directly_above_stay_with_their_function() -> None:
    text = ("import os\n\n\ndef a():\n    return 1\n# Section: views.\n\n"
            "# Route for b.\n@app.route(\n    '/b',\n)\n@login_required\ndef b():\n    return os.sep\n")
    assert split_file("v.py", text, max_lines=10) == [
        Chunk("v.py", (1, 7), ()),
        Chunk("v.py", (8, 14), (1,)),
    ]


def test_module_constants_shown_are_the_used_ones_within_twenty_lines() -> None:
    table = "TABLE = [\n" + "".join(f"    {j},\n" for j in range(23)) + "]\n"  # 25 lines
    text = ("import os\nSMALL = 1\nUNUSED = 2\n" + table + "PAIR = (\n    1, 2)\n\n"
            + "".join(_function(i, 30) for i in range(10))
            + "def last():\n    return SMALL, PAIR, TABLE\n")
    chunks = split_file("c.py", text, max_lines=60)
    assert chunks[-1].focus == (332, 333)
    assert chunks[-1].context == (1, 2, 29, 30)  # TABLE's 25 lines would pass the 20-line budget


def test_constants_in_the_chunk_itself_take_none_of_the_budget() -> None:
    local = "LOCAL = [\n" + "".join(f"    {j},\n" for j in range(17)) + "]\n"  # lines 31-49
    text = ("import os\n" + _function(0, 29) + local + "def uses():\n    return LOCAL, LATER\n\n"
            + _function(1, 29) + "LATER = (\n    1, 2)\n")
    assert split_file("c.py", text, max_lines=30) == [
        Chunk("c.py", (1, 30), ()),
        Chunk("c.py", (31, 52), (1, 82, 83)),
        Chunk("c.py", (53, 81), (1,)),
        Chunk("c.py", (82, 83), (1,)),
    ]


def test_clauses_stay_with_their_statement() -> None:
    text = ("import os\nif os.name == 'nt':\n    A = 1\n    B = 2\nelif os.name == 'java':\n    A = 3\n"
            "else:\n    A = 4\ntry:\n    import pwd\n    import grp\nexcept ImportError:\n    pwd = None\n"
            "finally:\n    C = 5\ndef f():\n    return A\n")
    assert split_file("k.py", text, max_lines=5) == [
        Chunk("k.py", (1, 1), ()),
        Chunk("k.py", (2, 8), (1,)),
        Chunk("k.py", (9, 15), (1,)),
        Chunk("k.py", (16, 17), (1,)),
    ]


def test_every_package_module_splits_on_statement_boundaries() -> None:
    """The scanner agrees with `ast` on real code: cuts fall only where a
    statement (or the comments directly above it) starts, functions of up
    to four chunks stay whole, and later chunks show every import."""
    root = Path(secreview.__file__).parent
    checked = 0
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = source_lines(text)
        tree = ast.parse(text)
        starts = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt):
                start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                starts.add(start)
                while start > 1 and lines[start - 2].lstrip().startswith("#"):
                    start -= 1
                    starts.add(start)
        imports = {n for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
                   for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)}
        chunks = split_file(str(path), text, max_lines=40)
        assert _focus_lines(chunks) == list(range(1, len(lines) + 1)), path
        for index, chunk in enumerate(chunks[1:], start=1):
            assert chunk.focus[0] in starts, (path, chunk.focus)
            assert imports - set(range(chunk.focus[0], chunk.focus[1] + 1)) <= set(chunk.context), path
        for first, last in _definition_spans(tree):
            if last - first < 4 * 40:
                assert any(c.focus[0] <= first and last <= c.focus[1] for c in chunks), (path, first)
        checked += len(chunks) > 1
    assert checked >= 20


def test_ten_thousand_lines_split_faster_than_ast_parses_them() -> None:
    text = HEADER + "".join(_function(i, 10) for i in range(999)) + "\n" * 4
    assert len(source_lines(text)) == 10_000

    def best(run) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)

    assert best(lambda: split_file("big.py", text)) < best(lambda: ast.parse(text))
