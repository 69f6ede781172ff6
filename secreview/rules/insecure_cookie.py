"""Session, authentication or CSRF cookies without `Secure` or `HttpOnly`.

## What it does
Finds cookies that carry a session or a credential and are set without the
`Secure` attribute (sent over plain HTTP too, CWE-614) or without `HttpOnly`
(readable by any script on the page, CWE-1004):

- `response.set_cookie(...)` / `set_signed_cookie(...)` (Flask/Werkzeug,
  Django, Starlette/FastAPI, WebOb, aiohttp) when `secure` or `httponly` is
  missing or `False` and the cookie's name (or, for a name that does not say,
  its value) is about a session, token, authentication, login or
  remember-me;
- settings that switch the flags off: Django's `SESSION_COOKIE_SECURE = False`,
  `SESSION_COOKIE_HTTPONLY = False`, `CSRF_COOKIE_SECURE = False`, Flask's
  `app.config["SESSION_COOKIE_SECURE"] = False` (also `SESSION_COOKIE_HTTPONLY`,
  Flask-Login's `REMEMBER_COOKIE_SECURE` / `REMEMBER_COOKIE_HTTPONLY`, in
  `app.config[...]`, `app.config.update(...)`, a module or a configuration
  class), and Starlette's `SessionMiddleware(..., https_only=False)`.

Each finding lists only the CWE of the attribute that is missing. CSRF
cookies (`csrftoken`, `XSRF-TOKEN`) are only expected to be `Secure`: the
double-submit pattern needs scripts to read them, so a missing `HttpOnly` is
by design.

Not reported: cookies whose name says they hold no secret (theme, language,
consent...) or whose name and value say nothing about a session; a flag given
a run-time value (`secure=request.is_secure()`, `secure=not settings.DEBUG`,
`**cookie_options`), which is the deployment's choice; calls with more than two
positional arguments (libraries disagree on the positions, so the flags cannot
be read reliably); deleting a cookie (`delete_cookie`, an empty value, `max_age=0`
or `expires=0`); test-client and cookie-jar calls (`client.set_cookie`,
`jar.set_cookie(cookie)`); settings chosen under a condition on the environment
or debug mode, in modules or classes named for development or tests; and test
code.

## Why is this bad?
A cookie without `Secure` is also sent over plain HTTP: one `http://` request
to the site (an old link, an image, a first visit before the redirect to
HTTPS, or a request the attacker provokes) carries the session in clear text
past everyone on the network path, who can then use it. A cookie without
`HttpOnly` can be read by any script running in the page, so a single XSS
hole hands the session to the attacker instead of being limited to the
victim's open tab.

## Example
```python
from flask import Flask, make_response

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    response = make_response("ok")
    response.set_cookie("session_token", new_session_token())
    return response
```

## Use instead
```python
from flask import Flask, make_response

app = Flask(__name__)


@app.route("/login", methods=["POST"])
def login():
    response = make_response("ok")
    response.set_cookie("session_token", new_session_token(), secure=True, httponly=True, samesite="Lax")
    return response
```

## References
- https://cwe.mitre.org/data/definitions/614.html
- https://cwe.mitre.org/data/definitions/1004.html
- https://flask.palletsprojects.com/en/stable/security/#set-cookie-options
- https://docs.djangoproject.com/en/stable/ref/settings/#session-cookie-secure
- https://owasp.org/www-community/controls/SecureCookieAttribute
- https://owasp.org/www-community/HttpOnly
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext, end_of
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule
from secreview.rules._settings import DEVELOPMENT_WORDS, development_path, environment_condition

SECURE, HTTPONLY = 614, 1004

_SESSION_WORDS = frozenset({
    "session", "sessionid", "sessid", "sid", "sess", "token", "auth", "authentication", "authn", "jwt",
    "remember", "rememberme", "credential", "credentials", "apikey", "bearer", "password", "secret",
})
_CSRF_WORDS = frozenset({"csrf", "xsrf", "csrftoken", "xsrftoken"})
# Cookies named for preferences or UI state hold nothing worth stealing.
_BENIGN_WORDS = frozenset({
    "theme", "lang", "language", "locale", "consent", "timezone", "tz", "currency", "seen", "tour",
    "dismissed", "banner", "prefs", "preference", "preferences", "layout", "font", "region", "country",
    "analytics", "tracking", "cart", "mode", "sidebar", "view", "sort", "page", "accepted",
})
# Receivers that are test clients or cookie jars, not responses.
_CLIENT_WORDS = frozenset({"client", "jar", "cookiejar", "cookies", "browser", "driver"})

# setting -> (CWE, what it protects)
_SETTINGS = {
    "SESSION_COOKIE_SECURE": (SECURE, "the session cookie"),
    "CSRF_COOKIE_SECURE": (SECURE, "the CSRF cookie"),
    "REMEMBER_COOKIE_SECURE": (SECURE, "the remember-me cookie"),
    "SESSION_COOKIE_HTTPONLY": (HTTPONLY, "the session cookie"),
    "REMEMBER_COOKIE_HTTPONLY": (HTTPONLY, "the remember-me cookie"),
}
_SESSION_MIDDLEWARE = frozenset({"starlette.middleware.sessions.SessionMiddleware",
                                 "fastapi.middleware.sessions.SessionMiddleware"})

_WHY = {
    SECURE: ("Without `Secure` the browser also sends it over plain HTTP: a single `http://` request to "
             "the site (an old link, an image, a first visit before the redirect to HTTPS, or one the "
             "attacker provokes) carries it in clear text past everyone on the network path, who can "
             "then use it."),
    HTTPONLY: ("Without `HttpOnly` any script running in the page can read it, so one XSS hole anywhere "
               "on the site hands it to the attacker."),
}


# The last part of the name of every call `_check_call` looks at.
_CALLEES = frozenset({"set_cookie", "set_signed_cookie", "update", "from_mapping", "add_middleware"}
                     | {name.rpartition(".")[2] for name in _SESSION_MIDDLEWARE})


def _is_false(ctx: FileContext, value: ast.AST | None) -> bool:
    if value is None:
        return False
    values = ctx.literal_values(value)
    return bool(values) and all(v is False or v is None or (type(v) is int and v == 0)
                                for v in values)  # type: ignore[operator]


class InsecureCookie(Rule):
    id = "py.insecure-cookie"
    name = "Sensitive cookie without Secure or HttpOnly"
    cwe = (SECURE, HTTPONLY)
    severity = Severity.MEDIUM
    harmless_in_tests = True

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for call, name in ctx.calls():
            if name.rpartition(".")[2] in _CALLEES:  # the cheap test first
                yield from self._check_call(ctx, call)
        for node in ctx.nodes(ast.Assign, ast.AnnAssign):
            yield from self._check_assign(ctx, node)  # type: ignore[arg-type]

    # ------------------------------------------------------- set_cookie
    def _check_call(self, ctx: FileContext, call: ast.Call) -> Iterator[Finding]:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("set_cookie", "set_signed_cookie"):
            finding = self._set_cookie(ctx, call, func)
            if finding is not None:
                yield finding
            return
        if isinstance(func, ast.Attribute) and func.attr in ("update", "from_mapping") and \
                isinstance(func.value, ast.Attribute) and func.value.attr == "config":
            for key, value in self._config_items(ctx, call):
                if key in _SETTINGS and _is_false(ctx, value) and environment_condition(ctx, call) is None:
                    yield self._setting(ctx, call, key, value, f"`{ctx.source_of(func)}` sets `{key}` to False")
            return
        yield from self._session_middleware(ctx, call)

    def _set_cookie(self, ctx: FileContext, call: ast.Call, func: ast.Attribute) -> Finding | None:
        if any(kw.arg is None for kw in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args):
            return None  # **options: the flags are decided elsewhere
        if len(call.args) > 2 or _words(ctx.source_of(func.value)) & _CLIENT_WORDS:
            return None
        name = ctx.argument(call, 0, "key") or ctx.keyword(call, "name")
        value = ctx.argument(call, 1, "value")
        if name is None:
            return None
        if self._deletes(ctx, value, call):
            return None
        kind = self._kind(ctx, name, value)
        if kind is None:
            return None
        missing: list[int] = []
        edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
        added: list[str] = []
        exact = True
        for cwe, flag in ((SECURE, "secure"), (HTTPONLY, "httponly")):
            if cwe == HTTPONLY and kind == "csrf":
                continue  # scripts read the CSRF cookie by design
            given = ctx.keyword(call, flag)
            if given is None:
                missing.append(cwe)
                added.append(f", {flag}=True")
            elif _is_false(ctx, given):
                missing.append(cwe)
                stop = end_of(given)
                if isinstance(given, ast.Constant) and stop is not None:
                    edits.append(((given.lineno, given.col_offset), stop, "True"))
                else:
                    exact = False  # a name bound to False: no exact rewrite
        if not missing:
            return None
        last = max([*call.args, *(kw.value for kw in call.keywords)], key=lambda n: end_of(n) or (0, 0))
        insert_at = end_of(last)
        if added and insert_at is not None:
            edits.append((insert_at, insert_at, "".join(added)))
        replacement = None
        if exact and (insert_at is not None or not added):
            replacement = ctx.replace_spans(call, sorted(edits), check=[call])
        cookie = ctx.source_of(name)
        absent = " and ".join(f"`{'Secure' if c == SECURE else 'HttpOnly'}`" for c in missing)
        what = {"csrf": "a CSRF cookie", "session": "a session or authentication cookie"}[kind]
        severity = Severity.MEDIUM if SECURE in missing and kind == "session" else Severity.LOW
        explanation = (f"The cookie {cookie} is {what} (judged by its {self._judged_by(ctx, name)}). "
                       + " ".join(_WHY[c] for c in missing))
        flags = ", ".join(f"{'secure' if c == SECURE else 'httponly'}=True" for c in missing)
        return self.finding(
            ctx, call,
            message=f"`{ctx.source_of(func)}({cookie}, ...)` sets {what} without {absent}.",
            explanation=explanation,
            fix=Fix(f"Pass {flags} (and samesite=\"Lax\") when setting this cookie.", replacement),
            confidence=Confidence.MEDIUM, severity=severity, cwe=tuple(missing))

    @staticmethod
    def _deletes(ctx: FileContext, value: ast.expr | None, call: ast.Call) -> bool:
        """Clearing a cookie: no value, an empty value, max_age=0 or expires=0."""
        if value is None:
            return True
        values = ctx.literal_values(value)
        if values is not None and all(v in ("", None, b"") for v in values):  # type: ignore[operator]
            return True
        for flag in ("max_age", "expires"):
            given = ctx.keyword(call, flag)
            if given is not None and ctx.literal_values(given) == [0]:
                return True
        return False

    @staticmethod
    def _kind(ctx: FileContext, name: ast.expr, value: ast.expr | None) -> str | None:
        """'session', 'csrf' or None (not a cookie worth protecting), from the
        cookie's name and, when the name does not say, from its value."""
        name_words = _words(ctx.source_of(name, 200))
        if name_words & _CSRF_WORDS:
            return "csrf"
        if name_words & _SESSION_WORDS:
            return "session"
        if name_words & _BENIGN_WORDS or value is None:
            return None
        value_words: set[str] = set()
        for node in ast.walk(value):
            if isinstance(node, ast.Name):
                value_words |= _words(node.id)
            elif isinstance(node, ast.Attribute):
                value_words |= _words(node.attr)
        if value_words & _CSRF_WORDS:
            return "csrf"
        if value_words & _SESSION_WORDS:
            return "session"
        return None

    @staticmethod
    def _judged_by(ctx: FileContext, name: ast.expr) -> str:
        words = _words(ctx.source_of(name, 200))
        return "name" if words & (_SESSION_WORDS | _CSRF_WORDS) else "value"

    # --------------------------------------------------------- settings
    def _check_assign(self, ctx: FileContext, node: ast.Assign | ast.AnnAssign) -> Iterator[Finding]:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any((isinstance(t, ast.Name) and t.id in _SETTINGS)
                   or (isinstance(t, ast.Subscript) and isinstance(t.value, ast.Attribute)
                       and t.value.attr == "config") for t in targets):
            return  # the cheap test first: almost no assignment is a cookie setting
        if node.value is None or not _is_false(ctx, node.value):
            return
        for target in targets:
            key = None
            if isinstance(target, ast.Name) and target.id in _SETTINGS:
                if not self._settings_place(ctx, node):
                    continue
                key = target.id
                shown = f"`{key} = {ctx.source_of(node.value)}`"
            elif (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)
                  and target.value.attr == "config"):
                literal = ctx.literal_values(target.slice)
                if literal and literal[0] in _SETTINGS and environment_condition(ctx, node) is None:
                    key = str(literal[0])
                    shown = f"`{ctx.source_of(target)} = {ctx.source_of(node.value)}`"
            if key is not None:
                yield self._setting(ctx, node, key, node.value, shown)

    def _settings_place(self, ctx: FileContext, node: ast.AST) -> bool:
        """A module-level setting or an attribute of a configuration class,
        not for development or tests and not chosen per environment."""
        if environment_condition(ctx, node) is not None or development_path(ctx):
            return False
        if ctx.enclosing_function(node) is not None:
            return False
        klass = next((a for a in ctx.ancestors(node) if isinstance(a, ast.ClassDef)), None)
        return klass is None or not _words(klass.name) & DEVELOPMENT_WORDS

    def _setting(self, ctx: FileContext, node: ast.AST, key: str, value: ast.expr, shown: str) -> Finding:
        cwe, protects = _SETTINGS[key]
        flag = "Secure" if cwe == SECURE else "HttpOnly"
        replacement = (ctx.replace_source(value, "True", lines_of=node)
                       if isinstance(value, ast.Constant) else None)
        severity = Severity.LOW if cwe == HTTPONLY or "CSRF" in key else Severity.MEDIUM
        return self.finding(
            ctx, node,
            message=f"{shown}: {protects} is sent without `{flag}`.",
            explanation=f"`{key}` controls the `{flag}` attribute of {protects}. " + _WHY[cwe],
            fix=Fix(f"Set {key} = True (serve the site over HTTPS only)." if cwe == SECURE
                    else f"Set {key} = True (the default).", replacement),
            confidence=Confidence.HIGH, severity=severity, cwe=(cwe,))

    @staticmethod
    def _config_items(ctx: FileContext, call: ast.Call) -> Iterator[tuple[str, ast.expr]]:
        for kw in call.keywords:
            if kw.arg is not None:
                yield kw.arg, kw.value
        for arg in call.args:
            if isinstance(arg, ast.Dict):
                for key, value in zip(arg.keys, arg.values):
                    literal = ctx.literal_values(key) if key is not None else None
                    if literal and isinstance(literal[0], str):
                        yield literal[0], value

    def _session_middleware(self, ctx: FileContext, call: ast.Call) -> Iterator[Finding]:
        """`SessionMiddleware(app, https_only=False)` or
        `app.add_middleware(SessionMiddleware, https_only=False)`."""
        name = ctx.call_name(call) or ""
        middleware = name in _SESSION_MIDDLEWARE or (
            isinstance(call.func, ast.Attribute) and call.func.attr == "add_middleware" and call.args
            and ctx.qualified_name(call.args[0]) in _SESSION_MIDDLEWARE)
        if not middleware:
            return
        value = ctx.keyword(call, "https_only")
        if not _is_false(ctx, value) or environment_condition(ctx, call) is not None:
            return
        assert value is not None
        yield self.finding(
            ctx, call,
            message=f"`{ctx.source_of(call.func)}` sets up the session cookie with `https_only=False`: "
                    "it is sent without `Secure`.",
            explanation="Starlette's `https_only` sets the `Secure` attribute of the session cookie. " + _WHY[SECURE],
            fix=Fix("Pass https_only=True (and serve the site over HTTPS).",
                    ctx.replace_source(value, "True", lines_of=call) if isinstance(value, ast.Constant) else None),
            confidence=Confidence.HIGH, severity=Severity.MEDIUM, cwe=(SECURE,))


RULE = InsecureCookie()
