"""`eval` or `exec` of data that is not constant.

## What it does
Finds calls to the built-ins `eval()` and `exec()` whose code argument is not
fixed by the program text. `eval("1 + 2")`, `exec(CONSTANT_SOURCE)`, a loop
over constant expressions and `ast.literal_eval(text)` are not reported, and
neither are methods such as `model.eval()` or a module's or function's own
helper that happens to be called `eval` (or a parameter of that name).

## Why is this bad?
`eval` and `exec` run their argument as Python code. If any part of it comes
from outside (a request, a file, a message, a configuration value an attacker
can write) the attacker runs arbitrary code in the process (CWE-95). Emptying
`__builtins__` in the globals does not make it safe: attribute walks such as
`().__class__.__base__.__subclasses__()` reach everything again.

## Example
```python
def parse_limit(text):
    return eval(text)
```

## Use instead
If the text holds a Python literal (number, string, list, dict), parse it with
`ast.literal_eval`, which evaluates literals only; for anything else map the
allowed names to functions explicitly, or use `json.loads`:
```python
import ast

def parse_limit(text):
    return ast.literal_eval(text)
```

## References
- https://cwe.mitre.org/data/definitions/95.html
- https://docs.python.org/3/library/ast.html#ast.literal_eval
- https://docs.python.org/3/library/functions.html#eval
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext
from secreview.rules.base import Rule, looks_untrusted, origin_trace



class CodeEval(Rule):
    id = "py.code-eval"
    name = "eval/exec of non-constant data"
    cwe = (95,)
    severity = Severity.HIGH
    bandit_ids = ("B307", "B102")
    needles = ("eval", "exec")  # the built-ins it looks at
    taint_kinds = ("code",)
    impact = "can run arbitrary Python code inside the process"
    fix_description = ("Never evaluate received text as code: parse literals with `ast.literal_eval()` or "
                       "data with `json.loads()`, and map allowed names to functions explicitly.")

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls_ending("eval", "exec"):
            if name not in ("eval", "exec"):
                continue
            # Both built-ins take their arguments by position only.
            code = ctx.argument(call, 0)
            if code is None:
                continue
            parts = ctx.non_constant_parts(code)
            if not parts:
                continue
            trace, where = origin_trace(ctx, parts)
            text = ctx.source_of(code)
            untrusted = looks_untrusted(ctx, parts)
            explanation = (
                f"`{name}()` runs `{text}` as Python code, and that value is not constant "
                f"({where}). Whoever can influence it can run any code in this process."
            )
            yield self.finding(
                ctx, call,
                message=f"`{name}()` executes `{text}`, which is not a constant.",
                explanation=explanation,
                fix=self._fix(ctx, call, name),
                confidence=Confidence.HIGH if untrusted else Confidence.MEDIUM,
                trace=trace,
            )

    @staticmethod
    def _fix(ctx: FileContext, call: ast.Call, name: str) -> Fix:
        if name != "eval":
            return Fix("Do not execute code built at run time; call the intended functions "
                       "directly, chosen from an explicit table of allowed operations.")
        description = ("If the value is a Python literal, parse it with ast.literal_eval(); "
                       "otherwise dispatch to an explicit table of allowed operations instead of "
                       "evaluating code.")
        if len(call.args) != 1 or call.keywords:
            # literal_eval takes no globals/locals: no mechanical rewrite.
            return Fix(description)
        module = ctx.module_alias("ast")
        if module is None:
            module = "ast"
            description += " Add `import ast` to the module."
        return Fix(description, ctx.replace_source(call.func, f"{module}.literal_eval", lines_of=call))


RULE = CodeEval()
