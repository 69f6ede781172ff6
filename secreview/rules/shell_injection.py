"""Shell command built from data that is not constant.

## What it does
Finds commands handed to a shell (`os.system`, `os.popen`, `subprocess.getoutput`,
`subprocess.*(..., shell=True)`, `asyncio.create_subprocess_shell`) whose text
is not fixed by the program: an f-string, concatenation or `%`/`.format()`
with a variable part, or a variable whose value is computed at run time.

A constant command is not reported: `subprocess.call("ls -l", shell=True)`
cannot be steered by anyone. Values passed through `shlex.quote()` (or
converted with `int()`/`float()`) are treated as neutralised.

## Why is this bad?
The shell interprets the whole string: `;`, `&&`, `|`, `$(...)` and back-ticks
in the variable part start new commands. Whoever controls that part (a request
parameter, a file name, a message) runs programs with the service's
privileges (CWE-78).

## Example
```python
def ping(host):
    os.system(f"ping -c 1 {host}")
```

## Use instead
Pass an argument list and no shell; each list item reaches the program as one
argument and is never parsed by a shell:
```python
def ping(host):
    subprocess.run(["ping", "-c", "1", host], check=False)
```
If a shell is truly needed, quote every variable part with `shlex.quote()`.

## References
- https://cwe.mitre.org/data/definitions/78.html
- https://docs.python.org/3/library/subprocess.html#security-considerations
- https://docs.python.org/3/library/shlex.html#shlex.quote
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext
from secreview.rules.base import Rule, origin_trace

# Callees that always run their first argument through a shell.
_ALWAYS_SHELL = {
    "os.system": "os.system",
    "os.popen": "os.popen",
    "subprocess.getoutput": "subprocess.getoutput",
    "subprocess.getstatusoutput": "subprocess.getstatusoutput",
    "commands.getoutput": "commands.getoutput",
    "commands.getstatusoutput": "commands.getstatusoutput",
    "asyncio.create_subprocess_shell": "asyncio.create_subprocess_shell",
}
# Callees that use a shell when `shell=` is true.
_SHELL_KWARG = {
    "subprocess.call", "subprocess.run", "subprocess.Popen", "subprocess.check_call",
    "subprocess.check_output",
}
# Neutralisers for the shell: the result cannot carry shell syntax.
_SHELL_SAFE_CALLS = {"shlex.quote", "pipes.quote", "shlex.join", "int", "float", "len", "abs"}
_UNTRUSTED_HINTS = re.compile(r"\b(input|sys\.argv|request|environ|getenv|args|params|form|query)\b")
_SHELL_META = re.compile(r"[|;&<>$`()\\\"'*?~{}\[\]!#]")


class ShellInjection(Rule):
    id = "py.shell-injection"
    name = "Shell command built from non-constant data"
    cwe = (78,)
    severity = Severity.HIGH
    bandit_ids = ("B602", "B604", "B605", "B609")

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            if name in _ALWAYS_SHELL:
                command = ctx.argument(call, 0, "cmd") or ctx.argument(call, 0, "command")
            elif name in _SHELL_KWARG and self._shell_enabled(ctx, call):
                command = ctx.argument(call, 0, "args")
                if isinstance(command, (ast.List, ast.Tuple)) and command.elts:
                    command = command.elts[0]  # with shell=True only the first item is the script
            else:
                continue
            if command is None:
                continue
            parts = [p for p in ctx.non_constant_parts(command) if not self._neutralised(ctx, p)]
            if not parts:
                continue
            yield self._report(ctx, call, name, command, parts)

    @staticmethod
    def _shell_enabled(ctx: FileContext, call: ast.Call) -> bool:
        value = ctx.keyword(call, "shell")
        return isinstance(value, ast.Constant) and bool(value.value)

    @staticmethod
    def _neutralised(ctx: FileContext, part: ast.AST) -> bool:
        return isinstance(part, ast.Call) and ctx.call_name(part) in _SHELL_SAFE_CALLS

    def _report(self, ctx: FileContext, call: ast.Call, name: str, command: ast.AST,
                parts: list[ast.AST]) -> Finding:
        trace, where = origin_trace(ctx, parts)
        shown = ", ".join(f"`{ctx.source_of(p)}`" for p in parts[:3])
        untrusted = any(_UNTRUSTED_HINTS.search(ctx.source_of(p)) or
                        _UNTRUSTED_HINTS.search(step.note) for p, step in zip(parts, trace))
        explanation = (
            f"`{name}` hands `{ctx.source_of(command)}` to a shell, and {shown} "
            f"{'is' if len(parts) == 1 else 'are'} not constant ({where}). "
            "Shell syntax in that value (`;`, `|`, `$(...)`) runs further commands "
            "with this process's privileges."
        )
        return self.finding(
            ctx, call,
            message=f"Command passed to a shell by `{name}` is built from {shown}.",
            explanation=explanation,
            fix=self._fix(ctx, call, name, command),
            confidence=Confidence.HIGH if untrusted else Confidence.MEDIUM,
            trace=trace,
        )

    def _fix(self, ctx: FileContext, call: ast.Call, name: str, command: ast.AST) -> Fix:
        argv = _argv_literal(ctx, command)
        description = (
            "Run the program without a shell, passing its arguments as a list "
            "(each value stays one argument); if a shell is unavoidable, wrap every "
            "variable part in shlex.quote()."
        )
        if argv is None or call.lineno != call.end_lineno:
            return Fix(description)
        if name in _SHELL_KWARG:
            keywords = [k for k in call.keywords if k.arg != "shell"]
            new_call = ast.Call(func=call.func, args=[ast.parse(argv, mode="eval").body, *call.args[1:]],
                                keywords=keywords)
            new = ast.unparse(new_call)
        elif name == "os.system":
            new = f"subprocess.run({argv}).returncode"
            description += " `import subprocess` if the module does not already."
        else:
            return Fix(description)
        line = ctx.module.line(call.lineno)
        old = ast.get_source_segment(ctx.module.text, call)
        if not old or old not in line:
            return Fix(description)
        return Fix(description, line.replace(old, new, 1))


def _argv_literal(ctx: FileContext, command: ast.AST) -> str | None:
    """`f"ping -c 1 {host}"` -> `["ping", "-c", "1", host]` when every variable
    part is a whole word and the constant text has no shell syntax."""
    if isinstance(command, ast.JoinedStr):
        pieces = command.values
    elif isinstance(command, ast.BinOp) and isinstance(command.op, ast.Add):
        pieces = _flatten_add(command)
    else:
        return None
    words: list[str] = []
    current: list[str] = []  # source fragments of the word being built
    current_is_var = False
    for piece in pieces:
        if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
            if _SHELL_META.search(piece.value):
                return None
            text = piece.value
            if current and current_is_var and text and not text[0].isspace():
                return None  # variable glued to text: "{a}.txt"
            chunks = re.split(r"(\s+)", text)
            for chunk in chunks:
                if not chunk:
                    continue
                if chunk.isspace():
                    if current:
                        words.append(current[0])
                        current, current_is_var = [], False
                else:
                    if current:
                        return None
                    current, current_is_var = [repr(chunk).replace("'", '"')], False
        else:
            value = piece.value if isinstance(piece, ast.FormattedValue) else piece
            if isinstance(piece, ast.FormattedValue) and (piece.conversion != -1 or piece.format_spec):
                return None
            if current:
                return None  # text glued to variable: "--name={x}"
            current, current_is_var = [ctx.source_of(value, limit=200)], True
    if current:
        words.append(current[0])
    if not words:
        return None
    return "[" + ", ".join(words) + "]"


def _flatten_add(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _flatten_add(node.left) + _flatten_add(node.right)
    return [node]


RULE = ShellInjection()
