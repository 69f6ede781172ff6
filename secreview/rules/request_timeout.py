"""Outgoing HTTP request that can wait forever.

## What it does
Reports HTTP requests made without a timeout, or with the timeout switched
off, in service code: `requests.get/post/put/patch/delete/head/options/request()`
and the same methods (and `send()`) of a `requests.Session()` (held in a
local name or a `self` attribute) called without `timeout=`;
`urllib.request.urlopen()` and `http.client.HTTPConnection`/`HTTPSConnection`
without a timeout; and an explicit `timeout=None` on any of these and on
`httpx` (`httpx.get(..., timeout=None)`, `httpx.Client(timeout=None)`,
`client.get(..., timeout=None)`).

Not reported: `httpx` calls without `timeout=` (httpx applies a 5 second
default) and aiohttp (5 minutes by default); calls that forward `**kwargs`,
which may carry the timeout; a session whose methods are replaced
(`session.request = functools.partial(session.request, timeout=30)`) or that
mounts a custom transport adapter, either of which may set a default timeout
(a plain `HTTPAdapter` does not); `urlopen()` and `http.client` in a module
that calls `socket.setdefaulttimeout()`, whose value they use; a timeout held
in a variable, even one that may be `None` (the caller chooses).

"Service code" is decided per file: test code, the body of an
`if __name__ == "__main__":` block and the module's functions it calls
(`main()`), and scripts (a file starting with a `#!` line, `__main__.py`,
`setup.py`) are not reported, since a person running a command can
interrupt a stuck call. Console-script entry points declared in
packaging metadata are not exempt: in projects such as Nova they start the
long-running services themselves. Clients other than these (keystoneauth
sessions, urllib3 pools) are not checked.

## Why is this bad?
`requests` and `urllib` have no timeout of their own: when the peer accepts
the connection and then stops answering (an overloaded service, a network
partition, or a server an attacker controls or can point the URL at), the
call blocks forever. In a service every such call holds a worker (thread,
green thread, process) until restart, so a few slow peers can stall the whole
service (CWE-1088).

## Example
```python
import requests


def fetch_metadata(url):
    return requests.get(url).json()
```

## Use instead
Set connect and read timeouts fit for the service, and handle
`requests.Timeout`:
```python
import requests


def fetch_metadata(url):
    return requests.get(url, timeout=(3.05, 30)).json()
```

## References
- https://cwe.mitre.org/data/definitions/1088.html
- https://requests.readthedocs.io/en/latest/user/advanced/#timeouts
- https://docs.python.org/3/library/urllib.request.html#urllib.request.urlopen
- https://www.python-httpx.org/advanced/timeouts/
"""

from __future__ import annotations

import ast
import os
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules.base import Rule

_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_REQUESTS_PREFIXES = ("requests.", "requests.api.")
_SESSIONS = frozenset({"requests.Session", "requests.session", "requests.sessions.Session",
                       "requests.sessions.session"})
_URLOPEN = frozenset({"urllib.request.urlopen", "urllib2.urlopen", "six.moves.urllib.request.urlopen"})
# http.client connections: name -> position of `timeout`, None when only a keyword reaches it.
_CONNECTIONS = {"http.client.HTTPConnection": 2, "http.client.HTTPSConnection": None,
                "httplib.HTTPConnection": 2, "httplib.HTTPSConnection": None}
_HTTPX_CLIENTS = frozenset({"httpx.Client", "httpx.AsyncClient"})
_HTTPX_FUNCTIONS = frozenset({f"httpx.{m}" for m in (*_METHODS, "stream")})
_LIBRARIES = ("requests", "httpx", "urllib", "six.moves", "http", "httplib")
_PLAIN_ADAPTERS = frozenset({"requests.adapters.HTTPAdapter"})
_SCRIPT_FILES = frozenset({"__main__.py", "setup.py"})

_FIX = ("Pass a timeout chosen for this service, as (connect, read) seconds, e.g. timeout=(3.05, 30), "
        "and handle the timeout error; do not rely on the library, which waits forever by default.")


