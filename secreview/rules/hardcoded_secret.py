"""Hard-coded credentials: passwords, API keys, tokens and secret keys in the code.

## What it does
Finds credentials written into the source as literal values:

- assignments to credential names: `DB_PASSWORD = "..."`, `self.api_key = "..."`,
  `settings["client_secret"] = "..."`, and Django-style `DATABASES` entries;
- default arguments (`def connect(user, password="...")`), keyword arguments
  (`connect(password="...")`, `requests.get(url, auth=("admin", "..."))`),
  positional passwords of `HTTPBasicAuth(...)`/`BasicAuth(...)` and `.login(user, "...")`;
- dict literals with credential keys (`{"aws_secret_access_key": "..."}`) and
  literal `Authorization: Bearer ...` headers;
- comparisons that check a credential against a literal (`if password == "..."`,
  `hmac.compare_digest(token, "...")`): a built-in back door;
- literal fallbacks of environment look-ups (`os.getenv("DB_PASSWORD", "...")`)
  and literal defaults of options named like credentials (oslo.config
  `cfg.StrOpt("admin_password", default="...")`, `argparse`/`click` `--password`);
- passwords in URLs (`postgresql://app:...@db/app`);
- framework secret keys committed in settings: Django `SECRET_KEY` in a settings
  module, Flask `app.secret_key` / `app.config["SECRET_KEY"]` (high severity);
- well-known token formats in any string literal: AWS access key ids, GitHub,
  Slack, Stripe live and Google API keys, and PEM private keys with a body
  (high severity and confidence: the format itself proves what it is).

A name counts as a credential when its last word is one (`admin_password`,
`client_secret`, `auth_token`, `api_key`, `signing_key`); `password_field`,
`TOKEN_HEADER`, `token_type`, `auth_strategy`, `password_key`, `PASSWORD_ENV`,
`next_token` name other things and are not reported. A value counts as a
secret only when it looks like one: empty strings, `None`, placeholders
(`"changeme"`, `"<password>"`, `"xxx"`, `"***"`, `"your-api-key"`,
`"REPLACE_ME"`, `"${PASSWORD}"`, `"%(password)s"`, `"{password}"`, strings of
one repeated character), texts with spaces (messages, format strings), paths,
URLs without a password, header names, environment-variable names, dotted
module paths, and identifiers that repeat the name's words
(`PASSWORD = "password"`, `CHANGE_PASSWORD = "changePassword"`) are names of
things, not secrets. Tokens and keys are machine-made, so their values must
look generated (digits mixed with letters): `if token == "async":` in a lexer
is not reported, while a person-chosen password such as `"letmein"` is. Values read from the environment or configuration
(`os.environ["PASSWORD"]`, `CONF.password`) are what we want. The name of an
option (`cfg.StrOpt("password", secret=True)`) is not a value. Test code is
exempt: fixtures need throw-away credentials.

## Why is this bad?
A credential in the source is known to everyone who can read the code: every
clone, fork, package, backup and CI log, and it stays in the version history
after it is deleted. Every deployment shares it, and it cannot be rotated
without a release. A literal compared against a password is a back door that
works everywhere; a committed framework secret key lets anyone forge session
cookies, CSRF tokens and signed data (CWE-798).

## Example
```python
import pymysql

DB_PASSWORD = "Tr0ub4dor-and-3"

def connect():
    return pymysql.connect(host="db", user="app", password=DB_PASSWORD)
```

## Use instead
Rotate the credential, then read it at run time from the environment or a
secret store:
```python
import os
import pymysql

def connect():
    return pymysql.connect(host="db", user="app", password=os.environ["DB_PASSWORD"])
```

## References
- https://cwe.mitre.org/data/definitions/798.html
- https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html
- https://docs.djangoproject.com/en/stable/ref/settings/#secret-key
- https://flask.palletsprojects.com/en/stable/config/#SECRET_KEY
- https://docs.openstack.org/oslo.config/latest/reference/opts.html
"""

from __future__ import annotations

import ast
import functools
import os
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule, lazy_compile

# ------------------------------------------------------------------ names
_PASCAL_CASE = lazy_compile(r"^(?:[A-Z][a-z0-9]+){2,}$")
_WORD = lazy_compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|[a-z]+|[0-9]+")

