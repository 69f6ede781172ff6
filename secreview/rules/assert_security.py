"""`assert` used as an authorisation or input check.

## What it does
Finds `assert` statements outside test code that decide whether a caller may
act or whether request data is acceptable:
- authorisation: the condition is about admin or staff flags, being
  authenticated, permissions (`has_perm(...)`, `can(...)`), roles,
  ownership (`request.user == obj.owner`) or privileges;
- credentials and integrity: a comparison or check of a password, secret,
  HMAC, CSRF value, one-time code, API key, an auth/access/reset/session
  token or a webhook/request signature (`assert hmac.compare_digest(sig, expected)`,
  `assert len(password) >= 8`);
- request data: the condition reads the HTTP request (`request.json`,
  `request.args`, `req.params`, a value assigned from one, or a parameter of
  an OpenStack API action), e.g. `assert isinstance(request.json["age"], int)`.

Not reported: asserts that narrow a type for the type checker or state an
invariant of the program's own values (`assert x is not None`,
`assert isinstance(self._conn, Connection)`, `assert self._lock.locked()`),
a plain `assert password` / `assert CONF.admin_url` precondition on a value
the program was handed, words that only look like security (a lexer's
`token`, a function's `signature`, a permutation `perm`, a node's `role`
unless it is a user's), and every assert in test code (which is what
`assert` is for there, and why Bandit's B101 buries real findings in noise).

## Why is this bad?
Python removes `assert` statements when it runs with `-O` or
`PYTHONOPTIMIZE` set, as some packaging and container images do. A check
written as an assert then silently disappears: every user passes the
permission check, and unvalidated request data flows on. Even with
assertions on, a failed check raises `AssertionError`, which web frameworks
answer with a 500 error instead of a 403 or 400 (CWE-617).

## Example
```python
def delete_project(request, project):
    assert request.user.is_superuser, "admins only"
    project.delete()
```

## Use instead
```python
def delete_project(request, project):
    if not request.user.is_superuser:
        raise PermissionError("admins only")
    project.delete()
```

## References
- https://cwe.mitre.org/data/definitions/617.html
- https://docs.python.org/3/reference/simple_stmts.html#the-assert-statement
- https://docs.python.org/3/using/cmdline.html#cmdoption-O
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity, TraceStep
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule, lazy_compile
from secreview.rules._openstack import controller_actions

# Words of a condition that decide who may act, whatever they are joined with.
_AUTHZ_WORDS = frozenset({
    "admin", "admins", "administrator", "superuser", "staff", "authenticated", "authorized",
    "authorised", "authorize", "authorise", "permission", "permissions", "privilege", "privileges",
    "privileged", "acl", "owner", "owns",
})
# Words that are about authorisation only next to one of their companions:
# `has_perm` (not a permutation), `user_roles` (not a parser's role).
_AUTHZ_PAIRS = {
    "perm": frozenset({"has", "check", "require", "user", "get"}),
    "perms": frozenset({"has", "check", "require", "user", "get"}),
    "role": frozenset({"user", "has", "member", "account", "principal", "current", "context"}),
    "roles": frozenset({"user", "has", "member", "account", "principal", "current", "context"}),
}
# String constants a condition compares with that name a privileged role.
_PRIVILEGED_VALUES = frozenset({"admin", "administrator", "superuser", "root", "staff"})
# Authorisation words that are yes/no flags on their own: `user.admin`.
_FLAG_WORDS = frozenset({"admin", "superuser", "staff", "authenticated", "authorized", "authorised",
                         "privileged"})
# Words a yes/no flag may add to an authorisation word: `is_admin`, `has_perm`.
_PREDICATE_WORDS = frozenset({"is", "has", "user", "current", "logged", "in"})
# Words of a credential or an integrity check.
_CREDENTIAL_WORDS = frozenset({
    "password", "passwd", "pwd", "passphrase", "hmac", "csrf", "xsrf", "otp", "apikey", "secret",
})
# Words that are about credentials only next to one of their companions:
# `auth_token` (not a lexer's token), `webhook_signature` (not a function's).
_CREDENTIAL_PAIRS = {
    "token": frozenset({"auth", "access", "api", "csrf", "xsrf", "reset", "session", "bearer", "refresh",
                        "jwt", "verification", "confirm", "confirmation", "invite", "login", "id"}),
    "signature": frozenset({"hmac", "webhook", "jwt", "request", "payload", "expected"}),
    "sig": frozenset({"hmac", "webhook", "jwt", "request", "payload", "expected"}),
    "key": frozenset({"api", "access"}),
}
# Conditions about the program's own machinery, whatever else they mention.
_INTERNAL_WORDS = frozenset({"lock", "locked", "thread", "threading", "mutex", "semaphore", "pid", "fd"})
_REQUEST_ROOTS = frozenset({"request", "req"})
_REQUEST_CODE = lazy_compile(r"\b(?:request|req)\.(?:json|args|form|values|data|files|GET|POST|body|params|"
                             r"query_params|headers|cookies|get_json|media|query|match_info|path_params|"
                             r"environ|method|user|session|META)\b")
_NEGATED = {ast.Eq: "!=", ast.NotEq: "==", ast.Lt: ">=", ast.LtE: ">", ast.Gt: "<=", ast.GtE: "<",
            ast.In: "not in", ast.NotIn: "in", ast.Is: "is not", ast.IsNot: "is"}
_TYPE_PREDICATES = frozenset({"isinstance", "issubclass", "callable", "hasattr"})


class AssertSecurity(Rule):
    id = "py.assert-security"
    name = "Security check written as assert"
    cwe = (617,)
    severity = Severity.MEDIUM
    bandit_ids = ("B101",)
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        action_params = self._action_parameters(ctx)
        for node in ctx.nodes(ast.Assert):
            assert isinstance(node, ast.Assert)  # noqa: S101 - narrows the type of nodes()
            test = node.test
            if _is_none_check(test):
                continue
            identifiers = [_words(n) for n in _identifiers(test)]
            if any(w & _INTERNAL_WORDS for w in identifiers):
                continue
            request = self._request_data(ctx, test, action_params)
            if _is_type_predicate(test) and request is None:
                continue
            authz = _authorisation_words(test, identifiers)
            credential: set[str] = set()
            if _is_a_check(test):
                for name in _checked_values(ctx, test):
                    credential |= _matches(_words(name), _CREDENTIAL_WORDS, _CREDENTIAL_PAIRS)
            if _calls(ctx, test, "hmac.compare_digest", "secrets.compare_digest"):
                credential.add("compare_digest")
            if authz:
                yield self._report(ctx, node, "authorisation", authz, None)
            elif credential:
                yield self._report(ctx, node, "credential", credential, None)
            elif request is not None:
                yield self._report(ctx, node, "request", set(), request)

    @staticmethod
    def _action_parameters(ctx: FileContext) -> dict[int, set[str]]:
        """id(OpenStack API action) -> its parameters that carry the request."""
        found: dict[int, set[str]] = {}
        for _, action in controller_actions(ctx):
            params = {a.arg for a in [*action.args.posonlyargs, *action.args.args, *action.args.kwonlyargs]}
            found[id(action)] = params - {"self", "cls"}
        return found

    @staticmethod
    def _request_data(ctx: FileContext, test: ast.expr, action_params: dict[int, set[str]]) -> TraceStep | None:
        """Where the request data the condition reads comes from, or None."""
        func = ctx.enclosing_function(test)
        params = action_params.get(id(func), set()) if func is not None else set()
        for node in ast.walk(test):
            if isinstance(node, ast.Attribute) and ctx.qualified_name(node) in ("flask.request", "bottle.request"):
                return TraceStep(ctx.path, node.lineno, f"`{ctx.source_of(node)}` is the HTTP request")
            if not isinstance(node, ast.Name):
                continue
            if ctx.qualified_name(node) in ("flask.request", "bottle.request", "quart.request"):
                return TraceStep(ctx.path, node.lineno, f"`{node.id}` is the HTTP request")
            if node.id in params:
                return TraceStep(ctx.path, func.lineno,  # type: ignore[union-attr]
                                 f"`{node.id}` is a parameter of the API action `{func.name}()`")  # type: ignore[union-attr]
            if node.id in _REQUEST_ROOTS:
                parent = ctx.parent(node)
                if isinstance(parent, ast.Attribute) and _REQUEST_CODE.search(ctx.source_of(parent, 200)):
                    return TraceStep(ctx.path, node.lineno, f"`{ctx.source_of(parent)}` is request data")
                continue
            origin = ctx.origin(node)
            if origin.kind == "assignment" and _REQUEST_CODE.search(origin.code):
                return TraceStep(ctx.path, origin.line, f"{origin.note}, request data")
        return None

    def _report(self, ctx: FileContext, node: ast.Assert, kind: str, words: set[str],
                request: TraceStep | None) -> Finding:
        condition = ctx.source_of(node.test, 100)
        if kind == "authorisation":
            what = f"an authorisation check ({', '.join(sorted(words))})"
            exception, severity = "PermissionError", Severity.MEDIUM
            effect = "every caller passes it: the action runs for users it was meant to refuse"
        elif kind == "credential":
            what = f"a credential or integrity check ({', '.join(sorted(words))})"
            # a rule about the value's shape is validation; a comparison decides access
            shape = _calls(ctx, node.test, "len", "re.match", "re.fullmatch", "re.search")
            exception, severity = "ValueError" if shape else "PermissionError", Severity.MEDIUM
            effect = "the check is skipped: any value is accepted"
        else:
            what = "validation of request data"
            exception, severity = "ValueError", Severity.LOW
            effect = "the request data is used unchecked"
        explanation = (
            f"`assert {condition}` is {what}. Python drops assert statements when run with `-O` "
            f"or PYTHONOPTIMIZE, and then {effect}. With assertions on, a failure raises "
            "AssertionError, which the web framework turns into a 500 error rather than a refusal."
        )
        if request is not None:
            explanation = f"{request.note} (line {request.line}). " + explanation
        replacement = self._rewrite(ctx, node, exception)
        return self.finding(
            ctx, node,
            message=f"`assert` is used for {what}; it disappears under `python -O`.",
            explanation=explanation,
            fix=Fix(f"Test the condition with `if` and refuse explicitly: raise {exception} (or the "
                    "framework's 403/400 error, e.g. `PermissionDenied`, `abort(403)`, "
                    "`webob.exc.HTTPForbidden`).", replacement),
            confidence=Confidence.MEDIUM, severity=severity,
            trace=[request] if request is not None else None,
        )

    @staticmethod
    def _rewrite(ctx: FileContext, node: ast.Assert, exception: str) -> str | None:
        """`if not <test>:\\n    raise <exception>(<msg>)` in place of the assert."""
        line_text = ctx.module.line(node.lineno)
        indent = line_text[: len(line_text) - len(line_text.lstrip())]
        if line_text[: node.col_offset].strip():
            return None  # the assert shares its line with other code
        test = node.test
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            condition = ctx.segment(test.operand)
            if condition is None:
                return None
            if isinstance(test.operand, (ast.BoolOp, ast.IfExp, ast.NamedExpr, ast.Lambda)):
                condition = f"({condition})"
        elif isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _NEGATED:
            left, right = ctx.segment(test.left), ctx.segment(test.comparators[0])
            if left is None or right is None:
                return None
            condition = f"{left} {_NEGATED[type(test.ops[0])]} {right}"
        else:
            condition = ctx.segment(test)
            if condition is None:
                return None
            simple = isinstance(test, (ast.Name, ast.Attribute, ast.Call, ast.Subscript))
            condition = f"not {condition}" if simple else f"not ({condition})"
        if "\n" in condition:
            return None
        message = ctx.segment(node.msg) if node.msg is not None else None
        if node.msg is not None and (message is None or "\n" in message):
            return None
        new = f"if {condition}:\n{indent}    raise {exception}({message or ''})"
        return ctx.replace_source(node, new)


def _matches(words: set[str], single: frozenset[str], pairs: dict[str, frozenset[str]]) -> set[str]:
    """The words of one identifier that name the concern on their own, or
    together with a companion word of the same identifier."""
    found = words & single
    for word, companions in pairs.items():
        if word in words and words & companions:
            found.add(word)
    return found


def _authorisation_words(test: ast.expr, identifiers: list[set[str]]) -> set[str]:
    """The authorisation words of a condition. A bare flag (`user.is_admin`,
    `not request.user.is_authenticated`) must be named for nothing else:
    `assert CONF.admin_url` only says a setting is there."""
    found: set[str] = set()
    for words in identifiers:
        found |= _matches(words, _AUTHZ_WORDS, _AUTHZ_PAIRS)
    for node in ast.walk(test):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "can":  # `user.can("edit")`, `context.can(policy)`
                found.add("can")
        elif isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                if isinstance(operand, ast.Constant) and isinstance(operand.value, str) \
                        and operand.value.lower() in _PRIVILEGED_VALUES:
                    found.add(operand.value.lower())
    if not found:
        return found
    flag = test.operand if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) else test
    if isinstance(flag, (ast.Name, ast.Attribute)):
        # A yes/no flag (`is_admin`, `is_authenticated`, `has_permission`),
        # not a noun whose presence is asserted (`obj.owner`, `user.permissions`).
        last = _words(flag.id if isinstance(flag, ast.Name) else flag.attr)
        is_flag = bool(last & _FLAG_WORDS) or bool(last & {"is", "has"} and last & _AUTHZ_WORDS)
        if not (is_flag and last <= _AUTHZ_WORDS | _PREDICATE_WORDS):
            return set()
    return found


def _calls(ctx: FileContext, test: ast.expr, *names: str) -> bool:
    return any(isinstance(n, ast.Call) and ctx.call_name(n) in names for n in ast.walk(test))


def _is_none_check(test: ast.expr) -> bool:
    """`x is None`, `x is not None`, `a is not None and b is not None`."""
    if isinstance(test, ast.BoolOp):
        return all(_is_none_check(v) for v in test.values)
    if isinstance(test, ast.Compare):
        return all(isinstance(op, (ast.Is, ast.IsNot)) for op in test.ops) and any(
            isinstance(c, ast.Constant) and c.value is None for c in [test.left, *test.comparators])
    return False


def _is_type_predicate(test: ast.expr) -> bool:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, ast.BoolOp):
        return all(_is_type_predicate(v) for v in test.values)
    return isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id in _TYPE_PREDICATES


def _is_a_check(test: ast.expr) -> bool:
    """A comparison or a call that tests a value (not a bare truth test of a
    name or attribute, which only says it was provided)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _is_a_check(test.operand)
    if isinstance(test, ast.BoolOp):
        return any(_is_a_check(v) for v in test.values)
    return isinstance(test, (ast.Compare, ast.Call))


