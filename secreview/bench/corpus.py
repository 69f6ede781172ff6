"""Line-level truth for our own corpus, generated from its labels.

The labels live beside the code they describe (see corpus/README.md):
`# expect: py.<rule>` marks a vulnerable line, `# safe: py.<rule>` a decoy,
and in `rules/<rule>/good.py` every statement matching the `lookalikes`
pattern of the folder's `expect.toml` is a decoy for that rule. Each label
becomes one truth entry over the statement it sits on, with the rule's CWEs.

    python -m secreview.bench.corpus corpus           # write corpus/truth.json
    python -m secreview.bench.corpus corpus --check   # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import sys
import tokenize
import tomllib
from pathlib import Path
from typing import Any

from secreview.rules import get_rule

_LABEL = re.compile(r"\b(?P<kind>expect|safe):\s*(?P<rules>py\.[\w\-]+(?:\s*,\s*py\.[\w\-]+)*)")


class CorpusError(Exception):
    pass


class _Lines:
    """What a label on a line refers to: the largest statement or
    expression that starts on that line (a call spread over several lines,
    one element of a long list), a compound statement's header only."""

    def __init__(self, tree: ast.AST):
        self.last: dict[int, int] = {}
        self.statements: list[tuple[int, int, ast.stmt]] = []
        for node in ast.walk(tree):
            line = getattr(node, "lineno", None)
            if line is None or isinstance(node, (ast.arguments, ast.arg, ast.keyword, ast.alias)):
                continue
            end = node.end_lineno or line
            body = getattr(node, "body", None)
            if isinstance(node, ast.stmt) and isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                end = max(line, body[0].lineno - 1)  # the header of def/if/with/...
            if isinstance(node, ast.stmt):
                first = min([line, *(d.lineno for d in getattr(node, "decorator_list", []))])
                self.statements.append((first, end, node))
            self.last[line] = max(self.last.get(line, line), end)

    def span(self, line: int) -> tuple[int, int]:
        return line, self.last.get(line, line)

    def statement(self, line: int) -> ast.stmt | None:
        around = [s for s in self.statements if s[0] <= line <= s[1]]
        return min(around, key=lambda s: s[1] - s[0])[2] if around else None


def _cwes(rule_id: str, where: str) -> tuple[int, ...]:
    try:
        return tuple(get_rule(rule_id).cwe)
    except KeyError:
        raise CorpusError(f"{where}: unknown rule {rule_id!r}") from None


def _entry(file: str, span: tuple[int, int], rule_id: str, kind: str, where: str) -> dict[str, Any]:
    cwes = _cwes(rule_id, where)
    return {"file": file, "start_line": span[0], "end_line": span[1], "cwe": cwes[0],
            "acceptable_cwes": list(cwes[1:]), "kind": kind, "note": rule_id}


def truth_for(corpus: Path) -> list[dict[str, Any]]:
    entries: dict[tuple[str, int, int, str, str], dict[str, Any]] = {}
    for path in sorted(corpus.rglob("*.py")):
        rel = path.relative_to(corpus).as_posix()
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            raise CorpusError(f"{rel}: does not parse ({exc.msg} at line {exc.lineno})") from None
        lines = _Lines(tree)
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type != tokenize.COMMENT:
                continue
            for match in _LABEL.finditer(tok.string):
                line = tok.start[0]
                span = lines.span(line)
                kind = "vulnerable" if match.group("kind") == "expect" else "decoy"
                for rule_id in (r.strip() for r in match.group("rules").split(",")):
                    entries[(rel, *span, rule_id, kind)] = _entry(rel, span, rule_id, kind, f"{rel}:{line}")
        if path.name == "good.py" and (path.parent / "expect.toml").is_file():
            entries.update(_lookalike_decoys(path, rel, text, lines))
    clash = {(f, a, b, r) for (f, a, b, r, k) in entries if k == "vulnerable"} & {
        (f, a, b, r) for (f, a, b, r, k) in entries if k == "decoy"}
    if clash:
        raise CorpusError(f"labelled both vulnerable and safe: {sorted(clash)[:3]}")
    return [entries[key] for key in sorted(entries)]


def _lookalike_decoys(path: Path, rel: str, text: str, lines: _Lines
                      ) -> dict[tuple[str, int, int, str, str], dict[str, Any]]:
    spec = tomllib.loads((path.parent / "expect.toml").read_text(encoding="utf-8"))
    pattern = spec.get("lookalikes")
    rule_id = "py." + path.parent.name
    if not pattern:
        return {}
    out = {}
    for match in re.finditer(pattern, text):
        line = text.count("\n", 0, match.start()) + 1
        node = lines.statement(line)
        if node is None or line not in lines.last:
            continue  # a comment, a blank line, or inside a string
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            continue  # an import or a docstring is not a look-alike use
        first, last = lines.span(line)
        out[(rel, first, last, rule_id, "decoy")] = _entry(rel, (first, last), rule_id, "decoy", f"{rel}:{line}")
    return out


def render(entries: list[dict[str, Any]]) -> str:
    return "[\n" + ",\n".join("  " + json.dumps(e) for e in entries) + "\n]\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--check", action="store_true", help="exit 1 if truth.json is not current")
    args = parser.parse_args(argv)
    try:
        text = render(truth_for(args.corpus))
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    target = args.corpus / "truth.json"
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            print(f"{target} is not current: run python -m secreview.bench.corpus {args.corpus}", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    entries = json.loads(text)
    vulnerable = sum(1 for e in entries if e["kind"] == "vulnerable")
    print(f"wrote {target}: {len(entries)} labels, {vulnerable} vulnerable, {len(entries) - vulnerable} decoys")
    return 0


if __name__ == "__main__":
    sys.exit(main())
