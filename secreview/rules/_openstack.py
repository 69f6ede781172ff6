"""OpenStack API controllers as the rules see them: `wsgi.Controller`
subclasses (through the imports) and their actions.

Shared by the rules that judge what an API action does (authorisation,
exception details in responses, asserts on request data).
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.python.context import FileContext

Function = ast.FunctionDef | ast.AsyncFunctionDef

# Decorators that make a controller method an API action.
_ACTION_DECORATORS = ("wsgi.expected_errors", "wsgi.action", "wsgi.response",
                      "validation.schema", "validation.query_schema")
STANDARD_ACTIONS = frozenset({"index", "show", "create", "update", "delete", "detail"})

def decorator_name(ctx: FileContext, decorator: ast.expr) -> str:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return ctx.qualified_name(target) or ""


def ends_with(name: str, suffix: str) -> bool:
    return name == suffix or name.endswith("." + suffix)


def controller_classes(ctx: FileContext) -> list[ast.ClassDef]:
    """Classes derived from an OpenStack `wsgi.Controller` (through the
    imports), and classes of this module derived from those."""
    classes = [c for c in ctx.nodes(ast.ClassDef) if isinstance(c, ast.ClassDef)]
    found: dict[str, ast.ClassDef] = {}
    changed = True
    while changed:
        changed = False
        for klass in classes:
            if klass.name in found:
                continue
            for base in klass.bases:
                name = ctx.qualified_name(base) or ""
                if ends_with(name, "wsgi.Controller") or (isinstance(base, ast.Name) and base.id in found):
                    found[klass.name] = klass
                    changed = True
                    break
    return list(found.values())


def is_action(ctx: FileContext, method: Function) -> bool:
    names = [decorator_name(ctx, d) for d in method.decorator_list]
    if any(ends_with(n, "wsgi.extends") for n in names):
        return False  # adds fields to an action's response; the action authorises
    if any(ends_with(n, suffix) for n in names for suffix in _ACTION_DECORATORS):
        return True
    return method.name in STANDARD_ACTIONS


def controller_actions(ctx: FileContext) -> Iterator[tuple[ast.ClassDef, Function]]:
    """(controller class, action method) for every API action in the file."""
    for klass in controller_classes(ctx):
        for stmt in klass.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_action(ctx, stmt):
                yield klass, stmt