_PASSWORD_HEADS = frozenset({"password", "passwd", "passphrase", "passcode"})
# Short forms that mean a password only after an account word: `db_pass`, `admin_pwd`
# (`first_pass`, `pwd` alone, are not passwords).
_SHORT_PASSWORD_HEADS = frozenset({"pass", "pwd", "pw"})
_ACCOUNT_WORDS = frozenset({
    "db", "database", "admin", "root", "user", "login", "mysql", "postgres", "pg", "redis", "ftp",
    "smtp", "mail", "email", "ldap", "bind", "sql", "rabbit", "amqp", "vnc", "ssh", "sudo",
    "master", "app", "account", "service", "proxy", "wifi", "mongo", "sa",
})
# `key` is a credential only when a word before it says so: `secret_key`, `api_key`.
_KEY_QUALIFIERS = frozenset({
    "api", "secret", "private", "access", "signing", "sign", "encryption", "encrypt", "hmac",
    "master", "auth", "client", "app", "consumer", "fernet", "jwt", "license", "subscription",
    "shared", "aes", "cipher", "crypt", "crypto", "webhook", "developer", "service",
})
# Tokens that are not credentials: pagination cursors, lexer and NLP tokens.
_NOT_SECRET_TOKENS = frozenset({
    "next", "page", "pagination", "continuation", "cursor", "marker", "pad", "unk", "eos", "bos",
    "sep", "cls", "mask", "special", "start", "end", "stop", "split", "word", "lexer", "parser",
    "parse", "delimiter", "separator", "sentinel", "break", "line", "cancel", "cancellation",
    "sync", "resume", "first", "last", "prev", "previous", "sort", "bpe", "input", "output",
    "update", "idempotency", "change", "version", "revision", "lock", "lease", "client",
})
# Words before the credential word that say the value is not a real one.
_NOT_REAL = frozenset({
    "fake", "dummy", "example", "sample", "mock", "placeholder", "masked", "mask", "redacted",
    "sanitized", "sanitised", "obfuscated", "hidden", "invalid", "bad", "wrong",
})
# Words after the credential word that keep its meaning: `password_plain`, `api_key_value`.
_TRANSPARENT_TAIL = frozenset({
    "value", "str", "string", "raw", "plain", "plaintext", "cleartext", "default", "b64",
    "base64", "hex", "bytes", "encoded", "prod", "production", "live",
})
_COMPOUND_HEADS = (  # single-word names: `apikey`, `adminpassword`, `authToken` split badly
    ("password", "password"), ("passwd", "password"), ("passphrase", "passphrase"),
    ("apikey", "API key"), ("secretkey", "secret key"), ("privatekey", "private key"),
    ("accesskey", "access key"), ("secret", "secret"), ("token", "token"),
)


def _ordered_words(name: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(name)]


_CREDENTIAL_HINT = lazy_compile(r"pass|pwd|pw|secret|token|key|cred", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def credential_kind(name: str) -> str | None:
    """What credential a name holds ('password', 'API key', ...), judged by
    its last meaningful word, or None when it names something else."""
    if not _CREDENTIAL_HINT.search(name):
        return None
    if any(c in name for c in " :/") or _PASCAL_CASE.match(name.rsplit(".", 1)[-1]):
        return None  # `ConsoleAuthToken`, `AWS::IAM::AccessKey`: a class or type name
    ws = _ordered_words(name)
    while len(ws) > 1 and (ws[-1] in _TRANSPARENT_TAIL or ws[-1].isdigit()):
        ws.pop()
    if not ws or any(w in _NOT_REAL for w in ws[:-1]):
        return None
    head, before = ws[-1], ws[:-1]
    prev = before[-1] if before else ""
    if head in _PASSWORD_HEADS:
        return "passphrase" if head == "passphrase" else "password"
    if head in _SHORT_PASSWORD_HEADS:
        return "password" if prev in _ACCOUNT_WORDS else None
    if head in ("secret", "secrets"):
        return "secret" if head == "secret" else None
    if head in ("credential", "credentials", "creds"):
        return "credential"
    if head == "token":
        return None if prev in _NOT_SECRET_TOKENS else "token"
    if head == "key":
        if prev == "api":
            return "API key"
        if prev == "access" and "secret" in before:
            return "secret access key"
        if prev in _KEY_QUALIFIERS:
            return f"{prev} key" if prev in ("secret", "private", "access", "signing") else "secret key"
        return None
    if head in ("apikey", "secretkey", "privatekey", "accesskey"):
        return dict(_COMPOUND_HEADS)[head]
    for suffix, kind in _COMPOUND_HEADS:
        if head.endswith(suffix) and len(head) > len(suffix):
            prefix = head[: -len(suffix)]
            if prefix in _NOT_SECRET_TOKENS or prefix in _NOT_REAL:
                return None
            return kind
    return None


# ----------------------------------------------------------------- values
# Words that, inside a value, show it names a credential instead of being one.
_CREDENTIAL_VALUE_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "passphrase", "secret", "secrets", "token", "tokens",
    "key", "apikey", "credential", "credentials", "auth", "login", "user", "username",
})
_PLACEHOLDER_WORDS = frozenset({
    "none", "null", "nil", "undefined", "todo", "tbd", "fixme", "test", "testing", "foo", "bar",
    "baz", "foobar", "fake", "mock", "dummy", "default", "unset", "notset", "empty", "missing",
    "unknown", "redacted", "masked", "hidden", "removed", "sanitized", "placeholder", "example",
    "sample", "changeme", "changeit", "replaceme", "secret", "password", "true", "false", "yes",
    "no", "on", "off", "required", "optional", "string", "str", "value",
})
_PLACEHOLDER = lazy_compile(
    r"change[-_ ]?me|change[-_ ]?it\b|replace[-_ ]?(me|this|with)|^your|^my[-_]?(api|secret|token|pass)"
    r"|example|sample|placeholder|dummy|redacted|insert[-_ ]|enter[-_ ]|put[-_ ]|fill[-_ ]?in|^<.*>$"
    r"|^\[.*\]$|^\{.*\}$|^\(.*\)$|\$\{|\$\(|^\$[A-Za-z_]|%\(\w+\)|%[sdr]\b|\{\w*\}|\{\{|^%\w+%$|^@\w+@$"
    r"|xxxx|XXXX|\*\*|\.\.\.|^x+$|foo_?bar|^fake|fake$|^test|test$|^mock|^dummy",
    re.IGNORECASE)