def _checked_values(ctx: FileContext, test: ast.expr) -> list[str]:
    """The identifiers whose value the condition tests, leaving out names
    bound only to a literal (`TEST_PASSWORD`: nothing from outside the
    program is being checked)."""
    found: list[str] = []
    stack: list[ast.AST] = [test]
    while stack:
        node = stack.pop()
        chain: list[str] = []
        root = node
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        if isinstance(root, ast.Name):
            if not ctx.is_constant(root):  # not `TEST_PASSWORD` nor `TEST_PASSWORD.encode`
                found.append(".".join([root.id, *reversed(chain)]))
            continue
        if chain:  # `f(x).attr`: the attribute names, then what is inside the call
            found.append(".".join(reversed(chain)))
            stack.append(root)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def _identifiers(test: ast.expr) -> list[str]:
    """Names, attributes and called functions in a condition."""
    found: list[str] = []
    for node in ast.walk(test):
        if isinstance(node, ast.Name):
            found.append(node.id)
        elif isinstance(node, ast.Attribute):
            # the whole chain, so `user.role` pairs `role` with `user`
            chain, current = [node.attr], node.value
            while isinstance(current, ast.Attribute):
                chain.append(current.attr)
                current = current.value
            if isinstance(current, ast.Name):
                chain.append(current.id)
            found.append(".".join(reversed(chain)))
    return found


RULE = AssertSecurity()
