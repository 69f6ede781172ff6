"""JSON Web Token decoded without checking its signature, and its claims trusted.

## What it does
Finds JWTs whose signature is not verified before their claims are used:
- PyJWT's `jwt.decode()`/`decode_complete()` (and `jwt.PyJWT().decode()`)
  and python-jose's `jose.jwt.decode()` called with
  `options={"verify_signature": False}` (a dict literal, `dict(...)` or a
  name bound to one), PyJWT 1.x's `verify=False` (keyword or third
  positional argument), or `algorithms` that include `"none"`;
- python-jose's `jwt.get_unverified_claims()` whose result decides who the
  caller is or what they may do.

A decode with verification off is reported when its result is used for more
than metadata: a claim other than `exp`, `iat`, `nbf`, `iss`, `aud`, `jti`,
`kid`, `alg` or `typ` is read from it (high confidence), or the whole result
is returned or passed on (medium confidence: the caller will take it for
verified claims). `get_unverified_claims()` announces itself as unverified,
so it is reported only when identity or permission claims are read from it,
or when its whole result leaves a function whose name says it authenticates
or authorises (`authenticate`, `current_user`, `check_permission`, ...).

Not reported: the standard patterns that read an unverified token only to
find out how to verify it: `jwt.get_unverified_header()` (reading `kid` or
`alg` to pick the key), peeking at `iss`/`kid`/`exp` (to choose a key set or
to refresh a token before it expires), and any unverified read in a function
that also decodes the token with verification on. Functions whose name says
the data is unverified or for display (`peek`, `unverified`, `debug`,
`inspect`, `log`...) are not reported either. `verify_exp`/`verify_aud`
switched off leave the signature checked and are not this rule's business.

## Why is this bad?
A JWT is only as trustworthy as its signature: without the check, anyone
can write a token saying `{"sub": "admin"}` (or change the header to
`"alg": "none"`) and the application acts on it, so authentication and
authorisation are bypassed (CWE-347).

## Example
```python
import jwt


def current_user(token):
    claims = jwt.decode(token, options={"verify_signature": False})
    return claims["sub"]
```

## Use instead
Verify the signature with the expected key and a fixed list of algorithms:
```python
import jwt


def current_user(token, public_key):
    claims = jwt.decode(token, public_key, algorithms=["RS256"], audience="my-api")
    return claims["sub"]
```

## References
- https://cwe.mitre.org/data/definitions/347.html
- https://pyjwt.readthedocs.io/en/stable/usage.html#reading-the-claimset-without-validation
- https://python-jose.readthedocs.io/en/latest/jwt/api.html
- https://cheatsheetseries.owasp.org/cheatsheets/JSON_Web_Token_for_Java_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule

_DECODERS = frozenset({
    "jwt.decode", "jwt.decode_complete", "jwt.api_jwt.decode", "jwt.api_jwt.decode_complete",
    "jwt.PyJWT().decode", "jwt.PyJWT().decode_complete", "jwt.api_jwt.PyJWT().decode",
    "jose.jwt.decode",
})
_VERIFIERS = frozenset({"jose.jws.verify", "jwt.api_jws.PyJWS().decode", "jwt.PyJWS().decode"})
_UNVERIFIED_CLAIMS = frozenset({"jose.jwt.get_unverified_claims", "jose.jws.get_unverified_claims"})
# Claims that say how to check a token, not who holds it or what they may do.
_METADATA_CLAIMS = frozenset({"exp", "iat", "nbf", "iss", "aud", "jti", "kid", "alg", "typ", "cty", "jku", "x5u"})
_AUTH_WORDS = frozenset({"auth", "authenticate", "authenticated", "authentication", "authorize", "authorise",
                         "authorized", "authorised", "authorization", "authorisation", "login", "user",
                         "current", "identity", "principal", "permission", "permissions", "role", "roles",
                         "access", "require", "requires", "allowed", "admin", "verify", "validate"})
# A project helper named like this, given the same token, verifies it.
_VERIFY_WORDS = frozenset({"decode", "verify", "validate", "verified", "check"})
_DISPLAY_WORDS = frozenset({"unverified", "peek", "insecure", "untrusted", "debug", "inspect", "dump", "log",
                            "print", "show", "display", "pretty", "describe"})


@dataclass
class _Uses:
    claims: list[tuple[str, ast.AST]] = field(default_factory=list)  # (claim, node reading it)
    whole: list[ast.AST] = field(default_factory=list)  # the result returned, passed or stored


class JwtUnverified(Rule):
    id = "py.jwt-unverified"
    name = "JWT claims used without signature verification"
    cwe = (347,)
    severity = Severity.HIGH
    bandit_ids = ()
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            if name in _DECODERS:
                how = self._disabled(ctx, call)
                if how is not None:
                    yield from self._judge(ctx, call, name, how, explicit=True)
            elif name in _UNVERIFIED_CLAIMS:
                yield from self._judge(ctx, call, name, "", explicit=False)

    # ------------------------------------------------ verification turned off
    def _disabled(self, ctx: FileContext, call: ast.Call) -> str | None:
        """How the call turns signature checking off, or None."""
        options = ctx.keyword(call, "options")
        if options is not None:
            for value in ctx.resolved_values(options):
                flag = _option(value, "verify_signature")
                if flag is not None and ctx.literal_values(flag) == [False]:
                    return f"`options={ctx.source_of(options)}`"
        verify = ctx.keyword(call, "verify")
        if verify is None and len(call.args) >= 3 and not any(isinstance(a, ast.Starred) for a in call.args[:3]):
            third = call.args[2]
            if isinstance(third, ast.Constant) and third.value is False:
                verify = third
        if verify is not None and ctx.literal_values(verify) == [False]:
            return "verification off (`verify=False`)" if ctx.keyword(call, "verify") is not None \
                else "verification off (`False` as PyJWT 1.x's `verify` argument)"
        algorithms = ctx.keyword(call, "algorithms")
        if algorithms is not None:
            for value in ctx.resolved_values(algorithms):
                if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
                    for element in value.elts:
                        texts = ctx.literal_values(element)
                        if texts and any(isinstance(t, str) and t.lower() == "none" for t in texts):
                            return f"`algorithms={ctx.source_of(algorithms)}`, which accepts unsigned tokens"
        return None

    # ------------------------------------------------------- how it is used
    def _judge(self, ctx: FileContext, call: ast.Call, name: str, how: str, *, explicit: bool) -> Iterator[Finding]:
        func = ctx.enclosing_function(call)
        if func is not None:
            if _words(func.name) & _DISPLAY_WORDS:
                return
            if self._verifies_too(ctx, func, call):
                return
        uses = self._uses(ctx, call)
        identity = [(claim, node) for claim, node in uses.claims if claim not in _METADATA_CLAIMS]
        shown = ctx.source_of(call.func)
        what = (f"`{shown}` is called with {how}" if explicit
                else f"`{shown}` returns the token's claims without checking its signature")
        if identity:
            claim, node = identity[0]
            names = list(dict.fromkeys(c for c, _ in identity))
            read = ", ".join(f"`{c}`" for c in names)
            trace = [TraceStep(ctx.path, getattr(node, "lineno", call.lineno), f"`{ctx.source_of(node)}` is read")]
            yield self.finding(
                ctx, call,
                message=f"{what}, and the claim{'s' if len(names) > 1 else ''} {read} "
                        f"{'are' if len(names) > 1 else 'is'} used.",
                explanation=(f"The token is not verified, yet {read} is read from it (line {trace[0].line}): "
                             "anyone can write a token with the values they want and be treated accordingly."),
                fix=self._fix(explicit), confidence=Confidence.HIGH, trace=trace)
            return
        if not uses.whole:
            return  # nothing read, or only metadata such as `exp`, `iss` or `kid`
        if not explicit and not (func is not None and _words(func.name) & _AUTH_WORDS):
            return
        node = uses.whole[0]
        where = f"`{func.name}()`" if func is not None else "the module"
        yield self.finding(
            ctx, call,
            message=f"{what}, and the unverified claims leave {where}.",
            explanation=(f"The claims are not verified, but {where} hands them on ({_handed_on(ctx, node)}, "
                         f"line {getattr(node, 'lineno', call.lineno)}), where they will be taken for verified "
                         "ones: anyone can write a token with the claims they want."),
            fix=self._fix(explicit), confidence=Confidence.MEDIUM,
            trace=[TraceStep(ctx.path, getattr(node, "lineno", call.lineno), "the unverified claims are passed on")])

    @staticmethod
    def _fix(explicit: bool) -> Fix:
        if explicit:
            return Fix("Verify the signature: pass the issuer's key and a fixed list of algorithms "
                       "(jwt.decode(token, key, algorithms=['RS256'], audience=...)), and drop "
                       "verify_signature=False / verify=False / 'none'.")
        return Fix("Decode with verification (jwt.decode(token, key, algorithms=[...])) before using any claim; "
                   "read only the header (kid) without verification, to choose the key.")

    def _verifies_too(self, ctx: FileContext, func: ast.AST, call: ast.Call) -> bool:
        """The function also decodes a token with verification on, or hands
        this same token to a helper named for decoding or verifying it (the
        unverified read only chose the key)."""
        token = call.args[0] if call.args else ctx.keyword(call, "jwt") or ctx.keyword(call, "token")
        token_name = token.id if isinstance(token, ast.Name) else None
        for node in ast.walk(func):
            if node is call or not isinstance(node, ast.Call):
                continue
            name = ctx.call_name(node) or ""
            if name in _VERIFIERS or (name in _DECODERS and self._disabled(ctx, node) is None):
                return True
            if (token_name and name not in _DECODERS and name not in _UNVERIFIED_CLAIMS
                    and "unverified" not in name and _words(name.rpartition(".")[2]) & _VERIFY_WORDS
                    and _mentions(ctx, node, token_name)):
                return True
        return False

    @staticmethod
    def _uses(ctx: FileContext, call: ast.Call) -> _Uses:
        uses = _Uses()
        parent = ctx.parent(call)
        if isinstance(parent, ast.Await):
            parent = ctx.parent(parent)
        if isinstance(parent, ast.Expr):
            return uses
        holder = None
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
            holder = parent.targets[0].id
        elif isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name):
            holder = parent.target.id
        if holder is None:
            _classify(ctx, call, uses)
            return uses
        scope = ctx.enclosing_function(call) or ctx.tree
        for node in ast.walk(scope):
            if (isinstance(node, ast.Name) and node.id == holder and isinstance(node.ctx, ast.Load)
                    and (ctx.enclosing_function(node) or ctx.tree) is scope
                    and (node.lineno, node.col_offset) > (call.lineno, call.col_offset)):
                _classify(ctx, node, uses)
        return uses


def _classify(ctx: FileContext, node: ast.AST, uses: _Uses) -> None:
    """Record how one occurrence of the claims is used."""
    parent = ctx.parent(node)
    if isinstance(parent, ast.Subscript) and parent.value is node:
        key = parent.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            uses.claims.append((key.value, parent))
        else:
            uses.whole.append(parent)
        return
    if isinstance(parent, ast.Attribute) and parent.value is node:
        call = ctx.parent(parent)
        if parent.attr in ("get", "pop") and isinstance(call, ast.Call) and call.args \
                and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            uses.claims.append((call.args[0].value, call))
        else:
            uses.whole.append(parent)
        return
    if isinstance(parent, ast.Compare) and node in parent.comparators and isinstance(parent.left, ast.Constant) \
            and isinstance(parent.left.value, str):
        uses.claims.append((parent.left.value, parent))  # "admin" in claims
        return
    if isinstance(parent, (ast.If, ast.While, ast.BoolOp, ast.UnaryOp)):
        return  # `if claims:` only tests that something was decoded
    uses.whole.append(parent or node)


def _mentions(ctx: FileContext, call: ast.Call, name: str) -> bool:
    """`name` is among the call's arguments, directly or in a dict passed
    with `**` (one level of assignment followed)."""
    values: list[ast.AST] = [*call.args, *(k.value for k in call.keywords)]
    for value in list(values):
        if isinstance(value, ast.Name) and value.id != name:
            values.extend(ctx.assigned_values(value) or [])
    return any(isinstance(sub, ast.Name) and sub.id == name for value in values for sub in ast.walk(value))


def _handed_on(ctx: FileContext, node: ast.AST) -> str:
    """How the claims leave: returned, stored in an attribute, passed to a call."""
    if isinstance(node, ast.Return):
        return "it returns them"
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        return f"it stores them in `{ctx.source_of(target)}`"
    if isinstance(node, ast.Call):
        return f"it passes them to `{ctx.source_of(node.func)}`"
    return f"`{ctx.source_of(node)}`"


def _option(value: ast.expr, key: str) -> ast.expr | None:
    """The value of `key` in a dict literal or `dict(key=...)` call."""
    if isinstance(value, ast.Dict):
        for k, v in zip(value.keys, value.values):
            if isinstance(k, ast.Constant) and k.value == key:
                return v
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
        for kw in value.keywords:
            if kw.arg == key:
                return kw.value
    return None


RULE = JwtUnverified()
