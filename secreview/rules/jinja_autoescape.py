"""Jinja2 rendering HTML with autoescaping off.

## What it does
Finds `jinja2.Environment(...)`, `jinja2.sandbox.SandboxedEnvironment(...)`
and `jinja2.Template(...)` created with `autoescape=False` or without
`autoescape` (Jinja2's default is off) when the code shows that they render
HTML: a template name ending in `.html`/`.htm`/`.xhtml` (optionally followed
by `.j2`/`.jinja`/`.jinja2`) is loaded from the environment
(`env.get_template("page.html")`, `select_template`, `DictLoader` keys), or
the template text given to `Template(...)` / `env.from_string(...)` contains
HTML tags.

Not reported: `autoescape=True`, `autoescape=select_autoescape(...)` and any
other non-constant value (a function or a setting deciding per template);
environments whose templates the code does not show to be HTML, which
includes the common and correct use of Jinja2 for configuration files,
network interface files, e-mail text, SQL, YAML, XML documents (escaping HTML
entities would corrupt them, and they are not rendered by a browser) and
templates whose names are only known at run time; Flask's and Django's own
Jinja2 environments, which escape HTML by default; and test code.

## Why is this bad?
Without autoescaping, every `{{ value }}` is inserted into the page as is. A
value that holds `<script>` (a user name, a comment, a query parameter) runs
as script in the reader's browser with their session: it can read what the
page shows and act as the user (CWE-79). Escaping has to be remembered at
every use (`|e`), and one forgotten filter is a hole.

## Example
```python
from jinja2 import Environment, FileSystemLoader

env = Environment(loader=FileSystemLoader("templates"))


def profile_page(user):
    return env.get_template("profile.html").render(user=user)
```

## Use instead
```python
from jinja2 import Environment, FileSystemLoader, select_autoescape

env = Environment(loader=FileSystemLoader("templates"), autoescape=select_autoescape())


def profile_page(user):
    return env.get_template("profile.html").render(user=user)
```

## References
- https://cwe.mitre.org/data/definitions/79.html
- https://jinja.palletsprojects.com/en/stable/api/#autoescaping
- https://jinja.palletsprojects.com/en/stable/api/#jinja2.select_autoescape
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext, end_of
from secreview.rules.base import Rule, lazy_compile

_ENVIRONMENTS = frozenset({
    "jinja2.Environment", "jinja2.environment.Environment",
    "jinja2.sandbox.SandboxedEnvironment", "jinja2.sandbox.ImmutableSandboxedEnvironment",
})
_TEMPLATES = frozenset({"jinja2.Template", "jinja2.environment.Template"})
_LOADING_METHODS = frozenset({"get_template", "select_template", "get_or_select_template"})
_HTML_NAME = lazy_compile(r"\.(x?html?)(\.(j2|jinja2?|tmpl|tpl))?$", re.IGNORECASE)
# Tags of HTML documents that XML vocabularies (libvirt, SVG, Atom...) do not use.
_HTML_TAG = lazy_compile(
    r"<\s*(!doctype\s+html|html|body|div|span|p|table|tr|td|th|ul|ol|li|h[1-6]|script|form|img|br|"
    r"strong|em|b|i|a|button|textarea|label|nav|footer|section|article)\b[^>]*>",
    re.IGNORECASE)


class JinjaAutoescape(Rule):
    id = "py.jinja-autoescape"
    name = "Jinja2 renders HTML without autoescaping"
    cwe = (79,)
    severity = Severity.MEDIUM
    bandit_ids = ("B701",)
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            if name in _ENVIRONMENTS or name in _TEMPLATES:
                finding = self._check(ctx, call, name)
                if finding is not None:
                    yield finding

    def _check(self, ctx: FileContext, call: ast.Call, name: str) -> Finding | None:
        if any(kw.arg is None for kw in call.keywords):
            return None  # **options: autoescape decided elsewhere
        autoescape = ctx.keyword(call, "autoescape")
        if autoescape is not None and ctx.literal_values(autoescape) != [False]:
            return None  # True, select_autoescape(...), a function or a setting
        if name in _ENVIRONMENTS and call.args:
            return None  # positional options: cannot tell which one is autoescape
        evidence = self._html_evidence(ctx, call, name)
        if evidence is None:
            return None
        node, why = evidence
        state = "`autoescape=False`" if autoescape is not None else "no `autoescape` (off by default)"
        kind = "environment" if name in _ENVIRONMENTS else "template"
        return self.finding(
            ctx, call,
            message=f"`{ctx.source_of(call.func)}` is created with {state} and renders HTML ({why}).",
            explanation=(f"This Jinja2 {kind} renders HTML ({why}, line {getattr(node, 'lineno', call.lineno)}), "
                         "and without autoescaping every `{{ value }}` goes into the page as is: a value "
                         "holding `<script>` (a name, a comment, a request parameter) runs as script in "
                         "the reader's browser with their session."),
            fix=Fix("Turn autoescaping on: autoescape=True, or autoescape=select_autoescape() to escape "
                    "only .html/.xml templates; mark the few values that really are HTML with Markup "
                    "or |safe after sanitising them.", self._rewrite(ctx, call, autoescape)),
            confidence=Confidence.MEDIUM,
            trace=[TraceStep(ctx.path, getattr(node, "lineno", call.lineno), why)])

    # ---------------------------------------------------------- evidence
    def _html_evidence(self, ctx: FileContext, call: ast.Call, name: str) -> tuple[ast.AST, str] | None:
        """(node, description) of what shows HTML is rendered, or None."""
        if name in _TEMPLATES:
            source = ctx.argument(call, 0, "source")
            return self._html_text(ctx, source) if source is not None else None
        loader = ctx.keyword(call, "loader")
        if loader is not None:
            found = self._loader_evidence(ctx, loader)
            if found is not None:
                return found
        holders = self._holders(ctx, call)
        for use in ctx.nodes(ast.Call):
            func = use.func  # type: ignore[attr-defined]
            if not isinstance(func, ast.Attribute):
                continue
            if not (func.value is call or ctx.source_of(func.value, 200) in holders):
                continue
            if func.attr in _LOADING_METHODS and use.args:  # type: ignore[attr-defined]
                found = self._html_names(ctx, use.args[0])  # type: ignore[attr-defined]
                if found is not None:
                    return found
            elif func.attr == "from_string" and use.args:  # type: ignore[attr-defined]
                found = self._html_text(ctx, use.args[0])  # type: ignore[attr-defined]
                if found is not None:
                    return found
        return None

    @staticmethod
    def _holders(ctx: FileContext, call: ast.Call) -> set[str]:
        """The names the environment is stored under (`env`, `self.env`, `ENV`)."""
        holders: set[str] = set()
        stmt = ctx.enclosing_statement(call)
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign) and stmt.value is call:
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is call:
            targets = [stmt.target]
        for target in targets:
            if isinstance(target, (ast.Name, ast.Attribute)):
                holders.add(ctx.source_of(target, 200))
        return holders

    def _loader_evidence(self, ctx: FileContext, loader: ast.expr) -> tuple[ast.AST, str] | None:
        """A `DictLoader({"page.html": ...})` (also inside a ChoiceLoader) names its templates."""
        for node in ast.walk(loader):
            if isinstance(node, ast.Dict):
                for key in node.keys:
                    if key is not None:
                        found = self._html_names(ctx, key)
                        if found is not None:
                            return found
        return None

    @staticmethod
    def _html_names(ctx: FileContext, expr: ast.expr) -> tuple[ast.AST, str] | None:
        candidates = expr.elts if isinstance(expr, (ast.List, ast.Tuple)) else [expr]
        for candidate in candidates:
            values = ctx.literal_values(candidate)
            for value in values or ():
                if isinstance(value, str) and _HTML_NAME.search(value):
                    return candidate, f"it loads the HTML template `{value}`"
        return None

    @staticmethod
    def _html_text(ctx: FileContext, expr: ast.expr) -> tuple[ast.AST, str] | None:
        values = ctx.literal_values(expr)
        for value in values or ():
            if isinstance(value, str):
                match = _HTML_TAG.search(value)
                if match:
                    return expr, f"its template text contains the HTML tag `{match.group(0)[:40]}`"
        return None

    # --------------------------------------------------------------- fix
    @staticmethod
    def _rewrite(ctx: FileContext, call: ast.Call, autoescape: ast.expr | None) -> str | None:
        if autoescape is not None:
            if isinstance(autoescape, ast.Constant):
                return ctx.replace_source(autoescape, "True", lines_of=call)
            return None
        parts = [*call.args, *(kw.value for kw in call.keywords)]
        if parts:
            last = max(parts, key=lambda n: end_of(n) or (0, 0))
            at = end_of(last)
            if at is None:
                return None
            return ctx.replace_spans(call, [(at, at, ", autoescape=True")], check=[call])
        at = end_of(call)
        if at is None or call.end_lineno != call.lineno:
            return None
        # `Environment()`: put the argument inside the empty parentheses.
        return ctx.replace_spans(call, [((at[0], at[1] - 1), (at[0], at[1] - 1), "autoescape=True")],
                                 check=[call])


RULE = JinjaAutoescape()
