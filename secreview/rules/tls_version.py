"""SSLv2, SSLv3, TLS 1.0 or TLS 1.1 chosen for a connection.

## What it does
Finds code that selects an obsolete protocol version for TLS connections:
- the stdlib constants `ssl.PROTOCOL_SSLv2`, `PROTOCOL_SSLv3`, `PROTOCOL_TLSv1`
  and `PROTOCOL_TLSv1_1` used as a value: given to `ssl.SSLContext(...)`, to
  `ssl.wrap_socket(ssl_version=...)` or any other call, assigned, or used as
  a default argument (also through `eventlet.green.ssl` and `gevent.ssl`);
- `context.minimum_version` set to `ssl.TLSVersion.SSLv3`, `TLSv1`, `TLSv1_1`
  or `MINIMUM_SUPPORTED`, `context.maximum_version` capped at one of the old
  versions, and the same values given to `minimum_version=` /
  `ssl_minimum_version=` (urllib3) or `maximum_version=` arguments;
- `ssl_version="TLSv1"` (a version name as a string, which urllib3 accepts);
- pyOpenSSL's `SSL.SSLv2_METHOD`, `SSLv3_METHOD`, `TLSv1_METHOD`,
  `TLSv1_1_METHOD`, and `set_min_proto_version(SSL.TLS1_VERSION)` (or
  `SSL3_VERSION`, `TLS1_1_VERSION`), `set_max_proto_version` capped there;
- re-enabling an old version by clearing its `OP_NO_*` option:
  `context.options &= ~ssl.OP_NO_TLSv1`, `SSL.Context.clear_options(SSL.OP_NO_SSLv3)`.

Not reported: `PROTOCOL_TLS`, `PROTOCOL_TLS_CLIENT`/`PROTOCOL_TLS_SERVER`,
`PROTOCOL_SSLv23` and pyOpenSSL's `TLS_METHOD`/`SSLv23_METHOD` (they
negotiate the best version both sides support); `ssl.wrap_socket()` without
`ssl_version` (its default negotiates too); options that *disable* old
versions (`context.options |= ssl.OP_NO_TLSv1`); and the constants where
they do not choose anything: comparisons, `match` cases, dictionary keys,
subscripts, log and string calls, and tables or tuples listing several
protocol versions, or entries added to such a map (`versions[ssl.PROTOCOL_TLSv1_1] =
SSL.TLSv1_1_METHOD`): a map from configuration names to constants lets the
deployment choose. Certificate checks turned off are
`py.tls-verification-disabled`'s business.

## Why is this bad?
SSLv2 and SSLv3 are broken (DROWN, POODLE: an attacker on the network path
decrypts traffic). TLS 1.0 and 1.1 lack modern cipher suites, rely on
MD5/SHA-1 in the handshake and suffer from BEAST-style attacks; RFC 8996
deprecates both, and browsers and PCI DSS no longer accept them. A
connection pinned to, or allowed to fall back to, one of these versions can
be read or altered by a man in the middle (CWE-327).

## Example
```python
import ssl

context = ssl.SSLContext(ssl.PROTOCOL_TLSv1)
```

## Use instead
Let the library negotiate the best version and set a floor of TLS 1.2:
```python
import ssl

context = ssl.create_default_context()
context.minimum_version = ssl.TLSVersion.TLSv1_2
```

## References
- https://cwe.mitre.org/data/definitions/327.html
- https://www.rfc-editor.org/rfc/rfc8996
- https://docs.python.org/3/library/ssl.html#ssl.SSLContext.minimum_version
- https://www.pyopenssl.org/en/latest/api/ssl.html#OpenSSL.SSL.Context.set_min_proto_version
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules.base import Rule

_SSL_MODULES = frozenset({"ssl", "eventlet.green.ssl", "gevent.ssl", "gevent._ssl3"})
_PYOPENSSL = "OpenSSL.SSL"
_CONSTANT_MODULES = frozenset({"ssl", "eventlet", "gevent", "OpenSSL"})  # top-level packages of the two above

# Stdlib PROTOCOL_* and pyOpenSSL *_METHOD names -> version shown.
_PROTOCOLS = {"PROTOCOL_SSLv2": "SSLv2", "PROTOCOL_SSLv3": "SSLv3", "PROTOCOL_TLSv1": "TLS 1.0",
              "PROTOCOL_TLSv1_1": "TLS 1.1"}
_METHODS = {"SSLv2_METHOD": "SSLv2", "SSLv3_METHOD": "SSLv3", "TLSv1_METHOD": "TLS 1.0",
            "TLSv1_1_METHOD": "TLS 1.1"}
# Everything that names one protocol version: used to recognise tables of choices.
_ANY_VERSION_NAMES = frozenset({*_PROTOCOLS, *_METHODS, "PROTOCOL_TLSv1_2", "PROTOCOL_TLS", "PROTOCOL_SSLv23",
                                "PROTOCOL_TLS_CLIENT", "PROTOCOL_TLS_SERVER", "TLSv1_2_METHOD", "TLS_METHOD",
                                "SSLv23_METHOD", "TLS_CLIENT_METHOD", "TLS_SERVER_METHOD"})
_TLS_VERSIONS = {"SSLv3": "SSLv3", "TLSv1": "TLS 1.0", "TLSv1_1": "TLS 1.1"}
_MINIMUM_SUPPORTED = "MINIMUM_SUPPORTED"
_PYOPENSSL_VERSIONS = {"SSL3_VERSION": "SSLv3", "TLS1_VERSION": "TLS 1.0", "TLS1_1_VERSION": "TLS 1.1"}
_OP_NO = {"OP_NO_SSLv2": "SSLv2", "OP_NO_SSLv3": "SSLv3", "OP_NO_TLSv1": "TLS 1.0", "OP_NO_TLSv1_1": "TLS 1.1"}
_VERSION_STRINGS = {"sslv2": "SSLv2", "sslv3": "SSLv3", "tlsv1": "TLS 1.0", "tlsv1_1": "TLS 1.1",
                    "protocol_sslv2": "SSLv2", "protocol_sslv3": "SSLv3", "protocol_tlsv1": "TLS 1.0",
                    "protocol_tlsv1_1": "TLS 1.1"}
_SEVERITY = {"SSLv2": Severity.HIGH, "SSLv3": Severity.HIGH, "TLS 1.0": Severity.MEDIUM,
             "TLS 1.1": Severity.MEDIUM, "the oldest version the library supports": Severity.MEDIUM}
_WHY = {
    "SSLv2": "SSLv2 is broken (DROWN): traffic can be decrypted by anyone on the network path",
    "SSLv3": "SSLv3 is broken (POODLE): an attacker on the network path decrypts traffic byte by byte",
    "TLS 1.0": ("TLS 1.0 is deprecated by RFC 8996: it lacks modern cipher suites, relies on MD5/SHA-1 "
                "in the handshake and is open to BEAST-style attacks"),
    "TLS 1.1": ("TLS 1.1 is deprecated by RFC 8996: it lacks modern cipher suites and relies on MD5/SHA-1 "
                "in the handshake"),
    "the oldest version the library supports": ("The floor is whatever the linked OpenSSL still allows, "
                                                "which can be TLS 1.0 or even SSLv3"),
}
# Calls whose arguments only print or log a constant.
_NOT_A_CHOICE_CALLS = frozenset({"str", "repr", "print", "format", "getattr", "hasattr", "isinstance", "id",
                                 "hash", "debug", "info", "warning", "warn", "error", "exception", "critical",
                                 "log"})
# Calls that ask about a version or check one (`has_tls_protocol(...)`, `assertEqual(...)`).
_QUERY_PREFIXES = ("assert", "has_", "is_", "supports", "skip")
_MIN_KEYWORDS = frozenset({"minimum_version", "ssl_minimum_version"})
_MAX_KEYWORDS = frozenset({"maximum_version", "ssl_maximum_version"})


class TlsVersion(Rule):
    id = "py.tls-version"
    name = "Obsolete SSL/TLS protocol version"
    cwe = (327,)
    severity = Severity.MEDIUM
    bandit_ids = ("B502", "B503")
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        found: dict[int, Finding] = {}  # one finding per statement
        for node, finding in self._findings(ctx):
            key = id(ctx.enclosing_statement(node))
            if key not in found:
                found[key] = finding
        yield from sorted(found.values(), key=lambda f: (f.line, f.column))

    def _findings(self, ctx: FileContext) -> Iterator[tuple[ast.AST, Finding]]:
        imported = ctx.imports.values()
        constants = ctx.nodes(ast.Attribute, ast.Name) if any(
            t.split(".", 1)[0] in _CONSTANT_MODULES for t in imported) else []
        for node in constants:  # PROTOCOL_* and friends: only through an ssl or OpenSSL import
            if not isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                continue
            module, _, constant = (ctx.qualified_name(node) or "").rpartition(".")
            version = None
            if module in _SSL_MODULES:
                version = _PROTOCOLS.get(constant)
            elif module == _PYOPENSSL:
                version = _METHODS.get(constant)
            if version is not None and self._chooses(ctx, node):
                yield node, self._protocol(ctx, node, version, pyopenssl=module == _PYOPENSSL)
            if constant in _OP_NO and (module in _SSL_MODULES or module == _PYOPENSSL):
                cleared = self._cleared_option(ctx, node)
                if cleared is not None:
                    yield node, self._re_enabled(ctx, cleared, _OP_NO[constant], node)
        for node in ctx.nodes(ast.Assign, ast.AnnAssign):
            yield from self._version_assignment(ctx, node)  # type: ignore[arg-type]
        for call, _name in ctx.calls():
            yield from self._version_call(ctx, call)

    # ------------------------------------------------ PROTOCOL_* / *_METHOD
    def _chooses(self, ctx: FileContext, node: ast.AST) -> bool:
        """The constant is used as a value that selects a protocol, not
        compared, printed or listed among alternatives."""
        child: ast.AST = node
        for parent in ctx.ancestors(node):
            if isinstance(parent, (ast.Compare, ast.MatchValue, ast.Subscript)):
                return False
            if isinstance(parent, ast.Dict) and child in parent.keys:
                return False
            if isinstance(parent, (ast.Dict, ast.List, ast.Tuple, ast.Set)) and self._table(ctx, parent):
                return False
            if isinstance(parent, (ast.If, ast.While, ast.Assert)) and child is parent.test:
                return False
            if isinstance(parent, ast.Call):
                if child is parent.func:
                    return False
                callee = parent.func.attr if isinstance(parent.func, ast.Attribute) else \
                    parent.func.id if isinstance(parent.func, ast.Name) else ""
                return callee not in _NOT_A_CHOICE_CALLS and not callee.startswith(_QUERY_PREFIXES)
            if isinstance(parent, ast.Assign) and any(self._table_entry(ctx, t) for t in parent.targets):
                return False
            if isinstance(parent, (ast.stmt, ast.arguments, ast.keyword, ast.Lambda)):
                return True
            child = parent
        return True

    @staticmethod
    def _table_entry(ctx: FileContext, target: ast.AST) -> bool:
        """`table[ssl.PROTOCOL_TLSv1_1] = ...` or `table["tlsv1"] = ...`: one
        entry of a map from version names to constants."""
        if not isinstance(target, ast.Subscript):
            return False
        key = target.slice
        if isinstance(key, ast.Constant):
            return isinstance(key.value, str) and key.value.lower() in _VERSION_STRINGS
        return (ctx.qualified_name(key) or "").rpartition(".")[2] in _ANY_VERSION_NAMES

    @staticmethod
    def _table(ctx: FileContext, container: ast.AST) -> bool:
        """A literal listing two or more protocol versions: choices, not a choice."""
        names = set()
        for sub in ast.walk(container):
            if isinstance(sub, (ast.Attribute, ast.Name)):
                name = (ctx.qualified_name(sub) or "").rpartition(".")[2]
                if name in _ANY_VERSION_NAMES:
                    names.add(name)
        return len(names) >= 2

    def _protocol(self, ctx: FileContext, node: ast.AST, version: str, *, pyopenssl: bool) -> Finding:
        shown = ctx.source_of(node)
        where = self._where(ctx, node)
        replacement = None
        if pyopenssl:
            description = ("Use SSL.TLS_METHOD (it negotiates the best version) and set a floor with "
                           "context.set_min_proto_version(SSL.TLS1_2_VERSION).")
            if isinstance(node, ast.Attribute):
                replacement = ctx.replace_source(node, f"{ctx.source_of(node.value, 200)}.TLS_METHOD")
        else:
            description = ("Use ssl.create_default_context() (or ssl.PROTOCOL_TLS_CLIENT / PROTOCOL_TLS_SERVER), "
                           "which negotiates the best version, and set "
                           "context.minimum_version = ssl.TLSVersion.TLSv1_2.")
        return self.finding(
            ctx, node,
            message=f"`{shown}` {where} pins the connection to {version}.",
            explanation=f"{_WHY[version]}. Both ends speak only {version}, however modern they are.",
            fix=Fix(description, replacement), confidence=Confidence.HIGH, severity=_SEVERITY[version])

    @staticmethod
    def _where(ctx: FileContext, node: ast.AST) -> str:
        parent = ctx.parent(node)
        if isinstance(parent, ast.keyword) and parent.arg:
            call = ctx.parent(parent)
            if isinstance(call, ast.Call):
                return f"passed as `{parent.arg}=` to `{ctx.source_of(call.func)}`"
        if isinstance(parent, ast.Call) and node in parent.args:
            return f"passed to `{ctx.source_of(parent.func)}`"
        if isinstance(parent, ast.arguments):
            return "as a default argument"
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            return f"assigned to `{ctx.source_of(targets[0])}`"
        return "chosen here"

    # ------------------------------------------------ minimum/maximum versions
    def _version_assignment(self, ctx: FileContext, node: ast.Assign | ast.AnnAssign) -> Iterator[tuple[ast.AST, Finding]]:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None:
            return
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in ("minimum_version", "maximum_version"):
                floor = target.attr == "minimum_version"
                finding = self._version_value(ctx, node, node.value, floor, f"`{ctx.source_of(target)}`")
                if finding is not None:
                    yield node, finding

    def _version_call(self, ctx: FileContext, call: ast.Call) -> Iterator[tuple[ast.AST, Finding]]:
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if method in ("set_min_proto_version", "set_max_proto_version") and call.args:
            floor = method == "set_min_proto_version"
            finding = self._version_value(ctx, call, call.args[0], floor, f"`{ctx.source_of(call.func)}`")
            if finding is not None:
                yield call, finding
        elif method == "clear_options" and call.args:
            for sub in ast.walk(call.args[0]):
                if isinstance(sub, (ast.Attribute, ast.Name)):
                    module, _, constant = (ctx.qualified_name(sub) or "").rpartition(".")
                    if constant in _OP_NO and (module in _SSL_MODULES or module == _PYOPENSSL):
                        yield call, self._re_enabled(ctx, call, _OP_NO[constant], sub)
                        return
        for kw in call.keywords:
            if kw.arg in _MIN_KEYWORDS or kw.arg in _MAX_KEYWORDS:
                finding = self._version_value(ctx, call, kw.value, kw.arg in _MIN_KEYWORDS,
                                              f"`{kw.arg}=` of `{ctx.source_of(call.func)}`")
                if finding is not None:
                    yield call, finding
            elif kw.arg == "ssl_version":
                for value in ctx.resolved_values(kw.value):
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        version = _VERSION_STRINGS.get(value.value.lower())
                        if version is not None:
                            yield call, self.finding(
                                ctx, call,
                                message=f"`ssl_version={ctx.source_of(kw.value)}` pins the connection to {version}.",
                                explanation=f"{_WHY[version]}. Both ends speak only {version}.",
                                fix=Fix("Leave ssl_version out (the library negotiates the best version) and set "
                                        "a minimum of TLS 1.2 instead."),
                                confidence=Confidence.HIGH, severity=_SEVERITY[version])
                            break

    def _version_value(self, ctx: FileContext, node: ast.AST, value: ast.expr, floor: bool,
                       setting: str) -> Finding | None:
        """A finding when `value` (followed through names) is an old version
        set as the floor, or as the ceiling."""
        resolved = ctx.resolved_values(value)
        versions: list[str] = []
        for item in resolved:
            qualified = ctx.qualified_name(item) or ""
            head, _, constant = qualified.rpartition(".")
            version = None
            if head.endswith("TLSVersion") and head.rpartition(".")[0] in _SSL_MODULES:
                version = _TLS_VERSIONS.get(constant)
                if version is None and floor and constant == _MINIMUM_SUPPORTED:
                    version = "the oldest version the library supports"
            elif head == _PYOPENSSL:
                version = _PYOPENSSL_VERSIONS.get(constant)
            if version is None:
                return None
            versions.append(version)
        if not versions:
            return None
        version = versions[0]
        trace: list[TraceStep] = []
        if isinstance(value, ast.Name):
            origin = ctx.origin(value)
            trace.append(TraceStep(ctx.path, origin.line, origin.note))
        replacement = None
        if isinstance(value, ast.Attribute) and len(resolved) == 1:
            better = ("TLSv1_2" if "TLSVersion" in ctx.source_of(value.value, 200) else "TLS1_2_VERSION") \
                if floor else ("MAXIMUM_SUPPORTED" if "TLSVersion" in ctx.source_of(value.value, 200) else None)
            if better is not None:
                replacement = ctx.replace_source(value, f"{ctx.source_of(value.value, 200)}.{better}",
                                                 lines_of=node)
        if floor:
            message = f"{setting} lets connections fall back to {version}."
            explanation = (f"{_WHY[version]}. An attacker on the network path can force the handshake down to "
                           "the oldest version both ends accept.")
            description = "Set the minimum to TLS 1.2 (ssl.TLSVersion.TLSv1_2, or SSL.TLS1_2_VERSION in pyOpenSSL)."
        else:
            message = f"{setting} caps connections at {version}."
            explanation = f"{_WHY[version]}. No connection can use a newer version."
            description = "Remove the cap, or set it to TLS 1.3 (ssl.TLSVersion.MAXIMUM_SUPPORTED)."
        return self.finding(ctx, node, message=message, explanation=explanation, fix=Fix(description, replacement),
                            confidence=Confidence.HIGH, severity=_SEVERITY[version], trace=trace)

    # -------------------------------------------------------- OP_NO_* cleared
    @staticmethod
    def _cleared_option(ctx: FileContext, node: ast.AST) -> ast.stmt | None:
        """The statement when `node` (an OP_NO_* flag) sits under `~` in
        `options &= ~flag` or `options = options & ~flag`."""
        inverted = False
        for parent in ctx.ancestors(node):
            if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Invert):
                inverted = True
            elif isinstance(parent, ast.AugAssign):
                return parent if inverted and isinstance(parent.op, ast.BitAnd) else None
            elif isinstance(parent, ast.Assign):
                value = parent.value
                return parent if inverted and isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitAnd) \
                    else None
            elif isinstance(parent, ast.stmt):
                return None
        return None

    def _re_enabled(self, ctx: FileContext, node: ast.AST, version: str, flag: ast.AST) -> Finding:
        return self.finding(
            ctx, node,
            message=f"Clearing `{ctx.source_of(flag)}` turns {version} back on.",
            explanation=(f"{_WHY[version]}. The option exists to switch {version} off; clearing it lets an "
                         "attacker on the network path force the handshake down to it."),
            fix=Fix(f"Keep {ctx.source_of(flag)} set, and set a minimum version of TLS 1.2."),
            confidence=Confidence.HIGH, severity=_SEVERITY[version])


RULE = TlsVersion()
