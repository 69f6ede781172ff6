"""Exception details or stack traces sent back to the client.

## What it does
Finds HTTP responses built from the details of an exception the code did not
choose to show: the message of an exception caught by a broad handler
(`except:`, `except Exception`/`BaseException`, or errors of the operating
system, `subprocess`, `oslo.concurrency`, database drivers, SQLAlchemy,
`oslo.db`, HTTP clients and other back ends, whose messages carry paths,
commands, SQL, addresses and URLs), and any `traceback.format_exc()`/
`traceback.format_exception(...)`/`traceback.format_tb(...)` text. The detail
is `str(e)`, `repr(e)`, `six.text_type(e)`, `e.args`, `e.strerror`,
`e.stderr`, `e.orig`..., `e` itself in an f-string, `%`/`.format()`
formatting or a dict of format arguments, and names assigned from those.

It is reported where it reaches a response: webob's `exc.HTTP*(explanation=...)`
(the OpenStack API fault), `webob.Response`, Flask's `jsonify`,
`make_response`, `abort`, `Response`, werkzeug's HTTP exceptions, Django's
`HttpResponse*`/`JsonResponse`, Django REST framework's `Response` and API
exceptions, FastAPI/Starlette `HTTPException` and responses, aiohttp's
`web.Response`/`web.json_response`/`web.HTTP*`, falcon's and bottle's
errors, `pecan.abort`, a page rendered with it (`flask.render_template`,
Django's `render`); and a `return` of the detail from a Flask/FastAPI
route, an error handler registered for `Exception`/500, or an action of an
OpenStack `wsgi.Controller`.

Not reported: handlers of specific exceptions (`except exception.InstanceNotFound
as e: raise exc.HTTPNotFound(explanation=e.format_message())`, `except
ValueError as e`): their messages are written for, or about, the caller's
input — that is how OpenStack APIs are meant to answer; `e.format_message()`
(the message a project exception is designed to show), `type(e)`,
`e.__class__.__name__`, `e.code`, `e.errno` and other fields that name the
error without its text; a broad handler's `e` used inside an
`if isinstance(e, SpecificError):` branch (or `type(e) is ...`, or
`e.exc_type in [...]` for an oslo.messaging `RemoteError`); a broad handler around a `try`
block that only reads the request and parses it (`json.loads`, `int`,
`uuid.UUID`, `jsonutils.loads`...), whose errors describe the caller's own
input; exceptions that are only logged;
exception text passed to functions the rule does not know (it cannot tell
what they keep).

## Why is this bad?
An unexpected exception's message is written for the developer: it can hold
file system paths, SQL statements and their parameters, commands with their
arguments, internal host names and service URLs, library versions, and
sometimes credentials from a connection string. Sent to the client, it maps
the deployment for an attacker and can leak data outright (CWE-209). A stack
trace adds source lines and the code's structure.

## Example
```python
import flask

app = flask.Flask(__name__)


@app.route("/reports/<name>")
def report(name):
    try:
        return flask.jsonify(build_report(name))
    except Exception as e:
        return flask.jsonify(error=str(e)), 500
```

## Use instead
Log the details for the operator and send a fixed message (or the message of
a specific, user-facing exception):
```python
import logging

import flask

LOG = logging.getLogger(__name__)
app = flask.Flask(__name__)


@app.route("/reports/<name>")
def report(name):
    try:
        return flask.jsonify(build_report(name))
    except Exception:
        LOG.exception("report %s failed", name)
        return flask.jsonify(error="The report could not be built."), 500
```

## References
- https://cwe.mitre.org/data/definitions/209.html
- https://owasp.org/www-community/Improper_Error_Handling
- https://docs.openstack.org/nova/latest/contributor/api.html
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules.base import Rule
from secreview.rules._openstack import controller_actions

Function = ast.FunctionDef | ast.AsyncFunctionDef

# Exceptions whose messages are not written for the client.
_BROAD = frozenset({
    "Exception", "BaseException", "StandardError", "OSError", "IOError", "EnvironmentError",
    "PermissionError", "FileNotFoundError", "FileExistsError", "IsADirectoryError",
    "NotADirectoryError", "ConnectionError", "ConnectionRefusedError", "ConnectionResetError",
    "BrokenPipeError", "socket.error", "socket.gaierror", "socket.herror", "select.error",
    "subprocess.CalledProcessError", "subprocess.SubprocessError",
    "oslo_concurrency.processutils.ProcessExecutionError",
    "requests.RequestException", "requests.ConnectionError", "requests.HTTPError",
    "requests.Timeout", "libvirt.libvirtError", "django.db.Error", "django.db.DatabaseError",
    "django.db.IntegrityError", "django.db.OperationalError",
})
# Modules every exception of which is a back end's error.
_BROAD_MODULES = (
    "sqlalchemy.", "psycopg2.", "psycopg.", "pymysql.", "MySQLdb.", "mysql.connector.",
    "sqlite3.", "oslo_db.exception.", "django.db.utils.", "requests.exceptions.",
    "urllib.error.", "urllib3.exceptions.", "http.client.", "httpx.", "ssl.", "paramiko.",
    "ldap.", "redis.exceptions.", "pymongo.errors.", "botocore.exceptions.",
    "keystoneauth1.exceptions.", "oslo_messaging.", "kombu.exceptions.", "docker.errors.",
    "smtplib.", "ftplib.",
)
_TRACEBACK_CALLS = frozenset({
    "traceback.format_exc", "traceback.format_exception", "traceback.format_tb",
    "traceback.format_stack", "traceback.extract_tb", "traceback.extract_stack",
})
# Calls that turn their arguments into text that keeps them.
_STRINGIFY = frozenset({
    "str", "repr", "format", "six.text_type", "six.u", "six.b", "oslo_utils.encodeutils.exception_to_unicode",
    "oslo_utils.encodeutils.safe_decode", "oslo_utils.encodeutils.safe_encode",
    "traceback.format_exception_only", "_", "gettext.gettext", "json.dumps", "oslo_serialization.jsonutils.dumps",
})
# String methods whose result keeps the text of the string they are called on.
_STRING_METHODS = frozenset({
    "strip", "lstrip", "rstrip", "lower", "upper", "capitalize", "title", "replace", "encode",
    "decode", "format", "join", "splitlines", "split", "center", "ljust", "rjust",
})
# Exception fields that carry the message or the details behind it.
_DETAIL_ATTRS = frozenset({
    "args", "message", "msg", "strerror", "filename", "filename2", "stderr", "stdout", "output",
    "cmd", "orig", "statement", "params", "detail", "text", "description", "exit_code",
    "traceback", "__traceback__", "__cause__", "__context__", "value",
})
# Response constructors and HTTP errors: every argument reaches the client.
_SINK_PREFIXES = (
    "webob.exc.HTTP", "webob.Response", "webob.response.Response",
    "werkzeug.exceptions.", "werkzeug.wrappers.Response", "werkzeug.Response",
    "django.http.HttpResponse", "django.http.JsonResponse", "django.http.StreamingHttpResponse",
    "django.http.response.", "rest_framework.response.Response", "rest_framework.exceptions.",
    "fastapi.HTTPException", "fastapi.exceptions.HTTPException", "fastapi.responses.",
    "starlette.exceptions.HTTPException", "starlette.responses.",
    "aiohttp.web.Response", "aiohttp.web.json_response", "aiohttp.web.HTTP",
    "aiohttp.web_exceptions.HTTP", "falcon.HTTP", "falcon.errors.HTTP",
    "bottle.HTTPResponse", "bottle.HTTPError", "bottle.abort", "sanic.response.",
    "sanic.exceptions.", "quart.jsonify", "quart.make_response", "quart.abort", "quart.Response",
)
_SINKS = frozenset({"flask.jsonify", "flask.make_response", "flask.abort", "flask.Response",
                    "flask.render_template", "django.shortcuts.render",
                    "django.template.response.TemplateResponse", "pecan.abort", "fastapi.Response",
                    "fastapi.JSONResponse"})
# Reading the request being answered (its body, its parameters).
_REQUEST_READS = ("flask.request.", "request.", "req.", "self.request.")
# Calls that only parse or convert a value: their errors describe that value.
_PARSERS = frozenset({
    "int", "float", "complex", "bool", "str", "bytes", "len", "dict", "list", "tuple",
    "json.loads", "json.load", "oslo_serialization.jsonutils.loads", "uuid.UUID",
    "oslo_utils.strutils.bool_from_string", "oslo_utils.strutils.string_to_bytes",
    "oslo_utils.timeutils.parse_isotime", "oslo_utils.timeutils.parse_strtime",
    "oslo_utils.uuidutils.is_uuid_like", "datetime.datetime.strptime", "datetime.date.fromisoformat",
    "datetime.datetime.fromisoformat", "ipaddress.ip_address", "ipaddress.ip_network",
    "ipaddress.ip_interface", "netaddr.IPAddress", "netaddr.IPNetwork", "base64.b64decode",
    "base64.urlsafe_b64decode", "decimal.Decimal", "urllib.parse.urlparse", "urllib.parse.urlsplit",
    "jsonschema.validate", "dateutil.parser.parse", "iso8601.parse_date",
})
_ROUTE_METHODS = frozenset({"route", "get", "post", "put", "patch", "delete", "head", "options",
                            "api_route", "websocket"})
_HANDLER_REGISTRARS = frozenset({"errorhandler", "exception_handler", "app_errorhandler",
                                 "register_error_handler"})
# Translation markers (`from nova.i18n import _`): the text passes through.
_GETTEXT = frozenset({"_", "_LE", "_LW", "_LI", "gettext", "ugettext", "gettext_lazy"})
_BUILTIN_CONVERSIONS = frozenset({"int", "float", "bool", "dict", "list", "tuple", "set", "len", "print"})
_MAX_DEPTH = 12


@dataclass(frozen=True)
class _Leak:
    """What detail reaches the response, and the path it takes."""

    kind: str  # "message" or "traceback"
    what: str  # `str(e)`, `traceback.format_exc()`
    source_line: int
    source_note: str
    steps: tuple[TraceStep, ...] = ()


def _shown_as(ctx: FileContext, leak: _Leak | None, expr: ast.AST) -> _Leak | None:
    """The leak named by the expression that shows it (`str(e)`, `e.stderr`)
    rather than by the bare exception name."""
    if leak is None or not leak.what.isidentifier():
        return leak
    text = ctx.source_of(expr, 60)
    return _Leak(leak.kind, text, leak.source_line, leak.source_note, leak.steps)


def _names_type_of(expr: ast.AST, name: str) -> bool:
    """`type(e)`, `e.__class__`, `e.__class__.__name__`, `type(e).__name__`, `e.exc_type`."""
    if isinstance(expr, ast.Attribute) and expr.attr == "__name__":
        expr = expr.value
    if isinstance(expr, ast.Attribute) and expr.attr in ("__class__", "exc_type"):
        return isinstance(expr.value, ast.Name) and expr.value.id == name
    return (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "type"
            and len(expr.args) == 1 and isinstance(expr.args[0], ast.Name) and expr.args[0].id == name)


def _is_sink(name: str) -> bool:
    return name in _SINKS or name.startswith(_SINK_PREFIXES)


class _Scan:
    """One file's analysis: which functions answer HTTP requests, which
    names hold an unexpected exception, and what carries its text."""

    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self._handler_params = self._broad_handler_params(ctx)
        self.routes = self._route_functions(ctx)

    def first_leak(self, exprs: list[ast.expr]) -> _Leak | None:
        return self._first_leak(self.ctx, exprs)

    # ------------------------------------------------------------ where
    def _route_functions(self, ctx: FileContext) -> dict[int, str]:
        """id(function) -> what kind of handler it is, for functions whose
        return value is the HTTP response."""
        routes: dict[int, str] = {}
        for func in ctx.functions:
            for decorator in func.decorator_list:
                if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
                    continue
                attr = decorator.func.attr
                first = decorator.args[0] if decorator.args else None
                path = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
                if attr == "route" and path is not None or attr in _ROUTE_METHODS and path and path.startswith("/"):
                    routes[id(func)] = f"the route `{func.name}()`"
                elif attr in _HANDLER_REGISTRARS and id(func) in self._handler_params:
                    routes[id(func)] = f"the error handler `{func.name}()`"
        for klass, action in controller_actions(ctx):
            routes[id(action)] = f"the API action `{klass.name}.{action.name}`"
        return routes

    def _broad_handler_params(self, ctx: FileContext) -> dict[int, ast.arg]:
        """id(function) -> its exception parameter, for error handlers
        registered for `Exception` or status 500 (`@app.errorhandler(Exception)`,
        `@app.exception_handler(Exception)`)."""
        found: dict[int, ast.arg] = {}
        for func in ctx.functions:
            params = [*func.args.posonlyargs, *func.args.args]
            if not params:
                continue
            for decorator in func.decorator_list:
                if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr in _HANDLER_REGISTRARS and decorator.args):
                    continue
                first = decorator.args[0]
                if (isinstance(first, ast.Constant) and first.value == 500) or self._is_broad(ctx, first):
                    found[id(func)] = params[-1]
        return found

    # ------------------------------------------------------------- what
    def _is_broad(self, ctx: FileContext, kind: ast.expr | None) -> bool:
        if kind is None:
            return True  # bare `except:`
        if isinstance(kind, ast.Tuple):
            return any(self._is_broad(ctx, element) for element in kind.elts)
        name = ctx.qualified_name(kind) or ""
        return name in _BROAD or name.startswith(_BROAD_MODULES)

    def _first_leak(self, ctx: FileContext, exprs: list[ast.expr]) -> _Leak | None:
        for expr in exprs:
            leak = self._leak(ctx, expr, 0, frozenset())
            if leak is not None:
                return leak
        return None

    def _leak(self, ctx: FileContext, expr: ast.AST, depth: int, seen: frozenset) -> _Leak | None:
        """The exception detail `expr` carries, or None."""
        if depth > _MAX_DEPTH:
            return None
        d = depth + 1
        if isinstance(expr, ast.Name):
            return self._name_leak(ctx, expr, d, seen)
        if isinstance(expr, ast.Call):
            return self._call_leak(ctx, expr, d, seen)
        if isinstance(expr, ast.Attribute):
            if expr.attr in _DETAIL_ATTRS and self._exception_variable(ctx, expr.value) is not None:
                return _shown_as(ctx, self._leak(ctx, expr.value, d, seen), expr)
            return None  # e.code, e.errno, e.__class__.__name__, obj.field: not the message
        if isinstance(expr, ast.Subscript):
            return self._leak(ctx, expr.value, d, seen)
        if isinstance(expr, ast.JoinedStr):
            parts = [v.value for v in expr.values if isinstance(v, ast.FormattedValue)]
        elif isinstance(expr, ast.FormattedValue):
            parts = [expr.value]
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Mod, ast.Add)):
            parts = [expr.left, expr.right]
        elif isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            parts = list(expr.elts)
        elif isinstance(expr, ast.Dict):
            parts = list(expr.values)
        elif isinstance(expr, ast.IfExp):
            parts = [expr.body, expr.orelse]
        elif isinstance(expr, ast.BoolOp):
            parts = list(expr.values)
        elif isinstance(expr, (ast.Starred, ast.Await)):
            parts = [expr.value]
        else:
            return None
        for part in parts:
            leak = self._leak(ctx, part, d, seen)
            if leak is not None:
                return leak
        return None

    def _call_leak(self, ctx: FileContext, call: ast.Call, depth: int, seen: frozenset) -> _Leak | None:
        name = ctx.call_name(call) or ""
        if name in _TRACEBACK_CALLS:
            line = call.lineno
            return _Leak("traceback", ctx.source_of(call), line,
                         f"`{ctx.source_of(call)}` is the stack trace of the exception being handled")
        if name == "sys.exc_info":
            handler = self._enclosing_handler(ctx, call, None)
            if handler is not None and self._unexpected(ctx, handler, call):
                return self._handler_leak(ctx, handler, ctx.source_of(call))
            return None
        func = call.func
        parts: list[ast.AST] = [*call.args, *(k.value for k in call.keywords)]
        if name in _STRINGIFY or name.rsplit(".", 1)[-1] in _GETTEXT:
            pass
        elif isinstance(func, ast.Attribute) and func.attr in _STRING_METHODS:
            parts.append(func.value)
        else:
            return None  # e.format_message(), type(e), an unknown function: not known to keep the text
        for part in parts:
            leak = self._leak(ctx, part, depth, seen)
            if leak is not None:
                return _shown_as(ctx, leak, call) if name in ("str", "repr", "six.text_type") else leak
        return None

    def _name_leak(self, ctx: FileContext, name: ast.Name, depth: int, seen: frozenset) -> _Leak | None:
        source = self._exception_variable(ctx, name)
        if source is not None:
            if isinstance(source, ast.ExceptHandler):
                if self._unexpected(ctx, source, name):
                    return self._handler_leak(ctx, source, name.id)
                return None
            # the exception parameter of an error handler registered for Exception/500
            func = ctx.enclosing_function(name)
            return _Leak("message", name.id, source.lineno,
                         f"`{name.id}` is any exception the error handler `{func.name if func else '?'}()` "
                         "is registered for, not only errors meant for the caller")
        if name.id in seen:
            return None
        value = self._value_before(ctx, name)
        if value is None:
            return None
        binding, expr = value
        leak = self._leak(ctx, expr, depth, seen | {name.id})
        if leak is None:
            return None
        step = TraceStep(ctx.path, binding.lineno, f"`{name.id}` is built from `{leak.what}`")
        return _Leak(leak.kind, leak.what, leak.source_line, leak.source_note, (*leak.steps, step))

    def _unexpected(self, ctx: FileContext, handler: ast.ExceptHandler, use: ast.AST) -> bool:
        """The handler catches errors not meant for the caller at `use`: it
        is broad, `use` is not under `if isinstance(e, Specific)`, and its
        `try` block does more than parse the caller's input."""
        return (self._is_broad(ctx, handler.type) and not self._narrowed(ctx, use, handler)
                and not self._only_parses(ctx, ctx.parent(handler)))

    @staticmethod
    def _only_parses(ctx: FileContext, try_: ast.AST | None) -> bool:
        """`try: data = jsonutils.loads(req.body)`: every call of the block
        parses or converts a value, so the error describes that value."""
        calls = [n for stmt in getattr(try_, "body", []) for n in ast.walk(stmt) if isinstance(n, ast.Call)]
        return bool(calls) and all(
            name in _PARSERS or name.startswith(_REQUEST_READS)
            for name in (ctx.call_name(c) or "" for c in calls))

    def _handler_leak(self, ctx: FileContext, handler: ast.ExceptHandler, what: str) -> _Leak:
        caught = "except:" if handler.type is None else f"except {ctx.source_of(handler.type)}"
        if handler.name:
            caught += f" as {handler.name}"
        first = self._first_call(ctx, ctx.parent(handler))
        block = "the `try` block" + (f" (which calls `{ctx.source_of(first.func)}(...)`)" if first else "")
        if self._catches_everything(ctx, handler.type):
            note = f"`{caught}` catches every error raised in {block}, not only errors meant for the caller"
        else:
            note = (f"`{caught}` catches the errors of the system or back end used in {block}; their "
                    "messages describe that system, not the caller's request")
        return _Leak("message", what, handler.lineno, note)

    def _catches_everything(self, ctx: FileContext, kind: ast.expr | None) -> bool:
        if kind is None:
            return True
        if isinstance(kind, ast.Tuple):
            return any(self._catches_everything(ctx, element) for element in kind.elts)
        return ctx.qualified_name(kind) in ("Exception", "BaseException", "StandardError")

    @staticmethod
    def _first_call(ctx: FileContext, try_: ast.AST | None) -> ast.Call | None:
        """The first call the `try` block makes that can fail for reasons of
        its own (not a response constructor or a builtin conversion)."""
        calls = [n for stmt in getattr(try_, "body", []) for n in ast.walk(stmt) if isinstance(n, ast.Call)]
        for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
            name = ctx.call_name(call) or ""
            if _is_sink(name) or name in _BUILTIN_CONVERSIONS or name in _STRINGIFY:
                continue
            return call
        return None

    def _exception_variable(self, ctx: FileContext, expr: ast.AST) -> ast.ExceptHandler | ast.arg | None:
        """The `except ... as name` handler, or the error handler's
        parameter, that `expr` (a bare name) is bound by."""
        if not isinstance(expr, ast.Name):
            return None
        handler = self._enclosing_handler(ctx, expr, expr.id)
        if handler is not None:
            return handler
        func = ctx.enclosing_function(expr)
        if func is not None and id(func) in self._handler_params:
            param = self._handler_params[id(func)]
            if param.arg == expr.id and all(b is param for b in ctx.bindings_of(expr)):
                return param
        return None

    @staticmethod
    def _enclosing_handler(ctx: FileContext, node: ast.AST, name: str | None) -> ast.ExceptHandler | None:
        """The innermost `except` block around `node` (binding `name`, when
        given) in the same function."""
        for ancestor in ctx.ancestors(node):
            if isinstance(ancestor, ast.ExceptHandler) and (name is None or ancestor.name == name):
                return ancestor
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                return None
        return None

    def _narrowed(self, ctx: FileContext, node: ast.AST, handler: ast.ExceptHandler) -> bool:
        """`node` sits in the body of an `if` inside the handler that picks
        specific errors: `isinstance(e, Specific)`, `type(e) is Specific`,
        `e.exc_type in ["InvalidVolume", ...]` (the remote class of an
        oslo.messaging RemoteError), `e.__class__.__name__ == "..."`."""
        child = node
        for ancestor in ctx.ancestors(node):
            if ancestor is handler:
                return False
            if isinstance(ancestor, ast.If) and child in ancestor.body and handler.name:
                if any(self._picks_type(ctx, test, handler.name) for test in ast.walk(ancestor.test)):
                    return True
            child = ancestor
        return False

    def _picks_type(self, ctx: FileContext, test: ast.AST, name: str) -> bool:
        if (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
                and len(test.args) == 2 and isinstance(test.args[0], ast.Name) and test.args[0].id == name):
            return not self._is_broad(ctx, test.args[1])
        if isinstance(test, ast.Compare) and all(isinstance(op, (ast.Is, ast.Eq, ast.In)) for op in test.ops):
            return any(_names_type_of(operand, name) for operand in (test.left, *test.comparators))
        return False

    @staticmethod
    def _value_before(ctx: FileContext, name: ast.Name) -> tuple[ast.stmt, ast.expr] | None:
        """The value of the last plain assignment to `name` before its use,
        in the same scope (or a value added to it: `body["error"] = ...`,
        `errors.append(...)`)."""
        scope = ctx.enclosing_function(name) or ctx.tree
        use_line = name.lineno
        use_stmt = ctx.enclosing_statement(name)
        best: tuple[ast.stmt, ast.expr] | None = None
        added: tuple[ast.stmt, ast.expr] | None = None
        for node in ast.walk(scope):
            if not isinstance(node, ast.stmt) or node is use_stmt or getattr(node, "lineno", use_line) > use_line:
                continue
            if (ctx.enclosing_function(node) or ctx.tree) is not scope:
                continue
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == name.id:
                        if best is None or node.lineno >= best[0].lineno:
                            best = (node, node.value)
                    elif (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                            and target.value.id == name.id):
                        added = added or (node, node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                    and node.target.id == name.id and node.value is not None:
                if best is None or node.lineno >= best[0].lineno:
                    best = (node, node.value)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) \
                    and node.target.id == name.id:
                added = added or (node, node.value)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                call = node.value
                if (isinstance(call.func, ast.Attribute) and call.func.attr in ("append", "extend", "update", "insert")
                        and isinstance(call.func.value, ast.Name) and call.func.value.id == name.id):
                    added = added or (node, ast.Tuple(elts=list(call.args), ctx=ast.Load()))
        if added is not None and (best is None or added[0].lineno >= best[0].lineno):
            if best is None:
                return added
            return best[0], ast.Tuple(elts=[best[1], added[1]], ctx=ast.Load())
        return best


