"""What the hash rules share: which algorithm a call makes, and what a hash
object is fed after it is made.
"""

from __future__ import annotations

import ast

from secreview.python.context import FileContext


def hash_algorithm(ctx: FileContext, call: ast.Call, name: str, constructors: dict[str, str],
                   names: dict[str, str]) -> str | None:
    """The algorithm label `call` makes: from its callee (`constructors`:
    qualified name -> label) or, for `hashlib.new("...")`, from the literal
    algorithm name (`names`: lower-case name -> label)."""
    if name in constructors:
        return constructors[name]
    if name == "hashlib.new":
        arg = ctx.argument(call, 0, "name")
        values = ctx.literal_values(arg) if arg is not None else None
        if values and isinstance(values[0], str):
            return names.get(values[0].lower())
    return None


def fed_to_update(ctx: FileContext, holder: str, anchor: ast.AST) -> list[ast.expr]:
    """The arguments of every `holder.update(...)` in the scope (function or
    module) that makes the hash object at `anchor`."""
    scope = ctx.enclosing_function(anchor) or ctx.tree
    fed: list[ast.expr] = []
    for node in ast.walk(scope):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == holder
                and (ctx.enclosing_function(node) or ctx.tree) is scope):
            fed.extend(node.args)
    return fed
