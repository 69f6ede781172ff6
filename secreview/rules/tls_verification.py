"""TLS certificate verification turned off.

## What it does
Finds HTTPS clients and TLS contexts told not to check the server's
certificate: `verify=False` on `requests`/`httpx`/session calls and clients,
`session.verify = False`, `ssl._create_unverified_context()`,
`ssl._create_default_https_context = ssl._create_unverified_context`,
`cert_reqs=ssl.CERT_NONE` (or `'CERT_NONE'`), `context.verify_mode = ssl.CERT_NONE`,
`context.check_hostname = False`, and aiohttp's `ssl=False`/`verify_ssl=False`.

Only a constant `False`/`CERT_NONE` is reported: `verify=CONF.ca_file` or
`verify=not insecure` is a deployment's documented choice, not a defect.
Test code is exempt (fixtures talk to local servers with throw-away
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

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext
from secreview.rules.base import Rule

_HTTP_MODULES = ("requests.", "httpx.", "keystoneauth1.", "urllib3.", "aiohttp.")
_HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "request", "send",
                 "stream", "Session", "Client", "AsyncClient", "session"}


class TlsVerificationDisabled(Rule):
    id = "py.tls-verification-disabled"
    name = "TLS certificate verification disabled"
    cwe = (295,)
    severity = Severity.HIGH
    bandit_ids = ("B501", "B323")
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for node in ast.walk(ctx.tree):
            if isinstance(node, ast.Call):
                yield from self._check_call(ctx, node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                yield from self._check_assign(ctx, node)

    def _check_call(self, ctx: FileContext, call: ast.Call) -> Iterator[Finding]:
        name = ctx.call_name(call) or ""
        if name in ("ssl._create_unverified_context",):
            yield self._report(
                ctx, call, f"`{name}()` creates a TLS context that accepts any certificate.",
                Fix("Use ssl.create_default_context(), which verifies certificates and host names.",
                    self.replace_in_lines(ctx, call, "_create_unverified_context(", "create_default_context(")))
            return
        for kw in call.keywords:
            if kw.arg == "verify" and self._is_false(ctx, kw.value) and self._is_http_call(ctx, call, name):
                yield self._report(
                    ctx, call, f"`{ctx.source_of(call.func)}` is called with `verify=False`.",
                    Fix("Remove verify=False (verification is on by default) or pass the path of the "
                        "CA bundle that signs the server's certificate.",
                        self.replace_in_lines(ctx, call, ctx.source_of(kw, 200), "verify=True")))
            elif kw.arg in ("ssl", "verify_ssl") and name.startswith("aiohttp.") and self._is_false(ctx, kw.value):
                yield self._report(
                    ctx, call, f"`{ctx.source_of(call.func)}` is called with `{kw.arg}=False`.",
                    Fix("Leave TLS verification on (omit the argument) or pass an ssl.SSLContext "
                        "loaded with your CA bundle."))
            elif kw.arg == "cert_reqs" and self._is_cert_none(ctx, kw.value):
                old = ctx.source_of(kw.value, 200)
                yield self._report(
                    ctx, call, f"`{ctx.source_of(call.func)}` is called with `cert_reqs={old}`.",
                    Fix("Require certificates: cert_reqs=ssl.CERT_REQUIRED.",
                        self.replace_in_lines(ctx, call, old, old.replace("CERT_NONE", "CERT_REQUIRED"))))

    def _check_assign(self, ctx: FileContext, node: ast.Assign | ast.AnnAssign) -> Iterator[Finding]:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if value is None:
            return
        for target in targets:
            if not isinstance(target, ast.Attribute):
                continue
            tname = ctx.qualified_name(target) or target.attr
            if target.attr == "verify" and self._is_false(ctx, value):
                yield self._report(ctx, node, f"`{ctx.source_of(target)}` is set to False.",
                                   Fix("Keep session verification on, or set it to the CA bundle path.",
                                       self.replace_in_lines(ctx, node, ctx.source_of(value), "True")))
            elif target.attr == "check_hostname" and self._is_false(ctx, value):
                yield self._report(ctx, node, f"`{ctx.source_of(target)}` is set to False: host names are not checked.",
                                   Fix("Leave check_hostname = True (the default of ssl.create_default_context()).",
                                       self.replace_in_lines(ctx, node, ctx.source_of(value), "True")))
            elif target.attr == "verify_mode" and self._is_cert_none(ctx, value):
                old = ctx.source_of(value)
                yield self._report(ctx, node, f"`{ctx.source_of(target)}` is set to CERT_NONE.",
                                   Fix("Use ssl.CERT_REQUIRED.",
                                       self.replace_in_lines(ctx, node, old, old.replace("CERT_NONE", "CERT_REQUIRED"))))
            elif tname == "ssl._create_default_https_context" and \
                    (ctx.qualified_name(value) or "") == "ssl._create_unverified_context":
                yield self._report(ctx, node, "Certificate verification is switched off for every HTTPS "
                                   "connection in the process.",
                                   Fix("Remove this assignment; install the CA bundle the servers need instead."))

    def _report(self, ctx: FileContext, node: ast.AST, message: str, fix: Fix) -> Finding:
        explanation = (
            "The connection accepts any certificate, so anyone on the network path can pose "
            "as the server, read what is sent (credentials, tokens, data) and forge the answers."
        )
        return self.finding(ctx, node, message=message, explanation=explanation, fix=fix,
                            confidence=Confidence.HIGH)

    @staticmethod
    def _is_http_call(ctx: FileContext, call: ast.Call, name: str) -> bool:
        if name.startswith(_HTTP_MODULES):
            return True
        last = name.rsplit(".", 1)[-1] if name else (
            call.func.attr if isinstance(call.func, ast.Attribute) else "")
        return last in _HTTP_METHODS

    @staticmethod
    def _is_false(ctx: FileContext, value: ast.AST) -> bool:
        values = ctx.literal_values(value)
        return bool(values) and all(v is False or v == 0 and type(v) is int for v in values)

    @staticmethod
    def _is_cert_none(ctx: FileContext, value: ast.AST) -> bool:
        if isinstance(value, ast.Constant):
            return value.value == "CERT_NONE"
        return (ctx.qualified_name(value) or "").endswith("CERT_NONE")


RULE = TlsVerificationDisabled()