class ExceptionExposure(Rule):
    id = "py.exception-exposure"
    name = "Exception details sent to the client"
    cwe = (209,)
    severity = Severity.LOW
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        scan = _Scan(ctx)
        reported: set[int] = set()
        for call, name in ctx.calls():
            if not _is_sink(name):
                continue
            leak = scan.first_leak([*call.args, *(k.value for k in call.keywords)])
            if leak is not None:
                reported.add(id(ctx.enclosing_statement(call)))
                yield self._report(ctx, call, f"`{ctx.source_of(call.func)}(...)`", leak)
        for ret in ctx.nodes(ast.Return):
            assert isinstance(ret, ast.Return)  # noqa: S101 - narrows the type of nodes()
            if ret.value is None or id(ret) in reported:
                continue
            func = ctx.enclosing_function(ret)
            if func is None or id(func) not in scan.routes:
                continue
            leak = scan.first_leak([ret.value])
            if leak is not None:
                yield self._report(ctx, ret, f"the response of {scan.routes[id(func)]}", leak)

    # ----------------------------------------------------------- report
    def _report(self, ctx: FileContext, node: ast.Call | ast.Return, sink: str, leak: _Leak) -> Finding:
        trace = [TraceStep(ctx.path, leak.source_line, leak.source_note), *leak.steps]
        route = "; ".join(f"{step.note} on line {step.line}" for step in leak.steps)
        route = f" ({route})" if route else ""
        if leak.kind == "traceback":
            message = f"A stack trace (`{leak.what}`) is sent to the client in {sink}."
            explanation = (
                f"On line {leak.source_line}, {leak.source_note}; it reaches {sink} on line "
                f"{node.lineno}{route}. A stack trace shows file paths, source lines, library versions "
                "and the values in the failing code to whoever triggers the error, a map of the "
                "deployment for an attacker."
            )
            severity, confidence = Severity.MEDIUM, Confidence.HIGH
        else:
            message = f"The message of an unexpected exception (`{leak.what}`) is sent to the client in {sink}."
            explanation = (
                f"On line {leak.source_line}, {leak.source_note}. "
                f"The text of `{leak.what}` reaches {sink} on line {node.lineno}{route}. Messages of "
                "unexpected errors are written for developers: they can carry file paths, SQL "
                "statements, commands, internal host names and service URLs, even credentials of a "
                "connection string."
            )
            severity, confidence = Severity.LOW, Confidence.MEDIUM
        return self.finding(
            ctx, node, message=message, explanation=explanation,
            fix=Fix("Log the exception for the operator (`LOG.exception(...)`) and answer with a fixed "
                    "message; show text only from specific exceptions whose messages are written for the "
                    "client (e.g. `except exception.Invalid as e: ... e.format_message()`).", None),
            confidence=confidence, severity=severity, trace=trace,
        )


RULE = ExceptionExposure()