_URL = lazy_compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?P<rest>\S*)$")
_URL_USERINFO = lazy_compile(r"^(?P<user>[^:@/\s]*):(?P<password>[^@/\s]+)@")
_PATH = lazy_compile(r"^(?:/|~/|\./|\.\./|[A-Za-z]:\\)|\.(?:pem|key|crt|cer|p12|pfx|txt|json|ya?ml|conf|cfg|ini|"
                   r"env|jks|keystore|gpg|asc|pub)$", re.IGNORECASE)
_REGEX = lazy_compile(r"\[[^\]]+\][*+?{]|\\[dwsDWSb]|\.[*+]|^\^|\(\?[:P!=<]")
_DOTTED = lazy_compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_ENV_NAME = lazy_compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_HEADER_NAME = lazy_compile(r"^(?:X-[A-Za-z0-9-]+|[A-Z][a-z]+(?:-[A-Z][a-z]+)+)$")
_IDENTIFIER_LIKE = lazy_compile(r"^[A-Za-z][A-Za-z0-9]*(?:[_.:/-][A-Za-z0-9]+)*$")
_RANDOM_RUN = lazy_compile(r"[A-Za-z0-9+/=_]{16,}")
_UUID = lazy_compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def _looks_random(value: str) -> bool:
    """A long run mixing letters and digits: generated key material."""
    for run in _RANDOM_RUN.findall(value):
        if (any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
                and len(set(run)) >= 10):
            return True
    return False


# Credentials a program generates (never a word a person chose).
_MACHINE_MADE = frozenset({"token", "API key", "secret key", "access key", "secret access key",
                           "private key", "signing key"})


def _machine_like(value: str) -> bool:
    """Generated key material: long enough, and mixing digits with letters
    (or cases) the way no identifier or keyword does."""
    if len(value) < 8:
        return False
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                   any(c.isdigit() for c in value), any(not c.isalnum() for c in value)))
    has_digit = any(c.isdigit() for c in value)
    if has_digit:
        return classes >= 2
    return len(value) >= 20 and classes >= 3 and not _IDENTIFIER_LIKE.match(value)


def _is_placeholder(value: str) -> bool:
    v = value.strip()
    if len(v) < 4 or len(set(v.lower())) <= 2:
        return True
    if v.lower() in _PLACEHOLDER_WORDS or _PLACEHOLDER.search(v):
        return True
    return not any(c.isalnum() for c in v)


def secret_value(value: str, name: str = "", kind: str = "") -> bool:
    """True when a literal looks like a real credential rather than a
    placeholder, a message, or the name of something."""
    if value != value.strip() or _is_placeholder(value):
        return False
    if any(c.isspace() for c in value):
        return False  # messages, format strings, prose
    url = _URL.match(value)
    if url:
        return False  # URLs are judged by `url_password`
    if _REGEX.search(value) or _PATH.search(value) or _DOTTED.match(value) or _ENV_NAME.match(value) or _HEADER_NAME.match(value):
        return False
    if kind == "secret" and _UUID.match(value):
        return False  # a reference to a stored secret (libvirt, Barbican), not the secret
    if _looks_random(value):
        return True
    if kind in _MACHINE_MADE and not _machine_like(value):
        return False  # `token == "async"`: a lexer token, a keyword, a label
    if _IDENTIFIER_LIKE.match(value):
        value_words = _words(value)  # `password123` stays one word, `admin_password` is two
        name_words = {w for w in _ordered_words(name) if len(w) > 2}
        if value_words & (_CREDENTIAL_VALUE_WORDS | name_words):
            return False  # `CHANGE_PASSWORD = "changePassword"`: the name of an action or field
        if value.lower() == name.lower():
            return False
    return True


