"""Shell command built from data that is not constant.

## What it does
Finds commands handed to a shell (`os.system`, `os.popen`, `subprocess.getoutput`,
`subprocess.*(..., shell=True)`, `asyncio.create_subprocess_shell`) whose text
is not fixed by the program: an f-string, concatenation or `%`/`.format()`
with a variable part, or a variable whose value is computed at run time.

A constant command is not reported: `subprocess.call("ls -l", shell=True)`
cannot be steered by anyone, and neither can a name bound only to constants
(a module-level `CMD = "ls -l"`, a loop over a constant tuple). Values passed
through `shlex.quote()`/`shlex.join()` (or converted with `int()`/`float()`)
are treated as neutralised, also when the quoted command is first stored in a
local variable (`cmd = "ls " + shlex.quote(path)`) or joined from quoted items
(`" ".join(shlex.quote(a) for a in argv)`). With `shell=True` and a list, only
the first item is the shell script; the others become `$0`, `$1`... and are
not reported.

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
from secreview.python.context import FileContext, end_of, start_of
from secreview.rules.base import Rule, has_word, lazy_compile, looks_untrusted, origin_trace

# Callees that always run their first argument through a shell.
_ALWAYS_SHELL = frozenset({
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
    "commands.getoutput", "commands.getstatusoutput", "asyncio.create_subprocess_shell",
})
# Callees that use a shell when `shell=` is true.
_SHELL_KWARG = frozenset({
    "subprocess.call", "subprocess.run", "subprocess.Popen", "subprocess.check_call",
    "subprocess.check_output",
})
_CALLEE_NAMES = tuple({name.rpartition(".")[2] for name in _ALWAYS_SHELL | _SHELL_KWARG})
# Neutralisers for the shell: the result cannot carry shell syntax.
_SHELL_SAFE_CALLS = frozenset({"shlex.quote", "pipes.quote", "shlex.join", "int", "float", "len", "abs"})
_SHELL_META = lazy_compile(r"[|;&<>$`()\\\"'*?~{}\[\]!#]")
_MAX_NAME_HOPS = 8


class ShellInjection(Rule):
    id = "py.shell-injection"
    name = "Shell command built from non-constant data"
    cwe = (78,)
    severity = Severity.HIGH
    bandit_ids = ("B602", "B604", "B605", "B609")
    # The functions that always use a shell, as (module, function).
    needles = tuple(sorted(tuple(name.split(".")) for name in _ALWAYS_SHELL))
    taint_kinds = ("shell",)
    impact = "can run programs of their choosing with the service's privileges"
    fix_description = ("Pass an argument list without a shell (`subprocess.run([prog, arg], check=True)`) and "
                       "choose the program from a fixed set; quote with `shlex.quote()` only if a shell is unavoidable.")

    def may_report(self, text: str) -> bool:
        # Or subprocess's functions with `shell=` (written as a keyword, or
        # as a key of the keywords passed).
        return super().may_report(text) or (has_word(text, "subprocess") and has_word(text, "shell"))

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls_ending(*_CALLEE_NAMES):
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
        """`shell=` is a constant true value (a literal or a name bound only to one)."""
        value = ctx.keyword(call, "shell")
        if value is None:
            return False
        values = ctx.literal_values(value)
        return values is not None and bool(values) and all(bool(v) for v in values)

    @classmethod
    def _neutralised(cls, ctx: FileContext, part: ast.AST, seen: frozenset[str] = frozenset()) -> bool:
        """The value cannot carry shell syntax: a quoting/number call, or a
        local name every assignment of which is built only from such calls."""
        if isinstance(part, ast.Call):
            return ctx.call_name(part) in _SHELL_SAFE_CALLS
        if isinstance(part, ast.Name) and part.id not in seen and len(seen) < _MAX_NAME_HOPS:
            values = ctx.assigned_values(part)
            if values is None:
                return False
            inner = seen | {part.id}
            return all(cls._neutralised(ctx, p, inner) for v in values for p in ctx.non_constant_parts(v))
        return False

    def _report(self, ctx: FileContext, call: ast.Call, name: str, command: ast.AST,
                parts: list[ast.AST]) -> Finding:
        trace, where = origin_trace(ctx, parts)
        shown = ", ".join(f"`{ctx.source_of(p)}`" for p in parts[:3])
        untrusted = looks_untrusted(ctx, parts)
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
            fix=self._fix(ctx, call, name),
            confidence=Confidence.HIGH if untrusted else Confidence.MEDIUM,
            trace=trace,
        )

    def _fix(self, ctx: FileContext, call: ast.Call, name: str) -> Fix:
        description = (
            "Run the program without a shell, passing its arguments as a list "
            "(each value stays one argument); if a shell is unavoidable, wrap every "
            "variable part in shlex.quote()."
        )
        if not call.args or isinstance(call.args[0], ast.Starred) or call.lineno != call.end_lineno:
            return Fix(description)
        command = call.args[0]
        argv = _argv_literal(ctx, command)
        if argv is None:
            return Fix(description)
        if name in _SHELL_KWARG:
            return Fix(description, _without_shell(ctx, call, command, argv))
        if name == "os.system":
            module = ctx.module_alias("subprocess")
            if module is None:
                module = "subprocess"
                description += " Add `import subprocess` to the module."
            replacement = ctx.replace_source(call, f"{module}.run({argv}).returncode")
            return Fix(description, replacement)
        return Fix(description)


def _without_shell(ctx: FileContext, call: ast.Call, command: ast.expr, argv: str) -> str | None:
    """The call's line with the command replaced by `argv` and `, shell=True`
    (with the separator before it) removed."""
    shell = ctx.keyword_node(call, "shell")
    command_start, command_end = start_of(command), end_of(command)
    if shell is None or command_start is None or command_end is None:
        return None
    shell_start, shell_end = start_of(shell), end_of(shell)
    if shell_start is None or shell_end is None:
        return None
    ends = [end_of(n) for n in (*call.args, *call.keywords) if n is not shell]
    before = [e for e in ends if e is not None and e <= shell_start]
    if not before:
        return None
    return ctx.replace_spans(call, [(command_start, command_end, argv), (max(before), shell_end, "")],
                             check=[command, shell])


def _argv_literal(ctx: FileContext, command: ast.AST) -> str | None:
    """`f"ping -c 1 {host}"` -> `["ping", "-c", "1", host]` when every variable
    part is a whole word and the constant text has no shell syntax."""
    pieces: list[ast.expr]
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
                    current, current_is_var = [_string_literal(chunk)], False
        elif isinstance(piece, ast.Constant):
            return None  # `"kill " + 9` is a TypeError, not a command
        else:
            value = piece.value if isinstance(piece, ast.FormattedValue) else piece
            if isinstance(piece, ast.FormattedValue) and (piece.conversion != -1 or piece.format_spec):
                return None
            if current:
                return None  # text glued to variable: "--name={x}"
            source = ast.get_source_segment(ctx.module.text, value)
            if not source or "\n" in source:
                return None
            current, current_is_var = [source], True
    if current:
        words.append(current[0])
    if not words:
        return None
    return "[" + ", ".join(words) + "]"


def _string_literal(text: str) -> str:
    """A double-quoted Python literal for `text` (no quotes or backslashes in it)."""
    return '"' + text + '"'


def _flatten_add(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _flatten_add(node.left) + _flatten_add(node.right)
    return [node]


RULE = ShellInjection()