class RequestTimeout(Rule):
    id = "py.request-timeout"
    name = "HTTP request without a timeout"
    cwe = (1088,)
    severity = Severity.LOW
    bandit_ids = ("B113",)
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        if _is_script(ctx) or not any(target.startswith(_LIBRARIES) for target in ctx.imports.values()):
            return  # no HTTP client imported: nothing here can make a request this rule knows
        sets_socket_default = any(name == "socket.setdefaulttimeout" for _, name in ctx.calls())
        entry_points = _script_entry_points(ctx)
        for call, name in ctx.calls():
            finding = self._check_call(ctx, call, name, sets_socket_default)
            if finding is not None and not _in_main_block(ctx, call) \
                    and _top_function(ctx, call) not in entry_points:
                yield finding

    def _check_call(self, ctx: FileContext, call: ast.Call, name: str,
                    sets_socket_default: bool) -> Finding | None:
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else ""
        # httpx: a timeout is on by default; only an explicit None switches it off.
        if name in _HTTPX_FUNCTIONS or name in _HTTPX_CLIENTS or (
                method in _METHODS | {"stream", "send"} and _made_by(ctx, func, _HTTPX_CLIENTS)):
            timeout = ctx.keyword(call, "timeout")
            if timeout is not None and _is_none(ctx, timeout):
                return self._report(ctx, call, "httpx", timeout)
            return None
        timeout = ctx.keyword(call, "timeout")
        library = ""
        if (name.startswith(_REQUESTS_PREFIXES) and name.rsplit(".", 1)[-1] in _METHODS
                and name.count(".") <= 2 and "()" not in name):
            library = "requests"
        elif method in _METHODS | {"send"} and (
                any(name.startswith(f"{s}().") for s in _SESSIONS)
                or (isinstance(func, ast.Attribute) and self._session(ctx, func))):
            library = "session"
        elif name in _URLOPEN:
            library = "urllib"
            timeout = ctx.argument(call, 2, "timeout")
        elif name in _CONNECTIONS:
            library = "http.client"
            position = _CONNECTIONS[name]
            timeout = ctx.argument(call, position, "timeout") if position is not None else timeout
        if not library:
            return None
        if timeout is not None:
            return self._report(ctx, call, library, timeout) if _is_none(ctx, timeout) else None
        if any(kw.arg is None for kw in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
            return None  # **kwargs / *args may carry the timeout
        if library == "session" and method == "request" and len(call.args) > 8:
            return None  # Session.request(method, url, params, data, headers, cookies, files, auth, timeout)
        if library in ("urllib", "http.client") and sets_socket_default:
            return None
        return self._report(ctx, call, library, None)

    @staticmethod
    def _session(ctx: FileContext, func: ast.Attribute) -> bool:
        """The receiver is a requests session with no sign of a default timeout."""
        if not _made_by(ctx, func, _SESSIONS):
            return False
        receiver = ctx.source_of(func.value, 200)
        for node in ctx.nodes(ast.Assign, ast.Call):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (isinstance(target, ast.Attribute) and target.attr in _METHODS | {"send"}
                            and ctx.source_of(target.value, 200) == receiver):
                        return False  # session.request = partial(session.request, timeout=...)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "mount"
                    and ctx.source_of(node.func.value, 200) == receiver):
                adapter = ctx.argument(node, 1, "adapter")
                made = ctx.call_name(adapter) if isinstance(adapter, ast.Call) else None
                if made not in _PLAIN_ADAPTERS:
                    return False  # a custom adapter may set a default timeout
        return True

    def _report(self, ctx: FileContext, call: ast.Call, library: str, timeout: ast.AST | None) -> Finding:
        shown = f"{ctx.source_of(call.func)}()"
        trace: list[TraceStep] = []
        if timeout is not None:
            waits = ("every request of this client can wait forever" if ctx.call_name(call) in _HTTPX_CLIENTS
                     else "the request can wait forever")
            message = f"`{shown}` is called with `timeout={ctx.source_of(timeout)}`: {waits}."
            cause = "The timeout is switched off explicitly"
            if isinstance(timeout, ast.Name):
                origin = ctx.origin(timeout)
                trace.append(TraceStep(ctx.path, origin.line, origin.note))
        else:
            message = f"`{shown}` is called without a timeout: the request can wait forever."
            cause = {
                "requests": "requests has no default timeout",
                "session": "A requests session has no default timeout",
                "urllib": "urlopen() without a timeout uses the socket default, which is to wait forever",
                "http.client": "http.client connections without a timeout use the socket default, "
                               "which is to wait forever",
            }[library]
        if library == "session" and isinstance(call.func, ast.Attribute):
            ignored = _timeout_attribute(ctx, call.func.value)
            if ignored is not None:
                cause += f" (`{ctx.source_of(ignored, 60)}` on line {ignored.lineno} has no effect: sessions ignore it)"
        explanation = (
            f"{cause}: if the peer accepts the connection and then stops answering (an overloaded "
            "service, a network partition, a server an attacker controls or can point the URL at), "
            "this call blocks, and the worker running it (thread, green thread, process) is lost "
            "until the service restarts. A few such peers can stall the service.")
        return self.finding(ctx, call, message=message, explanation=explanation, fix=Fix(_FIX),
                            confidence=Confidence.HIGH, trace=trace)


