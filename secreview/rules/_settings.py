"""Where a setting lives: Django settings modules, development-only code,
values chosen per environment, `if __name__ == "__main__":` blocks.

Shared by the framework-configuration rules (debug mode, allowed hosts,
cookie flags).
"""

from __future__ import annotations

import ast
from pathlib import PurePosixPath
from typing import Iterator

from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words

# ------------------------------------------------------- settings modules
# Top-level names only Django settings define.
_DJANGO_MARKERS = frozenset({
    "INSTALLED_APPS", "ROOT_URLCONF", "MIDDLEWARE", "MIDDLEWARE_CLASSES", "WSGI_APPLICATION",
    "ASGI_APPLICATION",
})
# Names a settings module of a settings package usually sets.
_SETTINGS_NAMES = _DJANGO_MARKERS | frozenset({
    "SECRET_KEY", "ALLOWED_HOSTS", "DATABASES", "TEMPLATES", "STATIC_URL", "STATIC_ROOT",
    "LANGUAGE_CODE", "TIME_ZONE", "USE_TZ", "AUTH_PASSWORD_VALIDATORS", "CSRF_TRUSTED_ORIGINS",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
})
# A module or class named with one of these words is for development, tests or docs.
DEVELOPMENT_WORDS = frozenset({
    "dev", "devel", "develop", "development", "local", "test", "tests", "testing", "unittest",
    "ci", "debug", "example", "examples", "sample", "samples", "demo", "demos", "docs", "sandbox",
    "tutorial", "playground", "fixture", "fixtures",
})
_SAMPLE_WORDS = frozenset({"example", "examples", "sample", "samples", "demo", "demos", "docs", "tutorial"})
# A condition mentioning one of these chooses settings per environment.
_ENVIRONMENT_WORDS = frozenset({
    "debug", "dev", "develop", "development", "env", "environ", "environment", "getenv", "local",
    "testing", "test", "tests", "production", "prod", "stage", "staging", "settings", "config",
    "argv", "args", "options", "opts",
})
PRODUCTION_WORDS = frozenset({"prod", "production", "live", "release", "deploy", "deployment", "staging"})


def development_path(ctx: FileContext) -> bool:
    """The file's path says it is for development, tests, examples or docs."""
    parts = PurePosixPath(ctx.path.replace("\\", "/")).parts
    if not parts:
        return False
    if any(_words(name) & DEVELOPMENT_WORDS for name in parts[:-1]):
        return True
    stem = _words(PurePosixPath(parts[-1]).stem)
    # `settings_example.py` is an example; a module merely called `example.py` may be anything.
    return bool(stem & (DEVELOPMENT_WORDS - _SAMPLE_WORDS)) or bool(
        stem & _SAMPLE_WORDS and stem & {"settings", "config", "conf", "configuration"})


def module_assignments(ctx: FileContext) -> dict[str, list[ast.stmt]]:
    """Top-level assignments (also inside module-level try/with blocks) by name."""
    found: dict[str, list[ast.stmt]] = {}
    for stmt in _top_level(ctx.tree.body):
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            targets = [stmt.target]
        for target in targets:
            if isinstance(target, ast.Name):
                found.setdefault(target.id, []).append(stmt)
    return found


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.Try):
            yield from _top_level(stmt.body)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _top_level(stmt.body)


def settings_module(ctx: FileContext) -> bool:
    """The file is a Django settings module: it defines the names only
    settings define, or it is named like settings (`settings*.py`, a module of
    a `settings` package) and sets the usual settings or star-imports a base."""
    assigned = set(module_assignments(ctx))
    if assigned & _DJANGO_MARKERS:
        return True
    parts = PurePosixPath(ctx.path.replace("\\", "/")).parts
    if not parts:
        return False
    stem = PurePosixPath(parts[-1]).stem
    named = stem.startswith("settings") or "settings" in _words(stem) or (
        len(parts) > 1 and parts[-2] == "settings")
    if not named:
        return False
    if assigned & _SETTINGS_NAMES:
        return True
    for node in ctx.nodes(ast.ImportFrom, ast.Import):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return True
        module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        if (module or "").split(".")[0] == "django":
            return True
    return False


def environment_condition(ctx: FileContext, node: ast.AST) -> ast.AST | None:
    """The `if` (or conditional expression) around `node` that picks a value
    per environment or debug mode, if any (`if __name__ == "__main__"` is not one)."""
    child: ast.AST = node
    for anc in ctx.ancestors(node):
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return None
        if isinstance(anc, (ast.If, ast.IfExp)) and child is not anc.test:
            if not main_guard(anc) and _words(ctx.source_of(anc.test, 400)) & _ENVIRONMENT_WORDS:
                return anc
        child = anc
    return None


def main_guard(node: ast.AST) -> bool:
    """`if __name__ == "__main__":`"""
    test = getattr(node, "test", None)
    return (isinstance(node, ast.If) and isinstance(test, ast.Compare) and len(test.comparators) == 1
            and {_plain(test.left), _plain(test.comparators[0])} == {"__name__", "__main__"})


def _plain(expr: ast.AST) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    return None


def under_main_guard(ctx: FileContext, node: ast.AST) -> bool:
    return any(main_guard(anc) for anc in ctx.ancestors(node))
