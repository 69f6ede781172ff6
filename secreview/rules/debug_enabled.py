"""A web framework's debug mode switched on in code that gets deployed.

## What it does
Finds debug modes that expose the application's internals to whoever can
reach it:

- Flask (and Dash, Quart, Flask-SocketIO) `app.run(debug=True)`: the
  Werkzeug interactive debugger, a Python console in the browser;
- Werkzeug `run_simple(..., use_debugger=True)` and
  `DebuggedApplication(app, evalex=True)`;
- `app.debug = True`, `app.config["DEBUG"] = True`,
  `app.config.update(DEBUG=True)` on a Flask application, and `DEBUG = True`
  in a Flask configuration class named for production (`ProductionConfig`);
- Django `DEBUG = True` at the top level of a settings module (a module named
  `settings*.py` or inside a `settings` package that looks like Django
  settings, or any module defining `INSTALLED_APPS`, `ROOT_URLCONF`,
  `MIDDLEWARE` or `WSGI_APPLICATION`);
- `FastAPI(debug=True)` / `Starlette(debug=True)` and Tornado's
  `Application(debug=True)` / `serve_traceback=True`, which send tracebacks to
  the client.

Severity follows reachability: the Werkzeug debugger bound to every interface
(`host="0.0.0.0"`) is high; a development server started under
`if __name__ == "__main__":` on the default loopback address is low (it only
runs when someone starts the file by hand, but then the console is live);
the rest is medium.

Not reported: a value the deployment decides (`debug=args.debug`,
`DEBUG = os.environ.get("DJANGO_DEBUG") == "1"`), settings chosen under a
condition about the environment or debug mode (`if os.environ.get("ENV") ==
"dev": DEBUG = True`), settings modules and configuration classes whose name
says they are for development, tests, examples or demos (`settings/dev.py`,
`local_settings.py`, `DevelopmentConfig`), `asyncio.run(..., debug=True)`
(event-loop diagnostics, nothing is served), logging levels named `DEBUG`,
and test code.

## Why is this bad?
Flask's debug mode serves the Werkzeug debugger: any exception page offers a
Python console running inside the server process, guarded only by a PIN that
is derived from machine facts an attacker who can read a few files can
recompute; with it, a visitor runs code as the application. Django's
`DEBUG = True` answers every error with the full traceback, local variables,
settings (with most secrets masked, not all), installed apps and SQL, and
keeps every query in memory. These pages hand an attacker the map of the
application, and sometimes the keys (CWE-489).

## Example
```python
from flask import Flask

app = Flask(__name__)
app.run(host="0.0.0.0", debug=True)
```

## Use instead
Let the environment switch debug mode on for a developer's machine, never the
code:
```python
import os

from flask import Flask

app = Flask(__name__)
app.run(host="0.0.0.0", debug=os.environ.get("FLASK_DEBUG") == "1")
```

## References
- https://cwe.mitre.org/data/definitions/489.html
- https://flask.palletsprojects.com/en/stable/debugging/
- https://werkzeug.palletsprojects.com/en/stable/debug/
- https://docs.djangoproject.com/en/stable/ref/settings/#debug
- https://docs.djangoproject.com/en/stable/howto/deployment/checklist/
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules._settings import DEVELOPMENT_WORDS, PRODUCTION_WORDS, development_path, environment_condition, module_assignments, settings_module, under_main_guard
from secreview.rules.base import Rule

# Classes whose `.run(debug=True)` starts the Werkzeug debugger.
_FLASK_APPS = frozenset({
    "flask.Flask", "flask.app.Flask", "quart.Quart", "dash.Dash", "flask_socketio.SocketIO",
})
_ASGI_DEBUG = frozenset({
    "fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette",
})
_TORNADO_APPS = frozenset({"tornado.web.Application"})
_RUN_SIMPLE = frozenset({"werkzeug.serving.run_simple", "werkzeug.run_simple"})
_DEBUGGED_APP = frozenset({"werkzeug.debug.DebuggedApplication", "werkzeug.DebuggedApplication"})
# `.run` of these modules is not a web server.
_NOT_SERVERS = ("asyncio.", "trio.", "anyio.", "uvloop.", "subprocess.", "unittest.", "pytest.",
                "doctest.", "cProfile.", "profile.", "pdb.", "runpy.", "uvicorn.", "hypercorn.")

_ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})

def _is_true(ctx: FileContext, value: ast.AST | None) -> bool:
    if value is None:
        return False
    values = ctx.literal_values(value)
    return bool(values) and all(v is True or (type(v) is int and v == 1) for v in values)  # type: ignore[operator]


# The last part of the name of every call `_check_call` looks at.
_CALLEES = frozenset({name.rpartition(".")[2] for name in (
    *_RUN_SIMPLE, *_DEBUGGED_APP, *_ASGI_DEBUG, *_TORNADO_APPS)} | {"update", "from_mapping", "run"})


def _debug_target(target: ast.AST) -> bool:
    """`DEBUG = ...`, `x.debug = ...` or `x.config[...] = ...`."""
    return ((isinstance(target, ast.Name) and target.id == "DEBUG")
            or (isinstance(target, ast.Attribute) and target.attr == "debug")
            or (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)
                and target.value.attr == "config"))


class DebugEnabled(Rule):
    id = "py.debug-enabled"
    name = "Web framework debug mode enabled"
    cwe = (489,)
    severity = Severity.MEDIUM
    bandit_ids = ("B201",)
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            if name.rpartition(".")[2] in _CALLEES:  # the cheap test first
                yield from self._check_call(ctx, call)
        for node in ctx.nodes(ast.Assign):
            yield from self._check_assign(ctx, node)  # type: ignore[arg-type]

    # ------------------------------------------------------------ calls
    def _check_call(self, ctx: FileContext, call: ast.Call) -> Iterator[Finding]:
        name = ctx.call_name(call) or ""
        func = call.func
        if name in _RUN_SIMPLE:
            flag = ctx.argument(call, 4, "use_debugger")
            if _is_true(ctx, flag):
                yield self._server(ctx, call, flag, f"`{ctx.source_of(func)}` serves the Werkzeug "
                                   "interactive debugger (`use_debugger=True`).", host_index=0, host_kw="hostname")
            return
        if name in _DEBUGGED_APP:
            flag = ctx.argument(call, 1, "evalex")
            if _is_true(ctx, flag):
                yield self._server(ctx, call, flag, f"`{ctx.source_of(func)}` wraps the application in the "
                                   "Werkzeug debugger with its console on (`evalex=True`).")
            return
        if name in _ASGI_DEBUG or name in _TORNADO_APPS:
            for kw in ("debug", "serve_traceback"):
                flag = ctx.keyword(call, kw)
                if _is_true(ctx, flag) and (kw == "debug" or name in _TORNADO_APPS):
                    yield self._traceback_app(ctx, call, flag, name, kw)
                    return
            return
        if (isinstance(func, ast.Attribute) and func.attr in ("update", "from_mapping")
                and isinstance(func.value, ast.Attribute) and func.value.attr == "config"):
            yield from self._config_update(ctx, call, func.value)
            return
        if isinstance(func, ast.Attribute) and func.attr == "run" and not name.startswith(_NOT_SERVERS):
            socketio = (ctx.constructed_by(func.value) or "").endswith("SocketIO")
            # Flask.run(host, port, debug, ...); SocketIO.run(app, host, port, **kwargs)
            flag = ctx.keyword(call, "debug") if socketio else ctx.argument(call, 2, "debug")
            if not _is_true(ctx, flag):
                return
            use_debugger = ctx.keyword(call, "use_debugger")
            if use_debugger is not None and ctx.literal_values(use_debugger) == [False]:
                return  # debug mode without the console: only reloading and tracebacks in the log
            confidence = self._flask_app(ctx, func.value)
            if confidence is None:
                return
            yield self._server(ctx, call, flag, f"`{ctx.source_of(func)}` starts the development server "
                               "with `debug=True`, which serves the Werkzeug interactive debugger.",
                               host_index=1 if socketio else 0, host_kw="host", confidence=confidence)

    def _flask_app(self, ctx: FileContext, receiver: ast.expr) -> Confidence | None:
        """How sure we are that `receiver` is a Flask-like application."""
        made_by = ctx.constructed_by(receiver)
        if made_by is not None:
            if made_by in _FLASK_APPS:
                return Confidence.HIGH
            if made_by.split(".")[0] in ("flask", "quart", "dash", "flask_socketio"):
                return Confidence.HIGH
            if not _words(made_by.split(".")[-1]) & {"app", "application", "create", "make"}:
                return None
        qualified = ctx.qualified_name(receiver) or ""
        if qualified.startswith(_NOT_SERVERS):
            return None
        uses_flask = any(t.split(".")[0] in ("flask", "quart", "dash", "flask_socketio")
                         for t in ctx.imports.values())
        shown = _words(qualified.split(".")[-1] if qualified else ctx.source_of(receiver))
        if shown & {"app", "application", "socketio"} and (
                uses_flask or made_by is not None or isinstance(receiver, ast.Name)):
            return Confidence.MEDIUM
        if uses_flask and (made_by is not None or "server" in shown):
            return Confidence.MEDIUM
        return None

    def _server(self, ctx: FileContext, call: ast.Call, flag: ast.expr | None, message: str, *,
                host_index: int | None = None, host_kw: str | None = None,
                confidence: Confidence = Confidence.HIGH) -> Finding:
        host = ctx.argument(call, host_index, host_kw) if host_index is not None else None
        host_values = ctx.literal_values(host) if host is not None else None
        everywhere = bool(host_values) and any(v in _ALL_INTERFACES for v in host_values)  # type: ignore[operator]
        local_run = under_main_guard(ctx, call)
        if everywhere:
            severity = Severity.HIGH
            where = (f"It listens on every interface (`{ctx.source_of(host)}`), so anyone who can reach "
                     "the port")
        elif local_run:
            severity = Severity.LOW
            where = ("It runs only when the file is started by hand (`if __name__ == \"__main__\":`), "
                     "but then whoever can reach the port (another user of the machine, or a web page "
                     "the developer visits, through DNS rebinding)")
        else:
            severity = Severity.MEDIUM
            where = "Whoever can reach the server"
        explanation = (
            f"{where} gets an error page with a Python console running inside the server process. "
            "The console is guarded by a PIN derived from facts about the machine (user name, MAC "
            "address, machine id) that anyone able to read a few files can recompute; with it they "
            "run code as the application.")
        trace = self._trace(ctx, flag)
        return self.finding(
            ctx, call, message=message, explanation=explanation,
            fix=Fix("Leave debug mode off in code and turn it on from the environment on a developer's "
                    "machine (`flask run --debug`, `FLASK_DEBUG=1`); serve production with a WSGI "
                    "server (gunicorn, uWSGI).",
                    self._false(ctx, flag, call)),
            confidence=confidence, severity=severity, trace=trace)

    def _traceback_app(self, ctx: FileContext, call: ast.Call, flag: ast.expr, name: str, kw: str) -> Finding:
        local_run = under_main_guard(ctx, call)
        return self.finding(
            ctx, call,
            message=f"`{ctx.source_of(call.func)}` is created with `{kw}=True`: errors are answered with "
                    "the full traceback.",
            explanation=("Every unhandled exception is sent to the client as a traceback with source "
                         "lines, file paths and library versions, which maps the application for an "
                         "attacker and can leak values shown in the frames."),
            fix=Fix(f"Leave `{kw}` off in code; switch it on from the environment for development.",
                    self._false(ctx, flag, call)),
            confidence=Confidence.HIGH, severity=Severity.LOW if local_run else Severity.MEDIUM,
            trace=self._trace(ctx, flag))

    # ------------------------------------------------------- assignments
    def _check_assign(self, ctx: FileContext, node: ast.Assign) -> Iterator[Finding]:
        if not any(_debug_target(t) for t in node.targets):
            return  # the cheap test first: almost no assignment is about debug mode
        if not _is_true(ctx, node.value) or environment_condition(ctx, node) is not None:
            return
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == "DEBUG":
                yield from self._debug_setting(ctx, node)
            elif isinstance(target, ast.Attribute) and target.attr == "debug":
                confidence = self._flask_app(ctx, target.value)
                if confidence is not None and self._flask_receiver(ctx, target.value):
                    yield self._flask_debug(ctx, node, f"`{ctx.source_of(target)} = True` puts the Flask "
                                            "application in debug mode.", confidence)
            elif (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)
                  and target.value.attr == "config" and ctx.literal_values(target.slice) == ["DEBUG"]):
                confidence = self._flask_app(ctx, target.value.value)
                if confidence is not None and self._flask_receiver(ctx, target.value.value):
                    yield self._flask_debug(ctx, node, f"`{ctx.source_of(target)} = True` puts the Flask "
                                            "application in debug mode.", confidence)

    def _config_update(self, ctx: FileContext, call: ast.Call, config: ast.Attribute) -> Iterator[Finding]:
        """`app.config.update(DEBUG=True)` / `app.config.from_mapping({"DEBUG": True})`."""
        value: ast.expr | None = ctx.keyword(call, "DEBUG")
        for arg in call.args:
            if isinstance(arg, ast.Dict):
                for key, item in zip(arg.keys, arg.values):
                    if key is not None and ctx.literal_values(key) == ["DEBUG"]:
                        value = item
        if not _is_true(ctx, value) or environment_condition(ctx, call) is not None:
            return
        confidence = self._flask_app(ctx, config.value)
        if confidence is not None and self._flask_receiver(ctx, config.value):
            yield self._flask_debug(ctx, call, f"`{ctx.source_of(call.func)}` sets `DEBUG` to True: the "
                                    "Flask application runs in debug mode.", confidence, value)

    @staticmethod
    def _flask_receiver(ctx: FileContext, receiver: ast.expr) -> bool:
        """The object is an application of a module that uses Flask."""
        made_by = ctx.constructed_by(receiver)
        if made_by is not None and (made_by in _FLASK_APPS or made_by.split(".")[0] in ("flask", "quart", "dash")):
            return True
        return any(t.split(".")[0] in ("flask", "quart") for t in ctx.imports.values())

    def _flask_debug(self, ctx: FileContext, node: ast.AST, message: str, confidence: Confidence,
                     value: ast.expr | None = None) -> Finding:
        local_run = under_main_guard(ctx, node)
        return self.finding(
            ctx, node, message=message,
            explanation=("In debug mode `app.run()` serves the Werkzeug interactive debugger (a Python "
                         "console on every error page, guarded by a PIN anyone who can read a few "
                         "files of the machine can recompute), and errors propagate with their "
                         "tracebacks. Whoever reaches the server can run code as the application."),
            fix=Fix("Remove the assignment and switch debug mode on from the environment on a developer's "
                    "machine (`flask run --debug`).",
                    self._false(ctx, value if value is not None else getattr(node, "value", None), node)),
            confidence=confidence, severity=Severity.LOW if local_run else Severity.MEDIUM,
            trace=self._trace(ctx, value if value is not None else getattr(node, "value", None)))

    def _debug_setting(self, ctx: FileContext, node: ast.Assign) -> Iterator[Finding]:
        klass = ctx.parent(node)
        if isinstance(klass, ast.ClassDef):
            # Flask configuration objects: only a class named for production.
            if _words(klass.name) & PRODUCTION_WORDS and not _words(klass.name) & DEVELOPMENT_WORDS:
                yield self.finding(
                    ctx, node, message=f"`{klass.name}` sets `DEBUG = True`.",
                    explanation=(f"`{klass.name}` is the production configuration, and `DEBUG = True` "
                                 "in it puts the deployed application in debug mode: the Werkzeug "
                                 "debugger console when it is started with `app.run()`, and "
                                 "tracebacks for every error."),
                    fix=Fix("Set DEBUG = False in the production configuration.",
                            ctx.replace_source(node.value, "False", lines_of=node)),
                    confidence=Confidence.MEDIUM)
            return
        if klass is not ctx.tree and not isinstance(klass, (ast.Try, ast.With, ast.AsyncWith)):
            return
        if not settings_module(ctx) or development_path(ctx):
            return
        if any(later is not node and later.lineno > node.lineno and environment_condition(ctx, later) is None
               and not _is_true(ctx, getattr(later, "value", None))
               for later in module_assignments(ctx).get("DEBUG", [])):
            return  # overridden further down for every run
        os_module = ctx.module_alias("os")
        replacement = (f'{os_module}.environ.get("DJANGO_DEBUG") == "1"' if os_module else "False")
        yield self.finding(
            ctx, node, message="`DEBUG = True` in Django settings.",
            explanation=("With DEBUG on, every error is answered with Django's debug page: the "
                         "traceback with local variables, the settings (most secrets masked, not "
                         "all), the installed apps and the URL patterns; every SQL query is also kept "
                         "in memory. This module is the project's settings, so unless every deployment "
                         "overrides it the live site shows these pages to anyone."),
            fix=Fix("Read DEBUG from the environment, off unless set: "
                    "DEBUG = os.environ.get(\"DJANGO_DEBUG\") == \"1\".",
                    ctx.replace_source(node.value, replacement, lines_of=node)),
            confidence=Confidence.MEDIUM, trace=self._trace(ctx, node.value))

    # ---------------------------------------------------------- helpers
    @staticmethod
    def _trace(ctx: FileContext, flag: ast.AST | None) -> list[TraceStep]:
        if isinstance(flag, ast.Name):
            origin = ctx.origin(flag)
            return [TraceStep(ctx.path, origin.line, origin.note)]
        return []

    @staticmethod
    def _false(ctx: FileContext, flag: ast.AST | None, lines_of: ast.AST) -> str | None:
        """The finding's lines with the literal `True` turned into `False`."""
        if isinstance(flag, ast.Constant) and flag.value is True:
            return ctx.replace_source(flag, "False", lines_of=lines_of)
        return None


RULE = DebugEnabled()
