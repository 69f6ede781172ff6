"""TLS certificate verification turned off.

## What it does
Finds HTTPS clients and TLS contexts told not to check the server's
certificate: `verify=False` on `requests`/`httpx`/session calls and clients,
`session.verify = False`, `ssl._create_unverified_context()`,
`ssl._create_default_https_context = ssl._create_unverified_context`,
`cert_reqs=ssl.CERT_NONE` (or `'CERT_NONE'`), `context.verify_mode = ssl.CERT_NONE`,
`context.check_hostname = False`, and aiohttp's `ssl=False`/`verify_ssl=False`
(on `aiohttp.*` calls, on sessions made by aiohttp, and on request methods
called in a module that uses aiohttp).

Only a constant `False`/`CERT_NONE` is reported (a literal, or a name bound
only to one): `verify=CONF.ca_file` or `verify=not insecure` is a deployment's
documented choice, not a defect. `verify=False` counts only on HTTP clients:
`requests`/`httpx`/`urllib3`/`keystoneauth1`/`aiohttp` calls, and methods named
like HTTP requests or clients (`get`, `post`, `request`, `Session`...) on
objects of unknown type; `form.validate(verify=False)` is not reported, nor is
asyncio's `ssl=False` (which means no TLS at all, not TLS without checks).
`check_hostname = False` alone is reported as CWE-297 (host mismatch) with
medium severity: the certificate chain is still verified, only the name in it
is not. Test code is exempt (fixtures talk to local servers with throw-away
certificates).

## Why is this bad?
Without certificate verification anyone on the network path (a shared Wi-Fi,
a compromised router, a malicious proxy) can impersonate the server, read the
credentials and data sent, and answer with data of their choosing (CWE-295).

## Example
```python
resp = requests.get(url, verify=False)
```

## Use instead
Keep verification on, and point it at your private CA bundle if the server
uses one:
```python
resp = requests.get(url, verify="/etc/ssl/certs/internal-ca.pem")
```

## References
- https://cwe.mitre.org/data/definitions/295.html
- https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification
- https://docs.python.org/3/library/ssl.html#ssl.create_default_context
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules.base import Rule

_HTTP_MODULES = ("requests.", "httpx.", "keystoneauth1.", "urllib3.", "aiohttp.")
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "send",
                           "stream", "Session", "Client", "AsyncClient", "session"})
_AIOHTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request",
                              "ws_connect"})


_HOSTNAME_UNCHECKED = (
    "The certificate chain is still verified, but not the name in it: any certificate "
    "issued by a trusted CA is accepted for this server, so whoever holds one for another "
    "host (another node of the same deployment's CA, or any site when the system store is "
    "trusted) can pose as the server and read or alter the traffic."
)


class TlsVerificationDisabled(Rule):
    id = "py.tls-verification-disabled"
    name = "TLS certificate verification disabled"
    cwe = (295,)
    severity = Severity.HIGH
    bandit_ids = ("B501", "B323")
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for node in ctx.nodes(ast.Call, ast.Assign, ast.AnnAssign):
            if isinstance(node, ast.Call):
                yield from self._check_call(ctx, node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                yield from self._check_assign(ctx, node)

    def _check_call(self, ctx: FileContext, call: ast.Call) -> Iterator[Finding]:
        name = ctx.call_name(call) or ""
        if name == "ssl._create_unverified_context":
            module = ctx.module_alias("ssl")
            yield self._report(
                ctx, call, f"`{ctx.source_of(call.func)}()` creates a TLS context that accepts any certificate.",
                fix=Fix("Use ssl.create_default_context(), which verifies certificates and host names.",
                    ctx.replace_source(call.func, f"{module}.create_default_context", lines_of=call)
                    if module else None))
            return
        for kw in call.keywords:
            if kw.arg == "verify" and self._is_false(ctx, kw.value) and self._is_http_call(ctx, call, name):
                yield self._report(
                    ctx, call, self._called_with(ctx, call, kw),
                    value=kw.value, fix=Fix("Remove verify=False (verification is on by default) or pass the path of the "
                        "CA bundle that signs the server's certificate.",
                        ctx.replace_source(kw.value, "True", lines_of=call)))
            elif kw.arg in ("ssl", "verify_ssl") and self._is_false(ctx, kw.value) and \
                    self._is_aiohttp_call(ctx, call, name):
                yield self._report(
                    ctx, call, self._called_with(ctx, call, kw),
                    value=kw.value, fix=Fix("Leave TLS verification on (omit the argument) or pass an ssl.SSLContext "
                        "loaded with your CA bundle."))
            elif kw.arg == "cert_reqs" and self._is_cert_none(ctx, kw.value):
                old = ctx.source_of(kw.value, 200)
                yield self._report(
                    ctx, call, self._called_with(ctx, call, kw),
                    value=kw.value, fix=Fix("Require certificates: cert_reqs=ssl.CERT_REQUIRED.",
                        ctx.replace_source(kw.value, old.replace("CERT_NONE", "CERT_REQUIRED"), lines_of=call)))

    def _check_assign(self, ctx: FileContext, node: ast.Assign | ast.AnnAssign) -> Iterator[Finding]:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if value is None:
            return
        for target in targets:
            if not isinstance(target, ast.Attribute):
                continue
            shown = ctx.source_of(target)
            if target.attr == "verify" and self._is_false(ctx, value):
                yield self._report(ctx, node, f"`{shown}` is set to False: certificates are not checked.",
                                   value=value, fix=Fix("Keep session verification on, or set it to the CA bundle path.",
                                       ctx.replace_source(value, "True", lines_of=node)))
            elif target.attr == "check_hostname" and self._is_false(ctx, value):
                yield self._report(ctx, node, f"`{shown}` is set to False: host names are not checked.",
                                   value=value, fix=Fix("Leave check_hostname = True (the default of ssl.create_default_context()).",
                                       ctx.replace_source(value, "True", lines_of=node)),
                                   explanation=_HOSTNAME_UNCHECKED, severity=Severity.MEDIUM, cwe=(297,))
            elif target.attr == "verify_mode" and self._is_cert_none(ctx, value):
                old = ctx.source_of(value, 200)
                yield self._report(ctx, node, f"`{shown}` is set to CERT_NONE: certificates are not checked.",
                                   value=value, fix=Fix("Use ssl.CERT_REQUIRED.",
                                       ctx.replace_source(value, old.replace("CERT_NONE", "CERT_REQUIRED"),
                                                          lines_of=node)))
            elif ctx.qualified_name(target) == "ssl._create_default_https_context" and \
                    ctx.qualified_name(value) == "ssl._create_unverified_context":
                yield self._report(ctx, node, "Certificate verification is switched off for every HTTPS "
                                   "connection in the process.",
                                   fix=Fix("Remove this assignment; install the CA bundle the servers need instead."))

    def _report(self, ctx: FileContext, node: ast.AST, message: str, *, fix: Fix,
                value: ast.AST | None = None, explanation: str | None = None,
                severity: Severity | None = None, cwe: tuple[int, ...] | None = None) -> Finding:
        explanation = explanation or (
            "The connection accepts any certificate, so anyone on the network path can pose "
            "as the server, read what is sent (credentials, tokens, data) and forge the answers."
        )
        trace: list[TraceStep] = []
        if isinstance(value, ast.Name):
            # The setting comes through a name: show where it is fixed.
            origin = ctx.origin(value)
            trace.append(TraceStep(ctx.path, origin.line, origin.note))
            explanation = f"{origin.note}, so verification is always off. {explanation}"
        return self.finding(ctx, node, message=message, explanation=explanation, fix=fix,
                            confidence=Confidence.HIGH, trace=trace, severity=severity, cwe=cwe)

    @staticmethod
    def _called_with(ctx: FileContext, call: ast.Call, kw: ast.keyword) -> str:
        return (f"`{ctx.source_of(call.func)}` is called with `{ctx.source_of(kw)}`: the server's "
                "certificate is not checked.")

    @staticmethod
    def _is_http_call(ctx: FileContext, call: ast.Call, name: str) -> bool:
        if name.startswith(_HTTP_MODULES):
            return True
        return _method_name(call) in _HTTP_METHODS

    @staticmethod
    def _is_aiohttp_call(ctx: FileContext, call: ast.Call, name: str) -> bool:
        """An aiohttp call, a method of a session aiohttp made, or a request
        method of an object of unknown type in a module that imports aiohttp."""
        if name.startswith("aiohttp."):
            return True
        if _method_name(call) not in _AIOHTTP_METHODS:
            return False
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        made_by = ctx.constructed_by(receiver) if receiver is not None else None
        if made_by is not None:
            return made_by.startswith("aiohttp.")
        if name.split(".", 1)[0] in ctx.imports.values():
            return False  # a call into another imported module (asyncio, ...)
        return any(target.split(".", 1)[0] == "aiohttp" for target in ctx.imports.values())

    @staticmethod
    def _is_false(ctx: FileContext, value: ast.AST) -> bool:
        values = ctx.literal_values(value)
        return values is not None and bool(values) and all(v is False or v == 0 and type(v) is int for v in values)

    @staticmethod
    def _is_cert_none(ctx: FileContext, value: ast.AST) -> bool:
        if isinstance(value, ast.Constant):
            return value.value == "CERT_NONE"
        return (ctx.qualified_name(value) or "").endswith("CERT_NONE")


def _method_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else ""


RULE = TlsVerificationDisabled()
