"""SSH client that accepts any host key.

## What it does
Finds SSH clients told to trust a server whose host key they do not know:
- paramiko's `client.set_missing_host_key_policy(...)` given `AutoAddPolicy`
  or `WarningPolicy` (the class or an instance; through `from paramiko
  import AutoAddPolicy as ...`, `paramiko.client.AutoAddPolicy`, a variable
  or a `self.` attribute set to one), or assigned to `client._policy`;
- a project's own policy class (defined in the same file) whose
  `missing_host_key()` can only accept: its body raises nothing and calls
  nothing but logging, `print` and host-key bookkeeping (`add`,
  `save_host_keys`...), or the class inherits `AutoAddPolicy`/`WarningPolicy`
  or paramiko's do-nothing `MissingHostKeyPolicy.missing_host_key` without
  overriding it;
- asyncssh's `known_hosts=None` (on `asyncssh.connect()` and friends, which
  turns host-key checking off) and pysftp's `cnopts.hostkeys = None`.

Not reported: `RejectPolicy` (paramiko's default), custom policies whose
`missing_host_key()` raises or asserts anywhere (they check something and
refuse otherwise; what they check cannot be judged statically) or calls a
helper we cannot see (it may raise), policy classes imported from
elsewhere, and a policy chosen at run time by a setting named for the
trade-off (`AutoAddPolicy() if CONF.insecure else RejectPolicy()`, or the
call under `if not CONF.strict_host_key_checking:`: the deployment's
documented choice). A fallback that trusts any key when the known-hosts
file is missing is still reported.
Test code is exempt: tests talk to throw-away local servers.

## Why is this bad?
The host key is how an SSH client knows it reached the right server. With
`AutoAddPolicy` or `WarningPolicy` the first (or every) connection to an
unknown key goes ahead, so anyone who can redirect the traffic (DNS, ARP,
a compromised router) can pose as the server, collect the password or
agent-forwarded credentials sent to it, and read or alter everything run
over the session (CWE-295).

## Example
```python
import paramiko

client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect("db.internal", username="deploy")
```

## Use instead
Load the known host keys (shipped with the deployment or from
`~/.ssh/known_hosts`) and refuse unknown ones:
```python
import paramiko

client = paramiko.SSHClient()
client.load_system_host_keys()
client.set_missing_host_key_policy(paramiko.RejectPolicy())
client.connect("db.internal", username="deploy")
```

## References
- https://cwe.mitre.org/data/definitions/295.html
- https://docs.paramiko.org/en/stable/api/client.html#paramiko.client.SSHClient.set_missing_host_key_policy
- https://asyncssh.readthedocs.io/en/latest/api.html#specifying-known-hosts
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule

_PARAMIKO_MODULES = ("paramiko.", "paramiko.client.")
_ACCEPTING = {"AutoAddPolicy": "adds every unknown host key to the known hosts and connects",
              "WarningPolicy": "logs a warning for an unknown host key and connects anyway"}
_BASE_POLICY = "MissingHostKeyPolicy"
# Calls a `missing_host_key()` may make and still accept every key.
_HARMLESS_CALLS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print",
                             "add", "save_host_keys", "get_host_keys", "add_host_key", "_log", "format",
                             "get_name", "get_base64", "get_fingerprint", "hexlify", "encode", "decode", "str",
                             "join", "fingerprint"})
_ASYNCSSH_PREFIX = "asyncssh."
# Settings that name the host-key trade-off: a policy chosen under one is the deployment's documented choice.
_OPTION_WORDS = frozenset({"insecure", "strict", "verify", "verification", "trust", "accept", "autoadd",
                           "unsafe", "allow", "unknown"})


class SshHostKey(Rule):
    id = "py.ssh-host-key"
    name = "SSH host key not verified"
    cwe = (295,)
    severity = Severity.HIGH
    bandit_ids = ("B507",)
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            if isinstance(call.func, ast.Attribute) and call.func.attr == "set_missing_host_key_policy" and call.args:
                finding = self._policy(ctx, call, call.args[0])
                if finding is not None:
                    yield finding
            elif name.startswith(_ASYNCSSH_PREFIX):
                known_hosts = ctx.keyword_node(call, "known_hosts")
                if known_hosts is not None and isinstance(known_hosts.value, ast.Constant) \
                        and known_hosts.value.value is None:
                    yield self.finding(
                        ctx, call,
                        message=f"`{ctx.source_of(call.func)}` is called with `known_hosts=None`: the server's "
                                "host key is not checked.",
                        explanation=("asyncssh treats known_hosts=None as 'skip host key validation', so any "
                                     "server that answers is accepted. " + _IMPACT),
                        fix=Fix("Leave known_hosts at its default (~/.ssh/known_hosts) or pass the path of a "
                                "known_hosts file for these servers."),
                        confidence=Confidence.HIGH)
        for node in ctx.nodes(ast.Assign):
            yield from self._assignment(ctx, node)  # type: ignore[arg-type]

    # ------------------------------------------------------------- paramiko
    def _policy(self, ctx: FileContext, node: ast.AST, value: ast.expr) -> Finding | None:
        if _chosen_by_an_option(ctx, node):
            return None
        values = _resolved(ctx, value)
        verdicts = [self._judge(ctx, v) for v in values]
        if not verdicts or any(v is None for v in verdicts):
            return None
        how, klass, class_expr, custom = verdicts[0]  # type: ignore[misc]
        trace: list[TraceStep] = []
        if isinstance(value, (ast.Name, ast.Attribute)) and value is not class_expr:
            origin = ctx.origin(value) if isinstance(value, ast.Name) else None
            if origin is not None:
                trace.append(TraceStep(ctx.path, origin.line, origin.note))
            elif values and values[0] is not value:
                trace.append(TraceStep(ctx.path, getattr(values[0], "lineno", 0),
                                       f"`{ctx.source_of(value)}` is set to `{ctx.source_of(values[0])}`"))
        if isinstance(custom, ast.ClassDef):
            trace.append(TraceStep(ctx.path, custom.lineno, f"`{custom.name}` {how}"))
        elif custom is not None:
            trace.append(TraceStep(ctx.path, getattr(custom, "lineno", 0),
                                   f"`{klass}.missing_host_key()` never refuses a key"))
        replacement = None
        written_here = value is class_expr or (isinstance(value, ast.Call) and value.func is class_expr)
        if custom is None and written_here and isinstance(class_expr, ast.Attribute):
            module = ctx.source_of(class_expr.value, 200)  # type: ignore[union-attr]
            replacement = ctx.replace_source(class_expr, f"{module}.RejectPolicy", lines_of=node)
        shown = ctx.source_of(value)
        return self.finding(
            ctx, node,
            message=f"`{shown}` is the missing-host-key policy: the client {how}.",
            explanation=("An SSH client that connects to a server whose host key it does not know cannot tell "
                         "the real server from an impostor. " + _IMPACT),
            fix=Fix("Load the known host keys (client.load_system_host_keys() or client.load_host_keys(path)) "
                    "and keep paramiko.RejectPolicy() for unknown hosts.", replacement),
            # A custom missing_host_key() is judged from the calls it makes: medium confidence.
            confidence=Confidence.MEDIUM if isinstance(custom, (ast.FunctionDef, ast.AsyncFunctionDef))
            else Confidence.HIGH,
            trace=trace)

    def _judge(self, ctx: FileContext, value: ast.expr, depth: int = 0
               ) -> tuple[str, str, ast.expr, ast.AST | None] | None:
        """(what the policy does, class name, class expression, the custom
        `missing_host_key` that accepts) when the policy accepts unknown keys."""
        class_expr = value.func if isinstance(value, ast.Call) else value
        qualified = ctx.qualified_name(class_expr) or ""
        for prefix in _PARAMIKO_MODULES:
            if qualified.startswith(prefix) and qualified[len(prefix):] in _ACCEPTING:
                klass = qualified[len(prefix):]
                return _ACCEPTING[klass], klass, class_expr, None
        if isinstance(class_expr, ast.Name):
            verdict = self._custom(ctx, class_expr.id, depth)
            if verdict is not None:
                how, method = verdict
                return how, class_expr.id, class_expr, method
        return None

    def _custom(self, ctx: FileContext, name: str, depth: int) -> tuple[str, ast.AST] | None:
        """What a policy class defined in this file does with unknown keys,
        when it accepts them."""
        if depth > 5:
            return None
        classes = [c for c in ctx.nodes(ast.ClassDef) if c.name == name]  # type: ignore[attr-defined]
        if len(classes) != 1:
            return None
        klass: ast.ClassDef = classes[0]  # type: ignore[assignment]
        method = next((s for s in klass.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and s.name == "missing_host_key"), None)
        if method is not None:
            return ("accepts every unknown host key (its missing_host_key() never refuses)", method) \
                if self._only_accepts(ctx, method, klass, depth) else None  # type: ignore[return-value]
        for base in klass.bases:
            qualified = ctx.qualified_name(base) or ""
            for prefix in _PARAMIKO_MODULES:
                tail = qualified[len(prefix):] if qualified.startswith(prefix) else ""
                if tail in _ACCEPTING:
                    return f"{_ACCEPTING[tail]} (inherited from {tail})", klass
                if tail == _BASE_POLICY:
                    return ("accepts every unknown host key (MissingHostKeyPolicy's missing_host_key() does "
                            "nothing)", klass)
            if isinstance(base, ast.Name):
                inherited = self._custom(ctx, base.id, depth + 1)
                if inherited is not None:
                    return inherited
        return None

    def _only_accepts(self, ctx: FileContext, method: ast.AST, klass: ast.ClassDef, depth: int) -> bool:
        """The method never refuses: no raise or assert, and every call is
        logging or bookkeeping (or the accepting parent's method)."""
        for node in ast.walk(method):
            if isinstance(node, (ast.Raise, ast.Assert)):
                return False
            if isinstance(node, ast.Call):
                callee = node.func
                if isinstance(callee, ast.Name) and callee.id == "super":
                    continue
                if isinstance(callee, ast.Attribute) and callee.attr == "missing_host_key" \
                        and isinstance(callee.value, ast.Call) and isinstance(callee.value.func, ast.Name) \
                        and callee.value.func.id == "super":
                    if not self._parent_accepts(ctx, klass, depth):
                        return False
                    continue
                attr = callee.attr if isinstance(callee, ast.Attribute) else \
                    callee.id if isinstance(callee, ast.Name) else ""
                if attr not in _HARMLESS_CALLS:
                    return False  # a call we cannot judge: it may refuse
        return True

    def _parent_accepts(self, ctx: FileContext, klass: ast.ClassDef, depth: int) -> bool:
        for base in klass.bases:
            qualified = ctx.qualified_name(base) or ""
            for prefix in _PARAMIKO_MODULES:
                tail = qualified[len(prefix):] if qualified.startswith(prefix) else ""
                if tail in _ACCEPTING or tail == _BASE_POLICY:
                    return True
            if isinstance(base, ast.Name) and self._custom(ctx, base.id, depth + 1) is not None:
                return True
        return False

    # ---------------------------------------------------------- assignments
    def _assignment(self, ctx: FileContext, node: ast.Assign) -> Iterator[Finding]:
        for target in node.targets:
            if not isinstance(target, ast.Attribute):
                continue
            if target.attr == "_policy":
                finding = self._policy(ctx, node, node.value)
                if finding is not None:
                    yield finding
            elif target.attr == "hostkeys" and isinstance(node.value, ast.Constant) and node.value.value is None \
                    and (ctx.constructed_by(target.value) or "").startswith("pysftp."):
                yield self.finding(
                    ctx, node,
                    message=f"`{ctx.source_of(target)} = None` turns off pysftp's host key check.",
                    explanation="pysftp connects to any server when hostkeys is None. " + _IMPACT,
                    fix=Fix("Keep cnopts.hostkeys (it loads ~/.ssh/known_hosts) or load the servers' keys with "
                            "cnopts.hostkeys.load(path)."),
                    confidence=Confidence.HIGH)


_IMPACT = ("Anyone who can redirect the traffic (DNS, ARP, a compromised router) can pose as the server, "
           "collect the credentials sent to it and read or alter everything run over the session.")


def _chosen_by_an_option(ctx: FileContext, node: ast.AST) -> bool:
    """The statement runs only under an `if` that tests a setting named for
    this trade-off (`if CONF.insecure:`, `if not strict_host_key_checking:`)."""
    func = ctx.enclosing_function(node)
    child: ast.AST = node
    for parent in ctx.ancestors(node):
        if parent is func:
            break
        if isinstance(parent, ast.If) and child is not parent.test and not ctx.is_constant(parent.test):
            for sub in ast.walk(parent.test):
                text = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else \
                    sub.value if isinstance(sub, ast.Constant) and isinstance(sub.value, str) else ""
                if _words(text) & _OPTION_WORDS:
                    return True
        child = parent
    return False


def _resolved(ctx: FileContext, expr: ast.expr, depth: int = 0) -> list[ast.expr]:
    """The expressions a name (or a `self.` attribute set in the class) stands for."""
    if depth >= 6:
        return [expr]
    if isinstance(expr, ast.Name):
        values = ctx.assigned_values(expr)
        if values:
            out: list[ast.expr] = []
            for value in values:
                out.extend(_resolved(ctx, value, depth + 1))
            return out
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        klass = next((a for a in ctx.ancestors(expr) if isinstance(a, ast.ClassDef)), None)
        if klass is not None:
            values = []
            for node in ast.walk(klass):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Attribute) and target.attr == expr.attr \
                                and isinstance(target.value, ast.Name) and target.value.id == "self":
                            values.append(node.value)
                elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Attribute) \
                        and node.target.attr == expr.attr:
                    return [expr]
            if values:
                out = []
                for value in values:
                    out.extend(_resolved(ctx, value, depth + 1))
                return out
    return [expr]


RULE = SshHostKey()