def _timeout_attribute(ctx: FileContext, receiver: ast.AST) -> ast.Assign | None:
    """`session.timeout = ...` on the same receiver: requests ignores it."""
    shown = ctx.source_of(receiver, 200)
    for node in ctx.nodes(ast.Assign):
        for target in node.targets:  # type: ignore[attr-defined]
            if (isinstance(target, ast.Attribute) and target.attr == "timeout"
                    and ctx.source_of(target.value, 200) == shown):
                return node  # type: ignore[return-value]
    return None


def _made_by(ctx: FileContext, func: ast.AST, makers: frozenset[str]) -> bool:
    """The method's receiver is an object made by one of `makers`: a name
    bound to `maker(...)` (or `with maker(...) as name`), a `self` attribute
    only ever assigned `maker(...)`, or the call itself."""
    if not isinstance(func, ast.Attribute):
        return False
    receiver = func.value
    if isinstance(receiver, ast.Call):
        return (ctx.call_name(receiver) or "") in makers
    if isinstance(receiver, ast.Name):
        return (ctx.constructed_by(receiver) or "") in makers
    if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name):
        values = _self_attribute_values(ctx, receiver)
        return bool(values) and all(
            isinstance(v, ast.Call) and (ctx.call_name(v) or "") in makers for v in values)
    return False


def _self_attribute_values(ctx: FileContext, attribute: ast.Attribute) -> list[ast.AST]:
    """Every value the enclosing class assigns to `self.<attr>` (nothing when
    one of them cannot be known)."""
    return ctx.instance_attribute_values(attribute) or []


def _is_none(ctx: FileContext, value: ast.AST) -> bool:
    if ctx.literal_values(value) == [None]:
        return True
    # httpx.Timeout(None): no limit on any phase
    return (isinstance(value, ast.Call) and (ctx.call_name(value) or "") == "httpx.Timeout"
            and len(value.args) == 1 and not value.keywords and ctx.literal_values(value.args[0]) == [None])


def _is_script(ctx: FileContext) -> bool:
    return ctx.module.text.startswith("#!") or os.path.basename(ctx.path) in _SCRIPT_FILES


def _script_entry_points(ctx: FileContext) -> set[str]:
    """Module-level functions the `if __name__ == "__main__":` block calls
    (`main()`, `sys.exit(main())`): the code of the command line script."""
    names: set[str] = set()
    for stmt in ctx.tree.body:
        if isinstance(stmt, ast.If) and _is_main_test(stmt.test):
            for node in ast.walk(stmt):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    names.add(node.func.id)
    defined = {stmt.name for stmt in ctx.tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return names & defined


def _top_function(ctx: FileContext, node: ast.AST) -> str | None:
    """The name of the module-level function holding `node`."""
    top = None
    for anc in ctx.ancestors(node):
        if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef)) and ctx.parent(anc) is ctx.tree:
            top = anc.name
    return top


def _in_main_block(ctx: FileContext, node: ast.AST) -> bool:
    for anc in ctx.ancestors(node):
        if isinstance(anc, ast.If) and ctx.parent(anc) is ctx.tree and _is_main_test(anc.test):
            return True
    return False


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


RULE = RequestTimeout()
