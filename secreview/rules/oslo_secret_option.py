"""oslo.config option that holds a secret but is not declared `secret=True`.

## What it does
Finds oslo.config option declarations (`cfg.StrOpt`, `cfg.Opt`, `cfg.ListOpt`,
`cfg.DictOpt`, `cfg.URIOpt`, `cfg.MultiStrOpt`, `cfg.MultiOpt`, imported from
`oslo_config.cfg`) that hold a secret value but are declared without
`secret=True` (or with `secret=False`). An option holds a secret when its
name ends in a secret word: `password`, `passwd`, `passphrase`, `admin_pass`,
`secret`, `token` (`admin_token`), or `key` after a word that makes it a secret
key (`api_key`, `secret_key`, `private_key`, `encryption_key`, `fixed_key`);
or when its name says nothing either way and its help text starts by naming
one ("Password for the vCenter user.", "Shared secret used to sign ...").

Not reported: options whose name names something else that merely mentions
a secret: a path or file (`key_file`, `cert_file`, `keyfile`, `ssl_key`, or a
help text that says "Path to ..."/"File containing ..."), a URL, a name, id
or reference (`ssh_key_name`, `rbd_secret_uuid`, "The libvirt UUID of the
secret"), a lifetime or size (`token_ttl`, `token_expiration`,
`password_length`), a type, plugin, section, backend or header name
(`auth_type`, `auth_section`, `key_manager_backend`, `api_key_header`);
a bare `key`, which oslo options use for TLS key files and map keys;
boolean, integer, float and port options (`BoolOpt`, `IntOpt`, `FloatOpt`,
`PortOpt`), which hold no secret; options whose `secret=` is a variable (the
project decides elsewhere) or that take `**kwargs`. Test code is exempt.

## Why is this bad?
oslo.config writes every registered option and its value to the log when a
service starts with debug logging (`CONF.log_opt_values()`, called by
oslo.service and most OpenStack services), and tools that dump the effective
configuration print them too. Only options declared `secret=True` are shown
as `****`. A password or token option without it ends up in every debug log
and support bundle (CWE-532).

## Example
```python
from oslo_config import cfg

vmware_opts = [
    cfg.StrOpt("host_password", help="Password for connection to VMware vCenter host."),
]
```

## Use instead
```python
from oslo_config import cfg

vmware_opts = [
    cfg.StrOpt("host_password", secret=True, help="Password for connection to VMware vCenter host."),
]
```

## References
- https://cwe.mitre.org/data/definitions/532.html
- https://docs.openstack.org/oslo.config/latest/reference/opts.html
- https://docs.openstack.org/oslo.config/latest/reference/configopts.html#oslo_config.cfg.ConfigOpts.log_opt_values
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext, end_of
from secreview.rules.base import Rule, lazy_compile
from secreview.rules.sensitive_logging import PASS_OWNERS

# Option classes that can hold text (secrets); BoolOpt, IntOpt, FloatOpt,
# PortOpt, IPOpt, HostAddressOpt... cannot.
_TEXT_OPTIONS = frozenset({"Opt", "StrOpt", "ListOpt", "DictOpt", "URIOpt", "MultiStrOpt", "MultiOpt"})
_NON_TEXT_TYPES = frozenset({"Integer", "Float", "Boolean", "Port", "Range", "IPAddress", "HostAddress",
                             "Hostname", "HostDomain"})
_WORD = lazy_compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# The last word of an option name that holds a secret value.
_SECRET_HEADS = {
    "password": "a password", "passwd": "a password", "pwd": "a password", "passphrase": "a passphrase",
    "pass": "a password", "secret": "a secret", "token": "a token", "apikey": "an API key",
    "passwords": "passwords", "secrets": "secrets", "tokens": "tokens",
}
# `..._key` holds a key (not a key file or a map key) after one of these.
_KEY_QUALIFIERS = frozenset({
    "private", "secret", "api", "encryption", "signing", "hmac", "master", "shared", "fixed", "auth",
    "session", "symmetric", "fernet", "aes", "license", "sas", "account",
})
# First words that make the option about the secret, not the secret itself.
_NOT_THE_VALUE = frozenset({"use", "enable", "enabled", "require", "requires", "allow", "no", "is", "has",
                            "hash", "hashed", "inject", "send"})
# Option names that name something else: paths, references, settings.
_OTHER_HEADS = frozenset({
    "file", "files", "path", "paths", "dir", "directory", "url", "uri", "endpoint", "name", "names", "id",
    "ids", "uuid", "ref", "type", "types", "length", "len", "size", "bits", "ttl", "timeout", "expiration",
    "expiry", "expire", "expires", "lifetime", "interval", "header", "section", "plugin", "backend",
    "driver", "class", "method", "methods", "format", "algorithm", "algorithms", "mode", "scheme",
    "schemes", "policy", "prefix", "suffix", "user", "username", "template", "location", "count",
    "retries", "cache", "version", "keymap", "manager", "provider", "repository", "store", "field",
    "fields", "group", "host", "port", "region", "project", "domain", "tenant", "keyfile", "certfile",
})
_PATH_HELP = lazy_compile(
    r"(?i)^\s*(?:(?:the|a|an)\s+)?(?:full\s+|absolute\s+|local\s+|fully\s+qualified\s+)?"
    r"(?:path|paths|file|filename|file\s+name|location|directory|name|uuid|id|identifier|reference|url|uri)\b"
    r"|\b(?:path\s+(?:to|of)|file\s+(?:containing|that\s+contains|with)|uuid\s+of|name\s+of\s+the)\b")
_SECRET_HELP = lazy_compile(
    r"(?i)^\s*(?:(?:the|an?)\s+)?(?:[\w-]+\s+){0,2}?"
    r"(password|passphrase|secret\s+key|shared\s+secret|secret|api\s*key|private\s+key|"
    r"(?:auth(?:entication)?\s+|access\s+|admin\s+|bearer\s+)?token)\b"
    r"(?!\s+(?:file|path|uuid|id|name|type|ttl|lifetime|expir\w*|length|size|url|header|backend|manager|"
    r"format|provider|store|driver|section|plugin|cache|validity)\b)")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def option_secret(name: str, help_text: str) -> tuple[str, bool] | None:
    """(what the option holds, judged from its name) when it holds a secret."""
    words = _words(name)
    if not words or words[0] in _NOT_THE_VALUE:
        return None
    head = words[-1]
    first_sentence = re.split(r"(?<=[.!?])\s", help_text.strip(), maxsplit=1)[0] if help_text else ""
    if first_sentence and _PATH_HELP.search(first_sentence):
        return None  # "Path to the private key", "The libvirt UUID of the secret"
    if head in _SECRET_HEADS and not (head == "pass" and (len(words) == 1 or words[-2] not in PASS_OWNERS)):
        return _SECRET_HEADS[head], True
    if head in ("key", "keys") and any(w in _KEY_QUALIFIERS for w in words[:-1]) and "public" not in words:
        qualifier = next(w for w in reversed(words[:-1]) if w in _KEY_QUALIFIERS)
        label = "API" if qualifier == "api" else qualifier
        if head == "keys":
            return f"{label} keys", True
        return f"{'an' if label[0] in 'aeiouAEIOU' else 'a'} {label} key", True
    if head in _OTHER_HEADS or head in ("key", "keys") or set(words) & set(_SECRET_HEADS) or "key" in words:
        return None  # names something else, or mentions a secret word without being one
    match = _SECRET_HELP.search(first_sentence)
    if match:
        return f"a {' '.join(match.group(1).lower().split())} (its help text says so)", False
    return None


class OsloSecretOption(Rule):
    id = "py.oslo-secret-option"
    name = "oslo.config secret option not declared secret=True"
    cwe = (532,)
    severity = Severity.MEDIUM
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            module, _, kind = name.rpartition(".")
            if module != "oslo_config.cfg" or kind not in _TEXT_OPTIONS:
                continue
            if any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
                continue  # **kwargs may carry secret=
            option = self._text(ctx, ctx.argument(call, 0, "name"))
            if option is None or self._holds_no_text(ctx, call):
                continue
            secret = ctx.keyword_node(call, "secret")
            if secret is not None and ctx.literal_values(secret.value) != [False]:
                continue  # secret=True, or decided elsewhere
            help_text = self._text(ctx, ctx.keyword(call, "help")) or ""
            judged = option_secret(option, help_text)
            if judged is None:
                continue
            what, by_name = judged
            yield self._report(ctx, call, kind, option, what, by_name, secret)

    @staticmethod
    def _text(ctx: FileContext, expr: ast.AST | None) -> str | None:
        if expr is None:
            return None
        try:
            value = ast.literal_eval(expr)  # implicit concatenation and ("a" "b") included
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            values = ctx.literal_values(expr)
            value = values[0] if values and len(values) == 1 else None
        return value if isinstance(value, str) else None

    @staticmethod
    def _holds_no_text(ctx: FileContext, call: ast.Call) -> bool:
        """`cfg.Opt('x', type=types.Integer())` holds a number."""
        option_type = ctx.keyword(call, "type")
        if option_type is None:
            return False
        target = option_type.func if isinstance(option_type, ast.Call) else option_type
        name = ctx.qualified_name(target) or ""
        return name.rsplit(".", 1)[-1] in _NON_TEXT_TYPES or name in ("int", "float", "bool")

    def _report(self, ctx: FileContext, call: ast.Call, kind: str, option: str, what: str, by_name: bool,
                secret: ast.keyword | None) -> Finding:
        shown = ctx.source_of(call.func)
        declared = "declared `secret=False`" if secret is not None else "not declared `secret=True`"
        explanation = (
            f"The option `{option}` holds {what}, but it is {declared}. oslo.config writes every "
            "registered option and its value to the log when the service starts with debug logging "
            "(`CONF.log_opt_values()`), and only secret options are shown as `****`, so this value "
            "lands in debug logs and support bundles."
        )
        return self.finding(
            ctx, call,
            message=f"`{shown}('{option}')` holds {what.split(' (')[0]} but is {declared}.",
            explanation=explanation,
            fix=Fix("Declare the option secret=True so oslo.config masks its value in logs.",
                    self._rewrite(ctx, call, secret)),
            confidence=Confidence.HIGH if by_name and what in ("a password", "a passphrase", "a secret",
                                                                "passwords", "secrets")
            else Confidence.MEDIUM,
        )

    @staticmethod
    def _rewrite(ctx: FileContext, call: ast.Call, secret: ast.keyword | None) -> str | None:
        """The call's lines with `secret=True` added (or `secret=False` turned
        into it), when the result still compiles on its own."""
        if secret is not None:
            text = ctx.replace_source(secret.value, "True", lines_of=call)
        else:
            last = max([*call.args, *(k.value for k in call.keywords)],
                       key=lambda n: (n.end_lineno or 0, n.end_col_offset or 0), default=None)
            position = end_of(last) if last is not None else None
            if position is None:
                return None
            text = ctx.replace_spans(call, [(position, position, ", secret=True")])
        if text is None:
            return None
        body = textwrap.dedent(text)
        try:
            compile("async def _fixed():\n" + textwrap.indent(body, "    ") + "\n", "<fix>", "exec")
        except SyntaxError:
            return None
        return text


RULE = OsloSecretOption()
