"""Passwords, tokens and other secrets written to a log.

## What it does
Finds logging calls (`logging.info(...)`, `LOG.debug(...)`, `logger.warning(...)`
and the other level methods of a logger: a name like `LOG`/`logger`/`_log`, or
one assigned from `getLogger()`) whose arguments carry a secret value:

- a value named as the secret itself: `password`, `admin_password`,
  `adminPass`, `self._password`, `auth_token`, `context.auth_token`,
  `token`, `secret`, `api_key`, `private_key`, `session_key`, `auth_header`,
  or an item read with such a key (`creds["password"]`,
  `req.headers["X-Auth-Token"]`, `body.get("adminPass")`), or a dict argument
  whose key says so (`{"password": pw}`): reported with high confidence
  (medium for `token_id`, which is the bearer token itself in Keystone but
  may be a row id elsewhere, and for a message built in a local first);
- a container known to hold secrets, logged whole: volume `connection_info`
  (or `conn_info`, or its `["data"]`), whose data carries CHAP
  `auth_password`, Ceph keys and similar for the backends that use them, and
  a request's `headers`/`environ`, which carry `X-Auth-Token`: reported with
  medium confidence. When one file logs the same container unmasked in
  several places, they are reported once, at the first, and the others are
  listed in the finding. Not reported: a connection info dict built in the
  same function from literals whose keys are all visible and none a secret
  (`{"driver_volume_type": "nvmeof", "data": {"target_nqn": nqn}}`), one
  logged inside an `if ... == "fibre_channel":` branch (Fibre Channel
  connection info holds WWNs and LUNs, no credentials), and os-brick's
  per-connector `connection_properties`: a connector sees only its own
  protocol's properties, and those of most protocols hold no credentials.

The secret may be a lazy `%` argument, a part of an f-string, a `%` or
`.format()` operand, an element of a tuple or dict argument, or a message
built in a local variable first (`msg = "... %s" % connection_info`).

Not reported: anything passed through a masking function
(`oslo_utils.strutils.mask_password()`/`mask_dict_password()`, or any function
whose name says mask, redact, scrub, sanitize or obfuscate); constants
(`"***"`, `password = "<SANITIZED>"`); names that contain a security word
but are not the secret: `token_expiry`, `token_type`, `password_length`,
`password_changed`, `has_password`, `password_hash`, `hashed_password`,
`secret_uuid`/`secret_ref` (a reference to a secret in Barbican or libvirt,
not the secret), `key_name`, `public_key`, `keypair`, `auth_url`,
`next_token` (a pagination marker), `first_pass`, `pwd = os.getcwd()`, a
bare `token` in a module that tokenises text (`tokenize`, `shlex`,
`pyparsing`...), and `credentials`/`creds`, which in OpenStack policy code
are the caller's roles and ids, not secrets (their `["password"]` is
reported); values made from a secret that do not reveal it
(`len(password)`, `password is None`, `bool(token)`, a slice such as
`token[:8]`); the text of the message itself
(`LOG.info("Password changed for %s", user)` logs the user); and keyword
arguments such as oslo.log's `instance=`. Writing untrusted text into a log
is a different weakness, `py.log-injection`. Test code is exempt.

## Why is this bad?
Logs are copied to central collectors, attached to bug reports, kept for
months and read by far more people than the secret was meant for: operators,
support staff, anyone who can read a debug bundle (CWE-532). A password or
token written there is a credential handed to all of them; Keystone tokens
and CHAP passwords in `connection_info` are usable by whoever reads the line
until they expire or are rotated.

## Example
```python
import logging

LOG = logging.getLogger(__name__)


def connect(user, password):
    LOG.debug("Connecting as %s with password %s", user, password)
```

## Use instead
Leave the secret out, or mask it: `oslo_utils.strutils.mask_password()`
replaces the values of password-like keys in a message or a dict's text:
```python
import logging

from oslo_utils import strutils

LOG = logging.getLogger(__name__)


def connect(user, password):
    LOG.debug("Connecting as %s (password set: %s)", user, bool(password))


def attach(connection_info):
    LOG.debug("Attaching %s", strutils.mask_password(connection_info))
```

## References
- https://cwe.mitre.org/data/definitions/532.html
- https://docs.openstack.org/oslo.utils/latest/reference/strutils.html#oslo_utils.strutils.mask_password
- https://security.openstack.org/guidelines/dg_not-logging-sensitive-information.html
- https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html#data-to-exclude
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext, end_of, start_of
from secreview.rules.base import Rule, lazy_compile

_LEVELS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
# A logger by name: LOG, log, logger, _LOG, self._logger, app.logger, audit_logger.
_LOGGER_NAME = lazy_compile(r"(?i)^_*(log|logger|logging|\w+_logger|\w+_log)$")
_LOGGER_FACTORIES = ("getLogger", "get_logger", "getChild", "LoggerAdapter", "KeywordArgumentAdapter")
_WORD = lazy_compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# The last word of a name that is the secret itself.
_SECRET_HEADS = frozenset({
    "password", "passwords", "passwd", "pwd", "passphrase", "passcode", "pass", "secret", "secrets",
    "token", "apikey", "authorization",
})
# `..._token` that is a position or a marker, not a credential: `next_token`
# (a pagination marker), `cancel_token`, a lexer's `current_token`.
_NOT_CREDENTIAL_TOKENS = frozenset({
    "next", "page", "continuation", "pagination", "sync", "resume", "cancel", "cancellation", "marker",
    "start", "end", "eos", "bos", "pad", "unk", "special", "first", "last", "current", "prev", "previous",
    "lexer", "parser",
})
# `..._key` is a secret only after one of these (`private_key`, `api_key`),
# not `public_key`, `key_name`, `ssh_key` (a public key in most code).
_SECRET_KEY_QUALIFIERS = frozenset({
    "private", "secret", "api", "encryption", "signing", "hmac", "master", "shared", "auth",
    "session", "symmetric", "fernet", "aes",
})
# `..._header` is the secret header's value after one of these (`auth_header`).
_SECRET_HEADER_QUALIFIERS = frozenset({"auth", "authorization", "token"})
# Words after the secret word that keep the name about its value: `password_plain`.
_VALUE_SUFFIXES = frozenset({"value", "val", "str", "string", "text", "raw", "plain", "plaintext", "clear",
                             "cleartext", "bytes", "b64", "encoded", "decoded"})
# First words that make the name about a property of the secret, not the secret.
_NOT_THE_VALUE_PREFIXES = frozenset({
    "has", "have", "is", "needs", "need", "use", "uses", "requires", "require", "enable", "enabled",
    "no", "should", "can", "allow", "hashed", "hash", "encrypted", "masked", "redacted", "sanitized",
    "sanitised", "obfuscated", "scrubbed", "safe", "num", "count", "len", "max", "min",
})
# `..._pass` is a password after one of these (`adminPass`, `root_pass`),
# not `first_pass` or `next_pass`.
PASS_OWNERS = frozenset({
    "admin", "root", "user", "db", "database", "new", "old", "ldap", "login", "service", "chap", "auth",
    "ssh", "vnc", "sys", "account", "mysql", "rabbit", "redis", "smtp", "mail", "proxy", "san", "ipmi",
    "bmc", "console", "rescue", "guest", "instance", "keystone",
})
# Modules whose users call lexical units "tokens": a bare `token` there is
# a piece of text, not a credential.
_LEXER_MODULES = frozenset({"tokenize", "token", "shlex", "ply", "pyparsing", "lark", "pygments", "sqlparse",
                            "lib2to3", "parso", "jinja2", "mako", "nltk", "spacy", "transformers", "tokenizers",
                            "sentencepiece", "tiktoken"})
# A Keystone token id is the bearer token itself.
_TOKEN_ID = ("token", "id")
_TOKEN_ID_WHAT = "a token id (for Keystone, the bearer token itself)"
# Containers whose contents carry secrets, logged whole.
_CONTAINERS = {
    ("connection", "info"): "volume connection info (its `data` may hold CHAP passwords or Ceph keys)",
    ("conn", "info"): "volume connection info (its `data` may hold CHAP passwords or Ceph keys)",
}
# Transports whose connection info carries no credentials (WWNs and LUNs only).
_NO_CREDENTIAL_TRANSPORTS = frozenset({"fibre_channel", "fc"})
# Keys of a container that still hold its secrets.
_CONTAINER_KEYS = frozenset({"data", "auth", "auth_info"})
_REQUEST_WORDS = frozenset({"req", "request", "requests"})
_REQUEST_PARTS = {"headers": "request headers (they carry `X-Auth-Token`)",
                  "environ": "the WSGI environment (it carries `HTTP_X_AUTH_TOKEN`)"}
# Callees that hand their argument's text on unchanged (or reformatted).
_PASS_THROUGH = frozenset({
    "str", "repr", "format", "ascii", "dict", "list", "tuple", "sorted", "set", "dumps", "pformat",
    "safe_decode", "safe_encode", "to_primitive",
})
_PASS_THROUGH_METHODS = frozenset({
    "format", "join", "encode", "decode", "strip", "lstrip", "rstrip", "lower", "upper", "items",
    "values", "copy", "replace", "splitlines", "split",
})
_MASK_WORDS = frozenset({"mask", "masked", "redact", "redacted", "scrub", "scrubbed", "sanitize", "sanitise",
                         "sanitized", "obfuscate", "obfuscated", "censor", "anonymize", "anonymise"})
_GETTER_VERBS = frozenset({"get", "fetch", "read", "load", "generate", "gen", "make", "create", "new", "decrypt"})
_BOOLEAN_CALLS = frozenset({"bool", "len", "isinstance", "hasattr", "callable", "id", "type", "hash"})
_PATH_CALLS = frozenset({"os.getcwd", "os.getcwdb", "pathlib.Path.cwd", "os.path.join", "os.path.abspath",
                         "os.path.realpath", "os.path.expanduser"})
_MAX_DEPTH = 12


def _words(text: str) -> list[str]:
    """Ordered lower-case words: `adminPass` -> ['admin', 'pass']."""
    return [w.lower() for w in _WORD.findall(text)]


@dataclass(frozen=True)
class _Hit:
    node: ast.AST          # the expression logged
    shown: str             # how the message names it
    what: str              # what it is, for the explanation
    direct: bool           # the secret itself (True) or a container of secrets (False)
    line: int              # where it is logged (the call, or the assignment building the message)
    via: str = ""          # "built into `msg` on line N" when it comes through a local


def _secret_name(name: str) -> tuple[str, bool] | None:
    """(what it is, is the secret itself) when `name` names a secret value
    (or a container of secrets), else None."""
    words = _words(name)
    if not words:
        return None
    for key, what in _CONTAINERS.items():
        if tuple(words[-len(key):]) == key and len(words) <= len(key) + 1:
            return what, False
    if words[0] in _NOT_THE_VALUE_PREFIXES:
        return None
    while len(words) > 1 and words[-1] in _VALUE_SUFFIXES:
        words = words[:-1]
    head = words[-1]
    before = words[-2] if len(words) > 1 else ""
    if tuple(words[-2:]) == _TOKEN_ID:
        return _TOKEN_ID_WHAT, True
    if head in _SECRET_HEADS:
        if head == "pass" and before not in PASS_OWNERS:
            return None  # `first_pass`, `current_pass`: a pass of an algorithm
        if head == "token" and before in _NOT_CREDENTIAL_TOKENS:
            return None
        return _describe(head), True
    if head in ("key", "keys") and before in _SECRET_KEY_QUALIFIERS:
        label = "API" if before == "api" else before
        return f"{'an' if label[0] in 'aeiouAEIOU' else 'a'} {label} key", True
    if head in ("header", "headers") and before in _SECRET_HEADER_QUALIFIERS:
        return "an authentication header", True
    return None


def _describe(head: str) -> str:
    if head in ("password", "passwords", "passwd", "pwd", "passphrase", "passcode", "pass"):
        return "a password"
    if head == "token":
        return "a token"
    if head == "authorization":
        return "an Authorization header"
    if head == "apikey":
        return "an API key"
    return "a secret"


class SensitiveLogging(Rule):
    id = "py.sensitive-logging"
    name = "Secret written to a log"
    cwe = (532,)
    severity = Severity.MEDIUM
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        grouped: dict[str, list[tuple[ast.Call, list[_Hit]]]] = {}
        order: list[tuple[str, ast.Call, list[_Hit]]] = []
        for call in ctx.nodes(ast.Call):
            if not self._is_logging_call(ctx, call):  # type: ignore[arg-type]
                continue
            hits = self._hits(ctx, call)  # type: ignore[arg-type]
            if not hits:
                continue
            if all(not h.direct for h in hits):
                key = " ".join(sorted({h.shown for h in hits}))
                if key not in grouped:
                    order.append((key, call, hits))  # type: ignore[arg-type]
                    grouped[key] = []
                grouped[key].append((call, hits))  # type: ignore[arg-type]
            else:
                order.append(("", call, hits))  # type: ignore[arg-type]
        for key, call, hits in order:
            others = [c for c, _ in grouped.get(key, [])[1:]] if key else []
            yield self._report(ctx, call, hits, others)

    # ------------------------------------------------------------ loggers
    def _is_logging_call(self, ctx: FileContext, call: ast.Call) -> bool:
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in _LEVELS:
            return False
        receiver = func.value
        name = ctx.qualified_name(receiver) or ""
        if name in ("logging", "oslo_log.log"):
            return True
        last = receiver.attr if isinstance(receiver, ast.Attribute) else (
            receiver.id if isinstance(receiver, ast.Name) else "")
        if last and _LOGGER_NAME.match(last):
            return True
        if isinstance(receiver, ast.Name):
            values = ctx.assigned_values(receiver) or []
            for value in values:
                if isinstance(value, ast.Call):
                    callee = ctx.call_name(value) or ""
                    if callee.rsplit(".", 1)[-1] in _LOGGER_FACTORIES:
                        return True
        return False

    def _hits(self, ctx: FileContext, call: ast.Call) -> list[_Hit]:
        args = list(call.args)
        if isinstance(call.func, ast.Attribute) and call.func.attr == "log" and args:
            args = args[1:]  # the level
        hits: list[_Hit] = []
        for arg in args:
            hits.extend(self._scan(ctx, arg, call.lineno, 0, ""))
        unique: dict[int, _Hit] = {}
        for hit in hits:
            unique.setdefault(id(hit.node), hit)
        return list(unique.values())

    # ------------------------------------------------------- expressions
    def _scan(self, ctx: FileContext, expr: ast.AST, line: int, depth: int, via: str) -> list[_Hit]:
        if depth > _MAX_DEPTH or ctx.is_constant(expr):
            return []
        d = depth + 1
        if isinstance(expr, ast.Name):
            return self._name(ctx, expr, line, d, via)
        if isinstance(expr, ast.Attribute):
            return self._attribute(ctx, expr, line, via)
        if isinstance(expr, ast.Subscript):
            return self._item(ctx, expr, expr.value, expr.slice, line, d, via)
        if isinstance(expr, ast.Call):
            return self._call(ctx, expr, line, d, via)
        out: list[_Hit] = []
        if isinstance(expr, ast.Dict):
            for key, value in zip(expr.keys, expr.values):
                if key is None:
                    out.extend(self._scan(ctx, value, line, d, via))
                    continue
                named = self._key_name(ctx, key)
                if named is not None and named[1] and not ctx.is_constant(value) and not self._masked(ctx, value):
                    if not self._harmless_value(ctx, value):
                        out.append(_Hit(value, f"{ctx.source_of(key)}: {ctx.source_of(value)}",
                                        named[0], True, line, via))
                    continue
                out.extend(self._scan(ctx, value, line, d, via))
            return out
        children: list[ast.AST] = []
        if isinstance(expr, ast.JoinedStr):
            children = [v.value for v in expr.values if isinstance(v, ast.FormattedValue)]
        elif isinstance(expr, ast.FormattedValue):
            children = [expr.value]
        elif isinstance(expr, ast.BinOp):
            children = [expr.left, expr.right]
        elif isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            children = list(expr.elts)
        elif isinstance(expr, ast.Starred):
            children = [expr.value]
        elif isinstance(expr, ast.IfExp):
            children = [expr.body, expr.orelse]
        elif isinstance(expr, ast.Await):
            children = [expr.value]
        # Compare, BoolOp, UnaryOp(not), comprehensions, lambdas: a truth value
        # or something computed from the secret, not its text.
        for child in children:
            out.extend(self._scan(ctx, child, line, d, via))
        return out

    def _name(self, ctx: FileContext, expr: ast.Name, line: int, depth: int, via: str) -> list[_Hit]:
        if expr.id in ctx.module_imports:
            return []
        named = _secret_name(expr.id)
        if named is not None and self._lexical_token(ctx, expr.id):
            named = None
        values = ctx.assigned_values(expr)
        if named is not None:
            if values and all(ctx.is_constant(v) or self._masked(ctx, v) or self._harmless_value(ctx, v)
                              for v in values):
                return []
            if not named[1] and (self._shown_without_secrets(ctx, expr, 0)
                                 or self._credential_less_branch(ctx, expr)):
                return []  # every key visible and none a secret, or a Fibre Channel branch
            return [_Hit(expr, expr.id, named[0], named[1], line, via)]
        # A message built in a local first: msg = "... %s" % connection_info
        if values and not via and len(values) <= 3 and all(self._builds_text(v) for v in values):
            out: list[_Hit] = []
            for value in values:
                where = getattr(ctx.enclosing_statement(value), "lineno", line)
                out.extend(self._scan(ctx, value, line, depth, f"built into `{expr.id}` on line {where}"))
            return out
        return []

    def _attribute(self, ctx: FileContext, expr: ast.Attribute, line: int, via: str) -> list[_Hit]:
        if expr.attr in _REQUEST_PARTS and _REQUEST_WORDS & set(_words(self._last_name(expr.value))):
            return [_Hit(expr, ctx.source_of(expr), _REQUEST_PARTS[expr.attr], False, line, via)]
        named = _secret_name(expr.attr)
        if named is None:
            return []
        return [_Hit(expr, ctx.source_of(expr), named[0], named[1], line, via)]

    def _item(self, ctx: FileContext, expr: ast.AST, container: ast.AST, key: ast.AST, line: int,
              depth: int, via: str) -> list[_Hit]:
        if isinstance(key, ast.Slice):
            return []  # a prefix of a token identifies it without revealing it
        named = self._key_name(ctx, key)
        if named is not None:
            return [_Hit(expr, ctx.source_of(expr), named[0], named[1], line, via)]
        values = ctx.literal_values(key)
        if values and all(isinstance(v, str) and v in _CONTAINER_KEYS for v in values):
            # connection_info['data'] still holds the secrets
            return [replace(h, node=expr, shown=ctx.source_of(expr))
                    for h in self._scan(ctx, container, line, depth, via) if not h.direct]
        return []

    def _call(self, ctx: FileContext, call: ast.Call, line: int, depth: int, via: str) -> list[_Hit]:
        if self._masked(ctx, call):
            return []
        func = call.func
        callee = func.attr if isinstance(func, ast.Attribute) else (func.id if isinstance(func, ast.Name) else "")
        if isinstance(func, ast.Attribute) and callee == "get" and call.args:
            return self._item(ctx, call, func.value, call.args[0], line, depth, via)
        parts: list[ast.AST] = []
        if isinstance(func, ast.Attribute) and callee in _PASS_THROUGH_METHODS:
            parts = [func.value, *call.args]
        elif callee in _PASS_THROUGH and callee not in _BOOLEAN_CALLS:
            parts = [*call.args, *(k.value for k in call.keywords if k.arg is None)]
        else:
            words = _words(callee)
            if len(words) > 1 and words[0] in _GETTER_VERBS:
                named = _secret_name("_".join(words[1:]))
                if named is not None and named[1]:
                    return [_Hit(call, ctx.source_of(call), named[0], True, line, via)]
            return []
        out: list[_Hit] = []
        for part in parts:
            out.extend(self._scan(ctx, part, line, depth, via))
        return out

    # ------------------------------------------------- visible containers
    def _shown_without_secrets(self, ctx: FileContext, name: ast.Name, depth: int) -> bool:
        """True when every value `name` is assigned in its scope is a dict
        literal whose keys are all visible and none is a secret (nor is any
        key stored into it later): `conn_info = {"driver_volume_type":
        "nvmeof", "data": {"target_nqn": nqn, "portals": portals}}`."""
        if depth > 3:
            return False
        values = ctx.assigned_values(name)
        if not values or not all(self._dict_without_secrets(ctx, v, depth) for v in values):
            return False
        scope = ctx.enclosing_function(name) or ctx.tree
        for node in ast.walk(scope):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    keys = self._stored_keys(ctx, target, name.id)
                    if keys is None:
                        continue
                    if not keys or any(self._secret_key(k) for k in keys):
                        return False
                    if keys[0] in _CONTAINER_KEYS and len(keys) == 1 and not (
                            node.value is not None and self._dict_without_secrets(ctx, node.value, depth)):
                        return False
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("update", "setdefault", "__setitem__")
                    and self._stored_keys(ctx, node.func.value, name.id, load=True) is not None):
                return False
        return True

    def _dict_without_secrets(self, ctx: FileContext, value: ast.AST, depth: int) -> bool:
        if isinstance(value, ast.Dict):
            pairs = list(zip(value.keys, value.values))
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict" \
                and not value.args:
            pairs = [(ast.Constant(k.arg) if k.arg else None, k.value) for k in value.keywords]
        else:
            return False
        for key, item in pairs:
            values = ctx.literal_values(key) if key is not None else None
            if not values or not all(isinstance(v, str) for v in values):
                return False
            if any(self._secret_key(v) for v in values):  # type: ignore[arg-type]
                return False
            if any(v in _CONTAINER_KEYS for v in values):
                if isinstance(item, ast.Name):
                    if not self._shown_without_secrets(ctx, item, depth + 1):
                        return False
                elif not self._dict_without_secrets(ctx, item, depth + 1):
                    return False
        return True

    @staticmethod
    def _credential_less_branch(ctx: FileContext, node: ast.AST) -> bool:
        """Inside `if vol_type == 'fibre_channel':` (the branch's test compares
        something with a transport whose connection info holds no credentials)."""
        child = node
        for anc in ctx.ancestors(node):
            if isinstance(anc, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                return False
            if isinstance(anc, ast.If) and any(child is stmt for stmt in anc.body):
                for test in ast.walk(anc.test):
                    if isinstance(test, ast.Compare) and all(isinstance(op, (ast.Eq, ast.In)) for op in test.ops):
                        for side in (test.left, *test.comparators):
                            values = ctx.literal_values(side)
                            if values and all(isinstance(v, str) and v.lower() in _NO_CREDENTIAL_TRANSPORTS
                                              for v in values):
                                return True
            child = anc
        return False

    @staticmethod
    def _stored_keys(ctx: FileContext, target: ast.AST, name: str, load: bool = False) -> list[str] | None:
        """The constant keys of `name[k1][k2]...` (outermost first); [] when
        one is not constant; None when `target` is not an item of `name`
        (with `load`, `name` itself also counts)."""
        keys: list[str] = []
        current = target
        while isinstance(current, ast.Subscript):
            values = ctx.literal_values(current.slice)
            if values and len(values) == 1 and isinstance(values[0], str):
                keys.append(values[0])
            else:
                keys.append("")
            current = current.value
        if not (isinstance(current, ast.Name) and current.id == name):
            return None
        if not keys:
            return [] if load else None
        keys.reverse()
        return [] if "" in keys else keys

    @staticmethod
    def _secret_key(key: str) -> bool:
        named = _secret_name(key)
        return (named is not None and named[1]) or "keyring" in _words(key)

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _lexical_token(ctx: FileContext, name: str) -> bool:
        """A bare `token` in a module that tokenises text."""
        if _words(name) != ["token"]:
            return False
        return any(target.lstrip(".").split(".")[0] in _LEXER_MODULES for target in ctx.imports.values())

    @staticmethod
    def _last_name(expr: ast.AST) -> str:
        while isinstance(expr, ast.Call):
            expr = expr.func
        if isinstance(expr, ast.Attribute):
            return expr.attr
        if isinstance(expr, ast.Name):
            return expr.id
        return ""

    @staticmethod
    def _key_name(ctx: FileContext, key: ast.AST) -> tuple[str, bool] | None:
        values = ctx.literal_values(key)
        if not values or not all(isinstance(v, str) for v in values):
            return None
        for value in values:
            named = _secret_name(value)  # type: ignore[arg-type]
            if named is not None and named[1]:
                return named
        return None

    def _masked(self, ctx: FileContext, expr: ast.AST) -> bool:
        """A call to a masking function (`strutils.mask_password`, `redact()`)."""
        if not isinstance(expr, ast.Call):
            return False
        return bool(_MASK_WORDS & set(_words(self._last_name(expr.func))))

    @staticmethod
    def _harmless_value(ctx: FileContext, expr: ast.AST) -> bool:
        """A value that is a truth value or a size, not text of the secret."""
        if isinstance(expr, (ast.Compare, ast.BoolOp)) or (
                isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not)):
            return True
        if isinstance(expr, ast.Call):
            callee = ctx.call_name(expr) or ""
            if callee in _BOOLEAN_CALLS or callee in _PATH_CALLS:
                return True  # a truth value or a size, or a path (`pwd = os.getcwd()`)
        return False

    @staticmethod
    def _builds_text(value: ast.AST) -> bool:
        """The value is a message built from parts: an f-string, `"..." % x`,
        `"...".format(x)` or `"..." + x`."""
        if isinstance(value, ast.JoinedStr):
            return True
        if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Mod, ast.Add)):
            left = value.left
            while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add):
                left = left.left  # "a" + x + "b"
            return isinstance(left, ast.JoinedStr) or (
                isinstance(left, ast.Constant) and isinstance(left.value, str))
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "format":
            return isinstance(value.func.value, ast.Constant) and isinstance(value.func.value.value, str)
        return False

    # ------------------------------------------------------------ finding
    def _report(self, ctx: FileContext, call: ast.Call, hits: list[_Hit], others: list[ast.Call]) -> Finding:
        direct = [h for h in hits if h.direct]
        shown = ", ".join(f"`{h.shown}`" for h in hits[:3]) + (" ..." if len(hits) > 3 else "")
        logger = ctx.source_of(call.func)
        what = "; ".join(dict.fromkeys(f"`{h.shown}` is {h.what}" for h in hits[:3]))
        vias = "; ".join(dict.fromkeys(f"`{h.shown}` is {h.via}" for h in hits if h.via))
        explanation = (
            f"`{logger}()` writes {shown} to the log unmasked: {what}."
            + (f" ({vias}.)" if vias else "")
            + " Log files and collectors are read by far more people than the secret is meant for "
              "(operators, support, anyone handed a debug bundle), and keep it long after the fact."
        )
        trace = [TraceStep(ctx.path, call.lineno, f"{shown} logged by `{logger}()`")]
        message = f"`{logger}()` logs {shown} without masking."
        if others:
            lines = ", ".join(str(c.lineno) for c in others[:10]) + (" ..." if len(others) > 10 else "")
            message = (f"`{logger}()` logs {shown} without masking (also on line"
                       f"{'s' if len(others) > 1 else ''} {lines} of this file).")
            explanation += (f" The same value is logged unmasked on {len(others)} more line"
                            f"{'s' if len(others) > 1 else ''} of this file ({lines}); mask it there too.")
            trace.extend(TraceStep(ctx.path, c.lineno, f"{shown} logged again") for c in others)
        if direct:
            description = ("Do not log the secret: leave it out or log a placeholder such as '***' "
                           "(or whether it is set). Masking helpers such as strutils.mask_password() only "
                           "hide values that appear after a password-like key, not a bare value.")
        else:
            description = ("Mask the value before logging it: oslo_utils.strutils.mask_password(value) "
                           "(or mask_dict_password() for a dict you keep using), or log only the fields "
                           "you need.")
        return self.finding(
            ctx, call, message=message, explanation=explanation,
            fix=Fix(description, self._rewrite(ctx, call, hits)),
            confidence=Confidence.HIGH if any(h.direct and not h.via and h.what != _TOKEN_ID_WHAT for h in hits)
            else Confidence.MEDIUM,
            trace=trace,
        )

    def _rewrite(self, ctx: FileContext, call: ast.Call, hits: list[_Hit]) -> str | None:
        """Each secret replaced by '***' and each container wrapped in
        strutils.mask_password(), when every hit is a whole argument of the
        call (not inside an f-string or a message built elsewhere)."""
        alias = self._strutils(ctx)
        edits = []
        for hit in hits:
            if hit.via or not self._rewritable(ctx, call, hit.node):
                return None
            first, last = start_of(hit.node), end_of(hit.node)
            if first is None or last is None:
                return None
            if hit.direct:
                edits.append((first, last, "'***'"))
            elif alias is not None:
                edits.append((first, last, f"{alias}.mask_password({ctx.segment(hit.node)})"))
            else:
                return None
        return ctx.replace_spans(call, edits, check=[h.node for h in hits])

    @staticmethod
    def _rewritable(ctx: FileContext, call: ast.Call, node: ast.AST) -> bool:
        for anc in ctx.ancestors(node):
            if anc is call:
                return True
            if isinstance(anc, (ast.JoinedStr, ast.Call)):
                return False
        return False

    @staticmethod
    def _strutils(ctx: FileContext) -> str | None:
        """How this file names oslo_utils.strutils (`from oslo_utils import strutils`)."""
        for local, target in ctx.imports.items():
            if target == "oslo_utils.strutils":
                return local
        return None


RULE = SensitiveLogging()