def framework_key_value(value: str) -> bool:
    """A framework's secret key is whatever string it is given: any value
    that is not a placeholder or a reference to somewhere else counts, even
    prose (`app.secret_key = "super secret key"` signs real sessions)."""
    if _is_placeholder(value) or value != value.strip():
        return False
    return not (_URL.match(value) or _PATH.search(value) or _ENV_NAME.match(value) or _DOTTED.match(value))


def url_password(value: str) -> str | None:
    """The password in `scheme://user:password@host`, when it is a real one."""
    url = _URL.match(value)
    if not url:
        return None
    userinfo = _URL_USERINFO.match(url.group("rest"))
    if not userinfo:
        return None
    password = userinfo.group("password")
    if _is_placeholder(password) or _ENV_NAME.match(password) or password.upper() == password and "PASS" in password:
        return None
    if password.lower() == userinfo.group("user").lower() and password.lower() in ("guest", "admin", "root"):
        return None  # `amqp://guest:guest@localhost`: the broker's well-known local default
    return password


# ------------------------------------------------------------ token formats
@dataclass(frozen=True)
class _TokenFormat:
    label: str
    pattern: re.Pattern[str]


_TOKEN_FORMATS = (
    _TokenFormat("an AWS access key id", lazy_compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])")),
    _TokenFormat("a GitHub token", lazy_compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})")),
    _TokenFormat("a Slack token", lazy_compile(r"(?<![A-Za-z0-9])xox[baprs]-[0-9A-Za-z]{8,}(?:-[0-9A-Za-z]+)+")),
    _TokenFormat("a Slack webhook URL", lazy_compile(r"https://hooks\.slack\.com/services/T[0-9A-Z]{8,}/B[0-9A-Z]{8,}/[A-Za-z0-9]{20,}")),
    _TokenFormat("a Stripe live secret key", lazy_compile(r"(?<![A-Za-z0-9])[sr]k_live_[0-9A-Za-z]{20,}")),
    _TokenFormat("a Google API key", lazy_compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])")),
)
_PEM = lazy_compile(
    r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----"
    r"(?P<body>[\sA-Za-z0-9+/=:,-]*?)(?:-----END|$)")
_BODY = lazy_compile(r"[A-Za-z0-9+/=]{40,}")
_NOT_REAL_TOKEN = lazy_compile(r"example|sample|fake|dummy|test|xxxx|0000|1234567", re.IGNORECASE)


_FORMAT_HINT = lazy_compile(r"AKIA|ASIA|gh[pousr]_|github_pat_|xox[baprs]-|hooks\.slack\.com|k_live_|AIza|PRIVATE KEY")


def token_format(text: str) -> tuple[str, str] | None:
    """(what it is, a masked excerpt) for a well-known credential format in `text`."""
    if len(text) < 15 or not _FORMAT_HINT.search(text):
        return None
    for fmt in _TOKEN_FORMATS:
        for match in fmt.pattern.finditer(text):
            token = match.group(0)
            tail = token[4:]
            if _NOT_REAL_TOKEN.search(token) or len(set(tail)) < 8 or re.search(r"(.)\1\1\1", tail):
                continue
            return fmt.label, token[:6] + "..."
    pem = _PEM.search(text)
    if pem and _BODY.search(pem.group("body").replace("\n", "").replace("\\n", "")):
        body = pem.group("body")
        if not _NOT_REAL_TOKEN.search(body) and len(set(body)) >= 20:
            return "a PEM private key", f"-----BEGIN {pem.group(1)}-----"
    return None


# -------------------------------------------------------------- the rule
_DJANGO_SETTINGS = frozenset({"INSTALLED_APPS", "MIDDLEWARE", "ROOT_URLCONF", "DATABASES", "WSGI_APPLICATION",
                              "ALLOWED_HOSTS", "TEMPLATES"})
_ENV_LOOKUPS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "os.environ.pop"})
_BASIC_AUTH = ("HTTPBasicAuth", "HTTPDigestAuth", "HTTPProxyAuth", "BasicAuth", "DigestAuth")
_AUTH_SCHEME = lazy_compile(r"^(Bearer|Basic|Token|Digest|Bot|ApiKey)\s+(\S+)$", re.IGNORECASE)
_WHY = ("Everyone who can read the code (every clone, package, backup and CI log) has it, every "
        "deployment shares it, it stays in the version history after it is deleted, and it cannot "
        "be rotated without a release.")


@dataclass
class _Hit:
    node: ast.AST          # what the finding points at
    kind: str              # 'password', 'API key', ...
    where: str             # how the code names it: "`DB_PASSWORD`", "the `password=` argument"...
    value: str
    shape: str = "name"    # name | format | framework | check | default | fallback | url | option
    label: str = ""        # for formats: what the format is
    framework: str = ""    # Django / Flask
    name: str = ""         # the credential's name, for the fix


class _Callee:
    """The callee's source text, computed only when a finding needs it."""

    def __init__(self, ctx: FileContext, call: ast.Call):
        self._ctx, self._call, self._text = ctx, call, None

    def __format__(self, spec: str) -> str:
        if self._text is None:
            self._text = self._ctx.source_of(self._call.func)
        return format(self._text, spec)


