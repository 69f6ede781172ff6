"""Django `ALLOWED_HOSTS` that accepts any Host header.

## What it does
Finds Django settings modules (a module named `settings*.py` or inside a
`settings` package that looks like Django settings, or any module defining
`INSTALLED_APPS`, `ROOT_URLCONF`, `MIDDLEWARE` or `WSGI_APPLICATION`) whose
`ALLOWED_HOSTS` holds the wildcard `"*"`: `ALLOWED_HOSTS = ["*"]`,
`ALLOWED_HOSTS += ["*"]`, `ALLOWED_HOSTS.append("*")`, and a list read from
the environment that falls back to `"*"` when the variable is missing
(`os.environ.get("ALLOWED_HOSTS", "*").split(",")`), which fails open.

Not reported: subdomain patterns (`".example.com"` matches the domain and
its subdomains, which is the documented way to allow many hosts), a list read
from the environment without a wildcard default, a wildcard chosen under a
condition on the environment or debug mode (`if DEBUG: ALLOWED_HOSTS =
["*"]`, `["*"] if DEBUG else [...]`), settings modules whose name says they
are for development, tests, examples or demos (`settings/dev.py`,
`local_settings.py`), and test code.

## Why is this bad?
`ALLOWED_HOSTS` is Django's check of the `Host` header. With `"*"` any value
is accepted, and `request.get_host()` / `request.build_absolute_uri()`
return what the client sent. Django's password-reset e-mail (without the
sites framework), absolute redirects and any link the application builds
from the request then point wherever the attacker says: they request a
reset for the victim's account with `Host: evil.example`, the victim gets a
genuine e-mail whose link carries the reset token to the attacker's server.
Shared caches can also be poisoned with pages built for a forged host
(CWE-183).

## Example
```python
INSTALLED_APPS = ["django.contrib.auth", "shop"]
ALLOWED_HOSTS = ["*"]
```

## Use instead
List the names the site is served under (a leading dot allows subdomains),
or read them from the deployment's environment without a wildcard default:
```python
import os

INSTALLED_APPS = ["django.contrib.auth", "shop"]
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "shop.example.com").split(",")
```

## References
- https://cwe.mitre.org/data/definitions/183.html
- https://docs.djangoproject.com/en/stable/ref/settings/#allowed-hosts
- https://docs.djangoproject.com/en/stable/topics/security/#host-header-validation
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules.base import Rule
from secreview.rules._settings import development_path, environment_condition, settings_module

_SETTING = "ALLOWED_HOSTS"
_ENV_LOOKUPS = frozenset({"os.environ.get", "os.getenv", "environ.get"})
_FIX = ("List the host names the site is served under (`.example.com` allows the domain and its "
        "subdomains), or read them from the environment with no wildcard default.")


class AllowedHostsWildcard(Rule):
    id = "py.allowed-hosts-wildcard"
    name = "Django ALLOWED_HOSTS accepts any host"
    cwe = (183,)
    severity = Severity.MEDIUM
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        if _SETTING not in ctx.module.text:
            return
        if not settings_module(ctx) or development_path(ctx):
            return
        for node in ctx.nodes(ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Call):
            if not self._top_level(ctx, node) or environment_condition(ctx, node) is not None:
                continue
            if isinstance(node, ast.Call):
                yield from self._check_call(ctx, node)
            else:
                yield from self._check_assign(ctx, node)

    @staticmethod
    def _top_level(ctx: FileContext, node: ast.AST) -> bool:
        """At module level (also in module-level try/with/if blocks)."""
        return ctx.enclosing_function(node) is None and not any(
            isinstance(a, ast.ClassDef) for a in ctx.ancestors(node))

    def _check_assign(self, ctx: FileContext, node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> Iterator[Finding]:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any(isinstance(t, ast.Name) and t.id == _SETTING for t in targets) or node.value is None:
            return
        wildcard = self._wildcard(ctx, node.value)
        if wildcard is not None:
            if environment_condition(ctx, wildcard) is None:
                yield self._report(ctx, node, wildcard)
            return
        fallback = self._fallback(ctx, node.value)
        if fallback is not None and environment_condition(ctx, fallback[1]) is None:
            lookup, default = fallback
            yield self.finding(
                ctx, node,
                message=f"`{_SETTING}` falls back to `\"*\"` when `{ctx.source_of(lookup.args[0])}` is not set.",
                explanation=("A deployment that forgets the variable accepts any `Host` header. Django "
                             "then builds password-reset links, redirects and absolute URLs from whatever "
                             "host the client sends, so an attacker who asks for a reset of the victim's "
                             "account with a forged `Host` gets the reset token sent to their own server "
                             "when the victim clicks the genuine e-mail."),
                fix=Fix("Fail closed: give no default (`os.environ[\"DJANGO_ALLOWED_HOSTS\"]`) or default to "
                        "the real host name."),
                confidence=Confidence.MEDIUM,
                trace=[TraceStep(ctx.path, default.lineno,
                                 f"`{ctx.source_of(default)}` is the value used when the variable is missing")])

    def _check_call(self, ctx: FileContext, call: ast.Call) -> Iterator[Finding]:
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == _SETTING and func.attr in ("append", "extend", "insert")):
            return
        if func.attr == "extend":
            wildcard = self._wildcard(ctx, call.args[0]) if call.args else None
        else:
            element = call.args[-1] if call.args else None
            wildcard = element if element is not None and ctx.literal_values(element) == ["*"] else None
        if wildcard is not None and environment_condition(ctx, wildcard) is None:
            yield self._report(ctx, call, wildcard)

    def _report(self, ctx: FileContext, node: ast.AST, wildcard: ast.AST) -> Finding:
        trace: list[TraceStep] = []
        if isinstance(wildcard, ast.Name):
            origin = ctx.origin(wildcard)
            trace.append(TraceStep(ctx.path, origin.line, origin.note))
        return self.finding(
            ctx, node,
            message=f"`{_SETTING}` contains `\"*\"`: Django accepts any Host header.",
            explanation=("With the wildcard Django no longer validates the `Host` header, and "
                         "`request.get_host()` returns whatever the client sent. Password-reset e-mails, "
                         "redirects and absolute links built from the request then point to the "
                         "attacker's host: asking for a reset of the victim's account with a forged "
                         "`Host` delivers the victim's reset token to the attacker when the genuine "
                         "e-mail is clicked, and shared caches can be fed pages built for that host."),
            fix=Fix(_FIX), confidence=Confidence.HIGH, trace=trace)

    @staticmethod
    def _wildcard(ctx: FileContext, value: ast.expr) -> ast.AST | None:
        """The element of a list/tuple/set literal (or of the constant it names) that is "*"."""
        if isinstance(value, ast.Name):
            values = ctx.assigned_values(value)
            if values and len(values) == 1 and isinstance(values[0], (ast.List, ast.Tuple, ast.Set)) \
                    and ctx.is_constant(values[0]):
                if any(ctx.literal_values(e) == ["*"] for e in values[0].elts):
                    return value
            return None
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            for element in value.elts:
                if ctx.literal_values(element) == ["*"]:
                    return element
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            return AllowedHostsWildcard._wildcard(ctx, value.left) or AllowedHostsWildcard._wildcard(ctx, value.right)
        return None

    @staticmethod
    def _fallback(ctx: FileContext, value: ast.expr) -> tuple[ast.Call, ast.expr] | None:
        """A look-up of the deployment's configuration whose default is the
        wildcard: `os.environ.get("X", "*").split(",")`, `os.getenv("X", "*")`,
        django-environ's `env.list("X", default=["*"])`, decouple's
        `config("X", default="*", cast=Csv())`: the look-up and its default."""
        for node in ast.walk(value):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            default = ctx.keyword(node, "default")
            if default is None and ctx.call_name(node) in _ENV_LOOKUPS:
                default = ctx.argument(node, 1)
            if default is None:
                continue
            if isinstance(default, ast.Constant) and isinstance(default.value, str):
                if "*" in [part.strip() for part in default.value.split(",")]:
                    return node, default
            elif isinstance(default, (ast.List, ast.Tuple)) and any(
                    ctx.literal_values(e) == ["*"] for e in default.elts):
                return node, default
        return None


RULE = AllowedHostsWildcard()