def _uses_flask(ctx: FileContext) -> bool:
    return any(t == "flask" or t.startswith("flask.") for t in ctx.imports.values())


def _text(where: str | Callable[[], str]) -> str:
    return where if isinstance(where, str) else where()


def _mask(value: str) -> str:
    shown = value[:3] if len(value) >= 10 else value[:1]
    return f"'{shown}...' ({len(value)} characters)"


class HardcodedSecret(Rule):
    id = "py.hardcoded-secret"
    name = "Hard-coded credential"
    cwe = (798,)
    severity = Severity.MEDIUM
    bandit_ids = ("B105", "B106", "B107")
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        hits: list[_Hit] = []
        claimed: set[int] = set()  # literal nodes already explained by a token format
        hits.extend(self._formats(ctx, claimed))
        for node in ctx.nodes(ast.Assign, ast.AnnAssign):
            hits.extend(self._assignment(ctx, node))  # type: ignore[arg-type]
        for node in ctx.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda):
            hits.extend(self._defaults(ctx, node))  # type: ignore[arg-type]
        for call, qualified in ctx.calls():
            hits.extend(self._call(ctx, call, qualified))
        for node in ctx.nodes(ast.Dict):
            hits.extend(self._dict(ctx, node))  # type: ignore[arg-type]
        for node in ctx.nodes(ast.Compare):
            hits.extend(self._compare(ctx, node))  # type: ignore[arg-type]
        seen_lines: set[int] = set()
        order = {"format": 0, "framework": 1}
        for hit in sorted(hits, key=lambda h: (getattr(h.node, "lineno", 0), order.get(h.shape, 2))):
            line = getattr(hit.node, "lineno", 0)
            if line in seen_lines:
                continue
            if hit.shape != "format" and any(id(n) in claimed for n in ast.walk(hit.node)):
                continue
            seen_lines.add(line)
            yield self._report(ctx, hit)

    # ------------------------------------------------------------ literals
    @staticmethod
    def _literal(ctx: FileContext, expr: ast.AST | None, follow: bool = False) -> str | None:
        """The text of a string literal (or a literal concatenation, or a
        name bound only to one literal whose own name is not a credential)."""
        if expr is None:
            return None
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str):
                return expr.value
            if isinstance(expr.value, bytes):
                try:
                    return expr.value.decode("ascii")
                except UnicodeDecodeError:
                    return None
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left = HardcodedSecret._literal(ctx, expr.left, follow=False)
            right = HardcodedSecret._literal(ctx, expr.right, follow=False)
            return left + right if left is not None and right is not None else None
        if follow and isinstance(expr, ast.Name) and credential_kind(expr.id) is None:
            values = ctx.literal_values(expr)
            if values and len(values) == 1 and isinstance(values[0], str):
                return values[0]
        return None

    @staticmethod
    def _name_of(ctx: FileContext, expr: ast.AST) -> str | None:
        """How the code names a value: `x`, `obj.x`, `d["x"]`, `d.get("x")`, `getattr(o, "x")`."""
        if isinstance(expr, ast.Name):
            return expr.id
        if isinstance(expr, ast.Attribute):
            return expr.attr
        if isinstance(expr, ast.Subscript):
            key = expr.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                return key.value
            return None
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "getenv") and expr.args:
                first = expr.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    return first.value
            if ctx.call_name(expr) == "getattr" and len(expr.args) >= 2:
                attr = expr.args[1]
                if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                    return attr.value
        return None

    # -------------------------------------------------------- token formats
    def _formats(self, ctx: FileContext, claimed: set[int]) -> Iterator[_Hit]:
        for node in ctx.nodes(ast.BinOp):
            if not isinstance(node.op, ast.Add):  # type: ignore[attr-defined]
                continue
            parent = ctx.parent(node)
            if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add):
                continue  # only the outermost concatenation
            text = self._literal(ctx, node)
            found = token_format(text) if text else None
            if found:
                claimed.update(id(sub) for sub in ast.walk(node))
                yield self._format_hit(ctx, node, found)
        for node in ctx.nodes(ast.Constant):
            value = node.value  # type: ignore[attr-defined]
            if not isinstance(value, (str, bytes)) or len(value) < 15 or id(node) in claimed:
                continue
            text = self._literal(ctx, node)
            found = token_format(text) if text else None
            if found and not isinstance(ctx.parent(node), ast.Expr):  # docstrings are prose, not values
                claimed.add(id(node))
                yield self._format_hit(ctx, node, found)

    def _format_hit(self, ctx: FileContext, node: ast.AST, found: tuple[str, str]) -> _Hit:
        label, excerpt = found
        stmt = ctx.enclosing_statement(node)
        name = ""
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            name = self._name_of(ctx, stmt.targets[0]) or ""
        elif isinstance(stmt, ast.AnnAssign):
            name = self._name_of(ctx, stmt.target) or ""
        kind = "private key" if "PEM" in label else (credential_kind(name) if name else None) or "credential"
        return _Hit(node, kind, f"`{name}`" if name else "a string literal", excerpt, shape="format",
                    label=label, name=name)

    # ---------------------------------------------------------- assignments
    def _assignment(self, ctx: FileContext, node: ast.Assign | ast.AnnAssign) -> Iterator[_Hit]:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None:
            return
        pairs: list[tuple[ast.AST, ast.AST]] = []
        for target in targets:
            if isinstance(target, (ast.Tuple, ast.List)) and isinstance(node.value, (ast.Tuple, ast.List)):
                pairs.extend(zip(target.elts, node.value.elts))
            else:
                pairs.append((target, node.value))
        for target, value in pairs:
            name = self._name_of(ctx, target)
            if name is None:
                continue
            text = self._literal(ctx, value, follow=False)
            if text is None or not (credential_kind(name) or name in ("SECRET_KEY", "secret_key")
                                    or "://" in text or name.lower() == "authorization"):
                continue
            shown = ctx.source_of(target)
            framework = self._framework(ctx, node, target, name) if name in ("SECRET_KEY", "secret_key") else ""
            if framework:
                if framework_key_value(text):
                    yield _Hit(node, "secret key", f"`{shown}`", text, shape="framework",
                               framework=framework, name=name)
                continue
            yield from self._named_value(node, name, f"`{shown}`", text)

    def _named_value(self, node: ast.AST, name: str, where: str | Callable[[], str], text: str,
                     shape: str = "name") -> Iterator[_Hit]:
        """A literal given to something named `name`: a credential when the
        name says so and the value looks real; a password inside a URL; a
        literal `Authorization` header. `where` may be a function giving the
        description, so source text is only looked up for a hit."""
        kind = credential_kind(name)
        if kind is not None and secret_value(text, name, kind):
            yield _Hit(node, kind, _text(where), text, shape=shape, name=name)
        elif (password := url_password(text)) is not None:
            yield _Hit(node, "password", f"the URL in {_text(where)}", password, shape="url", name=name)
        elif kind is None and name.lower() == "authorization":
            yield from self._auth_header(node, _text(where), text)

    @staticmethod
    def _framework(ctx: FileContext, node: ast.AST, target: ast.AST, name: str) -> str:
        """'Django' or 'Flask' when this assignment sets the framework's secret key."""
        flask = _uses_flask(ctx)
        if isinstance(target, ast.Name) and name == "SECRET_KEY" and ctx.parent(node) is ctx.tree:
            base = os.path.basename(ctx.path)
            settings = (base.startswith("settings") or "/settings/" in f"/{ctx.path}"
                        or any(n in ctx.module_bindings for n in _DJANGO_SETTINGS))
            if settings:
                return "Django"
            return "Flask" if flask else ""
        if isinstance(target, ast.Attribute) and name == "secret_key" and flask:
            return "Flask"
        if (isinstance(target, ast.Subscript) and name == "SECRET_KEY" and isinstance(target.value, ast.Attribute)
                and target.value.attr == "config"):
            return "Flask"
        return ""

    @staticmethod
    def _auth_header(node: ast.AST, where: str, text: str) -> Iterator[_Hit]:
        match = _AUTH_SCHEME.match(text)
        if match and secret_value(match.group(2), "authorization", "token"):
            yield _Hit(node, f"{match.group(1)} token", where, match.group(2), name="AUTH_TOKEN")

    # ------------------------------------------------------------- defaults
    def _defaults(self, ctx: FileContext, func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> Iterator[_Hit]:
        args = func.args
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        fname = getattr(func, "name", "lambda")
        for arg, default in pairs:
            text = self._literal(ctx, default, follow=credential_kind(arg.arg) is not None)
            if text is not None:
                yield from self._named_value(default, arg.arg, f"the default of parameter `{arg.arg}` of "
                                             f"`{fname}()`", text, shape="default")

    # ---------------------------------------------------------------- calls
    def _call(self, ctx: FileContext, call: ast.Call, qualified: str) -> Iterator[_Hit]:
        last = qualified.rsplit(".", 1)[-1]
        if not (call.keywords or last in _BASIC_AUTH or last in ("compare_digest", "login")
                or qualified in _ENV_LOOKUPS or last.endswith("Opt")):
            return
        callee = _Callee(ctx, call)
        if qualified in _ENV_LOOKUPS:
            yield from self._env_fallback(ctx, call, qualified)
            return
        option = self._option_name(ctx, call, last)
        if option is not None:
            yield from self._option_default(ctx, call, callee, option)
        if last in _BASIC_AUTH and len(call.args) >= 2:
            text = self._literal(ctx, call.args[1], follow=True)
            if text is not None and secret_value(text, "password", "password"):
                yield _Hit(call, "password", f"the password argument of `{callee}(...)`", text, name="password")
        if last == "login" and isinstance(call.func, ast.Attribute) and len(call.args) >= 2:
            text = self._literal(ctx, call.args[1], follow=True)
            if text is not None and secret_value(text, "password", "password"):
                yield _Hit(call, "password", f"the password argument of `{callee}()`", text, name="password")
        if last == "compare_digest" and len(call.args) == 2:
            yield from self._check(ctx, call, call.args[0], call.args[1])
        for kw in call.keywords:
            if kw.arg is None or kw.arg == "default":
                continue
            if kw.arg == "auth" and isinstance(kw.value, ast.Tuple) and len(kw.value.elts) == 2:
                text = self._literal(ctx, kw.value.elts[1], follow=True)
                if text is not None and secret_value(text, "password", "password"):
                    yield _Hit(kw, "password", f"the `auth=` argument of `{callee}()`", text, name="password")
                continue
            if kw.arg == "SECRET_KEY" and isinstance(call.func, ast.Attribute) and \
                    call.func.attr in ("update", "from_mapping") and _uses_flask(ctx):
                text = self._literal(ctx, kw.value, follow=True)
                if text is not None and framework_key_value(text):
                    yield _Hit(kw, "secret key", f"`SECRET_KEY` in `{callee}()`", text, shape="framework",
                               framework="Flask", name="SECRET_KEY")
                continue
            text = self._literal(ctx, kw.value, follow=credential_kind(kw.arg) is not None)
            if text is not None:
                yield from self._named_value(kw, kw.arg, lambda: f"the `{kw.arg}=` argument of `{callee}()`", text)

    def _env_fallback(self, ctx: FileContext, call: ast.Call, qualified: str) -> Iterator[_Hit]:
        env = self._literal(ctx, call.args[0], follow=True) if call.args else None
        if not env:
            return
        kind = credential_kind(env)
        value = ctx.argument(call, 1, "default" if qualified != "os.environ.setdefault" else "value")
        text = self._literal(ctx, value, follow=True) if kind is not None else None
        if kind is None or text is None or not secret_value(text, env, kind):
            return
        yield _Hit(call, kind, f"the fallback of `{ctx.source_of(call.func)}({env!r})`", text,
                   shape="fallback", name=env)

    def _option_name(self, ctx: FileContext, call: ast.Call, last: str) -> str | None:
        """The name of the option an option declaration defines (oslo.config
        `cfg.StrOpt("name")`, argparse `add_argument("--name")`, click `option("--name")`)."""
        if last.endswith("Opt"):
            first = ctx.argument(call, 0, "name")
            return self._literal(ctx, first, follow=False)
        if last in ("add_argument", "add_option", "option", "Option"):
            dest = self._literal(ctx, ctx.keyword(call, "dest"), follow=False)
            if dest:
                return dest
            flags = [self._literal(ctx, a, follow=False) or "" for a in call.args]
            long = [f for f in flags if f.startswith("--")] or [f for f in flags if f.startswith("-")]
            return long[0].lstrip("-") if long else None
        return None

    def _option_default(self, ctx: FileContext, call: ast.Call, callee: _Callee, option: str) -> Iterator[_Hit]:
        kind = credential_kind(option)
        default = ctx.keyword(call, "default")
        text = self._literal(ctx, default, follow=True) if kind is not None else None
        if kind is None or text is None or not secret_value(text, option, kind):
            return
        yield _Hit(call, kind, f"the default of option `{option}` (`{callee}(...)`)", text,
                   shape="option", name=option)

    # ---------------------------------------------------------------- dicts
    def _dict(self, ctx: FileContext, node: ast.Dict) -> Iterator[_Hit]:
        for key, value in zip(node.keys, node.values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            text = self._literal(ctx, value, follow=credential_kind(key.value) is not None)
            if text is None:
                continue
            yield from self._named_value(value, key.value, f"the {key.value!r} entry", text)

    # ---------------------------------------------------------- comparisons
    def _compare(self, ctx: FileContext, node: ast.Compare) -> Iterator[_Hit]:
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            return
        yield from self._check(ctx, node, node.left, node.comparators[0])

    def _check(self, ctx: FileContext, node: ast.AST, a: ast.AST, b: ast.AST) -> Iterator[_Hit]:
        for named, other in ((a, b), (b, a)):
            name = self._name_of(ctx, named)
            if name is None:
                continue
            kind = credential_kind(name)
            text = self._literal(ctx, other, follow=True) if kind is not None else None
            if kind is not None and text is not None and secret_value(text, name, kind):
                yield _Hit(node, kind, f"`{ctx.source_of(named)}`", text, shape="check", name=name)
                return

    # --------------------------------------------------------------- report
    def _report(self, ctx: FileContext, hit: _Hit) -> Finding:
        severity, confidence = Severity.MEDIUM, Confidence.MEDIUM
        env = re.sub(r"[^A-Z0-9]+", "_", hit.name.upper()).strip("_") or "SECRET"
        fix = (f"Rotate this {hit.kind} (it is in the repository's history now) and read it at run time "
               f"from the environment or a secret store, e.g. os.environ[{env!r}]; never commit the value.")
        if hit.shape == "format":
            severity, confidence = Severity.HIGH, Confidence.HIGH
            message = f"{hit.label[0].upper()}{hit.label[1:]} ({hit.value}) is written into the code in {hit.where}."
            explanation = (f"The literal has the exact format of {hit.label}, a live credential, not a "
                           f"placeholder. {_WHY}")
            fix = ("Revoke this key now (assume it is compromised), remove it from the code and the "
                   "repository's history, and load the replacement from the environment or a secret store.")
        elif hit.shape == "framework":
            severity, confidence = Severity.HIGH, Confidence.HIGH
            what = ("signs session cookies, password-reset tokens and CSRF tokens" if hit.framework == "Django"
                    else "signs the session cookie")
            message = f"The {hit.framework} secret key {hit.where} is committed in the code ({_mask(hit.value)})."
            explanation = (f"{hit.framework}'s SECRET_KEY {what}: whoever knows it can forge a session for any "
                           f"user. {_WHY}")
            fix = (f"Generate a new key and load it from the environment or a secret store "
                   f"(e.g. SECRET_KEY = os.environ['{hit.framework.upper()}_SECRET_KEY']), failing at start-up "
                   "when it is missing.")
        elif hit.shape == "check":
            message = f"{hit.where} is compared with a hard-coded {hit.kind} ({_mask(hit.value)})."
            explanation = (f"The name {hit.where} says it holds a {hit.kind}, and this check accepts one fixed "
                           f"value written into the code: a back door that works on every deployment. {_WHY}")
            fix = (f"Remove the built-in {hit.kind}; verify against a per-deployment credential stored hashed "
                   "(or in a secret store) and compared with hmac.compare_digest().")
        elif hit.shape == "default":
            message = f"{hit.where[0].upper()}{hit.where[1:]} is a hard-coded {hit.kind} ({_mask(hit.value)})."
            explanation = (f"Every caller that omits the argument silently uses this {hit.kind}. {_WHY}")
            fix = (f"Remove the default (make it required, or None and fail when missing), rotate the {hit.kind}, "
                   "and have callers pass the value read from the environment or a secret store.")
        elif hit.shape == "fallback":
            message = f"{hit.where[0].upper()}{hit.where[1:]} is a hard-coded {hit.kind} ({_mask(hit.value)})."
            explanation = (f"When the variable is not set the program silently runs with this {hit.kind} "
                           f"instead of failing. {_WHY}")
            fix = (f"Drop the fallback: use os.environ[{hit.name!r}] (fail at start-up when it is missing) and "
                   f"rotate the {hit.kind}.")
        elif hit.shape == "option":
            message = f"{hit.where[0].upper()}{hit.where[1:]} is a hard-coded {hit.kind} ({_mask(hit.value)})."
            explanation = (f"Every deployment that does not set the option runs with this {hit.kind}. {_WHY}")
            fix = (f"Remove the default (declare the option with secret=True where the library supports it and "
                   f"no default), rotate the {hit.kind}, and set it in each deployment's configuration.")
        elif hit.shape == "url":
            message = f"{hit.where[0].upper()}{hit.where[1:]} carries a hard-coded password ({_mask(hit.value)})."
            explanation = f"The password is part of the connection URL written into the code. {_WHY}"
        else:
            message = f"{hit.where[0].upper()}{hit.where[1:]} holds a hard-coded {hit.kind} ({_mask(hit.value)})."
            if hit.where.startswith("`"):
                reason = f"The name {hit.where} says it holds a {hit.kind}, and it is given a literal value."
            else:
                reason = f"{hit.where[0].upper()}{hit.where[1:]} takes a {hit.kind}, and the code passes a literal one."
            explanation = f"{reason} {_WHY}"
        trace = self._via(ctx, hit)
        if trace:
            explanation += f" The value comes from {trace[0].note}."
        return self.finding(ctx, hit.node, message=message, explanation=explanation, fix=Fix(fix, None),
                            confidence=confidence, severity=severity, trace=trace)

    @staticmethod
    def _via(ctx: FileContext, hit: _Hit) -> list[TraceStep]:
        """When the literal reached this use through a name (`password=DEFAULT`),
        where that name is bound to it."""
        if hit.shape in ("format", "framework", "url"):
            return []
        for node in ast.walk(hit.node):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                values = ctx.literal_values(node)
                if values == [hit.value]:
                    origin = ctx.origin(node)
                    return [TraceStep(ctx.path, origin.line, f"`{node.id}`, bound on line {origin.line}")]
        return []


RULE = HardcodedSecret()
